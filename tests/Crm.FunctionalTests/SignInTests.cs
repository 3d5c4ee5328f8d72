using System.Net;
using System.Net.Http.Json;
using Crm.Gateway.Apis;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

public sealed class SignInTests : IAsyncLifetime
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly AdjustableClock clock = new();
    private CrmApplication app = null!;
    private Agent ann = null!;

    public async Task InitializeAsync()
    {
        app = new CrmApplication(twilio, testServices: services => services.AddSingleton<TimeProvider>(clock));
        ann = await app.EnsureAgentAsync("Ann", "ann@test.crm", CrmApplication.TestWorkspace, AgentRoles.Agent);
    }

    private Task<HttpResponseMessage> SignInAsync(string email, string password)
        => app.CreateClient().PostAsJsonAsync("/api/auth/sign-in", new { email, password });

    [Fact]
    public async Task The_right_email_and_password_give_a_token_for_the_agent_and_their_workspace()
    {
        var response = await SignInAsync("ANN@Test.crm", CrmApplication.TestPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var signedIn = (await response.Content.ReadFromJsonAsync<AuthApi.AgentToken>())!;
        Assert.Equal(ann.Id, signedIn.Agent.Id);
        Assert.Equal(CrmApplication.TestWorkspace, signedIn.Agent.WorkspaceId);
        Assert.Equal(AgentRoles.Agent, signedIn.Agent.Role);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", signedIn.Token);
        var me = (await client.GetFromJsonAsync<AgentView>("/api/agents/me"))!;
        Assert.Equal("ann@test.crm", me.Email);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_401()
    {
        var wrongPassword = await SignInAsync("ann@test.crm", "not-the-password");
        var unknownEmail = await SignInAsync("nobody@test.crm", CrmApplication.TestPassword);

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownEmail.StatusCode);
        Assert.Equal(await Detail(wrongPassword), await Detail(unknownEmail));
    }

    [Fact]
    public async Task Five_failures_lock_the_agent_out_and_even_the_right_password_is_refused()
    {
        for (var i = 0; i < AgentAccounts.MaxFailedSignIns - 1; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync("ann@test.crm", "wrong-password-" + i)).StatusCode);
        var fifth = await SignInAsync("ann@test.crm", "wrong-password-5");

        var rightPassword = await SignInAsync("ann@test.crm", CrmApplication.TestPassword);

        Assert.Equal(HttpStatusCode.TooManyRequests, fifth.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightPassword.StatusCode);
        Assert.InRange(rightPassword.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
    }

    [Fact]
    public async Task A_lockout_ends_after_fifteen_minutes()
    {
        for (var i = 0; i < AgentAccounts.MaxFailedSignIns; i++) await SignInAsync("ann@test.crm", "wrong-password-" + i);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync("ann@test.crm", CrmApplication.TestPassword)).StatusCode);

        clock.Advance(AgentAccounts.LockoutDuration + TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("ann@test.crm", CrmApplication.TestPassword)).StatusCode);
    }

    [Fact]
    public async Task A_successful_sign_in_forgets_earlier_failures()
    {
        for (var i = 0; i < AgentAccounts.MaxFailedSignIns - 1; i++) await SignInAsync("ann@test.crm", "wrong-password-" + i);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("ann@test.crm", CrmApplication.TestPassword)).StatusCode);
        for (var i = 0; i < AgentAccounts.MaxFailedSignIns - 1; i++) await SignInAsync("ann@test.crm", "wrong-again-" + i);

        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("ann@test.crm", CrmApplication.TestPassword)).StatusCode);
    }

    [Fact]
    public async Task A_sign_in_without_a_body_is_a_400_not_a_500()
    {
        var response = await app.CreateClient().PostAsync("/api/auth/sign-in", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_name_only_dev_sign_in_is_gone()
    {
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/dev-token", new { agent = "ann" });

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<string?> Detail(HttpResponseMessage response)
        => (await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>())?.Detail;

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
