using System.Net;
using System.Net.Http.Json;
using Crm.Gateway.Apis;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

public sealed class InvitationTests : IAsyncLifetime
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly AdjustableClock clock = new();
    private CrmApplication app = null!;
    private HttpClient admin = null!;

    public async Task InitializeAsync()
    {
        app = new CrmApplication(twilio, testServices: services => services.AddSingleton<TimeProvider>(clock));
        admin = await app.SignInAsync("admin");
    }

    private async Task<AgentsApi.InvitationCreated> InviteAsync(string email, string role = AgentRoles.Agent)
    {
        var response = await admin.PostAsJsonAsync("/api/agents/invitations", new { email, role });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<AgentsApi.InvitationCreated>())!;
    }

    private Task<HttpResponseMessage> AcceptAsync(string token, string name = "Dana", string password = "dana-password-1")
        => app.CreateClient().PostAsJsonAsync("/api/auth/accept-invitation", new { token, name, password });

    [Fact]
    public async Task An_accepted_invitation_creates_the_agent_in_the_inviters_workspace_and_signs_them_in()
    {
        var invitation = await InviteAsync("dana@test.crm");

        var accepted = await AcceptAsync(invitation.Token);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var signedIn = (await accepted.Content.ReadFromJsonAsync<AuthApi.AgentToken>())!;
        Assert.Equal("dana@test.crm", signedIn.Agent.Email);
        Assert.Equal(CrmApplication.TestWorkspace, signedIn.Agent.WorkspaceId);
        Assert.Equal(AgentRoles.Agent, signedIn.Agent.Role);
        Assert.Contains(invitation.Token, invitation.AcceptUrl);
        var signInAgain = await app.CreateClient().PostAsJsonAsync("/api/auth/sign-in", new { email = "dana@test.crm", password = "dana-password-1" });
        Assert.Equal(HttpStatusCode.OK, signInAgain.StatusCode);
        var team = await admin.GetFromJsonAsync<List<AgentView>>("/api/agents");
        Assert.Contains(team!, a => a.Email == "dana@test.crm");
    }

    [Fact]
    public async Task An_invitation_works_only_once()
    {
        var invitation = await InviteAsync("dana@test.crm");
        Assert.Equal(HttpStatusCode.OK, (await AcceptAsync(invitation.Token)).StatusCode);

        var again = await AcceptAsync(invitation.Token, "Mallory", "mallory-password");

        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        var team = await admin.GetFromJsonAsync<List<AgentView>>("/api/agents");
        Assert.DoesNotContain(team!, a => a.Name == "Mallory");
    }

    [Fact]
    public async Task An_invitation_expires_after_seven_days()
    {
        var invitation = await InviteAsync("dana@test.crm");

        clock.Advance(AgentAccounts.InvitationLifetime + TimeSpan.FromMinutes(1));
        var late = await AcceptAsync(invitation.Token);

        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
        Assert.Null(await app.Services.GetRequiredService<IAgentStore>().FindByEmailAsync("dana@test.crm"));
    }

    [Fact]
    public async Task An_unknown_token_is_a_404_and_a_short_password_a_400()
    {
        var invitation = await InviteAsync("dana@test.crm");

        Assert.Equal(HttpStatusCode.NotFound, (await AcceptAsync("no-such-token")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await AcceptAsync(invitation.Token, password: "short")).StatusCode);
        // A refused attempt does not use the invitation up.
        Assert.Equal(HttpStatusCode.OK, (await AcceptAsync(invitation.Token)).StatusCode);
    }

    [Fact]
    public async Task Only_the_hash_of_an_invitation_token_is_stored()
    {
        var invitation = await InviteAsync("dana@test.crm");
        var store = app.Services.GetRequiredService<IAgentStore>();

        Assert.NotNull(await store.FindInvitationAsync(AgentAccounts.HashToken(invitation.Token)));
        Assert.Null(await store.FindInvitationAsync(invitation.Token));
    }

    [Fact]
    public async Task Inviting_an_email_that_is_already_an_agent_is_a_409()
    {
        var response = await admin.PostAsJsonAsync("/api/agents/invitations", new { email = "ADMIN@test.crm", role = AgentRoles.Agent });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
