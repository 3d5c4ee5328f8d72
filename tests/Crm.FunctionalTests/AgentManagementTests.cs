using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Roles, workspace boundaries and what the agents API never shows.</summary>
public sealed class AgentManagementTests : IAsyncLifetime
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0a0a0a0a-0000-4000-8000-00000000000b");
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_agent_gets_403_on_every_admin_endpoint()
    {
        var agent = await app.SignInAsync("cy", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var colleague = await app.EnsureAgentAsync("Dee", "dee@test.crm", CrmApplication.TestWorkspace, AgentRoles.Agent);

        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsJsonAsync("/api/agents/invitations", new { email = "x@test.crm", role = "agent" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PatchAsJsonAsync($"/api/agents/{colleague.Id}", new { name = "Renamed" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsync($"/api/agents/{colleague.Id}/deactivate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsync($"/api/agents/{colleague.Id}/activate", null)).StatusCode);
        Assert.Equal("Dee", (await app.Services.GetRequiredService<IAgentStore>().GetAsync(colleague.Id))!.Name);
    }

    [Fact]
    public async Task An_admin_renames_and_promotes_an_agent_but_only_an_owner_makes_owners()
    {
        var admin = await app.SignInAsync("ada", CrmApplication.TestWorkspace, AgentRoles.Admin);
        var owner = await app.SignInAsync("olga", CrmApplication.TestWorkspace, AgentRoles.Owner);
        var dee = await app.EnsureAgentAsync("Dee", "dee@test.crm", CrmApplication.TestWorkspace, AgentRoles.Agent);

        var promoted = await admin.PatchAsJsonAsync($"/api/agents/{dee.Id}", new { name = "Dee Admin", role = AgentRoles.Admin });
        var madeOwnerByAdmin = await admin.PatchAsJsonAsync($"/api/agents/{dee.Id}", new { role = AgentRoles.Owner });
        var madeOwnerByOwner = await owner.PatchAsJsonAsync($"/api/agents/{dee.Id}", new { role = AgentRoles.Owner });

        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        Assert.Equal("Dee Admin", (await promoted.Content.ReadFromJsonAsync<AgentView>())!.Name);
        Assert.Equal(HttpStatusCode.Forbidden, madeOwnerByAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, madeOwnerByOwner.StatusCode);
        Assert.Equal(AgentRoles.Owner, (await app.Services.GetRequiredService<IAgentStore>().GetAsync(dee.Id))!.Role);
    }

    [Fact]
    public async Task A_role_change_ends_the_agents_sessions_so_no_token_keeps_the_old_role()
    {
        var owner = await app.SignInAsync("olga", CrmApplication.TestWorkspace, AgentRoles.Owner);
        var ada = await app.SignInAsync("ada", CrmApplication.TestWorkspace, AgentRoles.Admin);
        var adaId = (await ada.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;

        Assert.Equal(HttpStatusCode.OK, (await owner.PatchAsJsonAsync($"/api/agents/{adaId}", new { role = AgentRoles.Agent })).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await ada.GetAsync("/api/agents/me")).StatusCode);
        var again = await app.CreateClient().PostAsJsonAsync("/api/auth/sign-in", new { email = "ada@test.crm", password = CrmApplication.TestPassword });
        Assert.Equal(AgentRoles.Agent, (await again.Content.ReadFromJsonAsync<Crm.Gateway.Apis.AuthApi.AgentToken>())!.Agent.Role);
    }

    [Fact]
    public async Task A_rename_keeps_the_agent_signed_in()
    {
        var ada = await app.SignInAsync("ada", CrmApplication.TestWorkspace, AgentRoles.Admin);
        var adaId = (await ada.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;

        Assert.Equal(HttpStatusCode.OK, (await ada.PatchAsJsonAsync($"/api/agents/{adaId}", new { name = "Ada L." })).StatusCode);

        Assert.Equal("Ada L.", (await ada.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Name);
    }

    [Fact]
    public async Task The_last_owner_cannot_be_demoted_or_deactivated()
    {
        var owner = await app.SignInAsync("olga", CrmApplication.TestWorkspace, AgentRoles.Owner);
        var me = (await owner.GetFromJsonAsync<AgentView>("/api/agents/me"))!;

        var demoted = await owner.PatchAsJsonAsync($"/api/agents/{me.Id}", new { role = AgentRoles.Admin });
        var deactivated = await owner.PostAsync($"/api/agents/{me.Id}/deactivate", null);

        Assert.Equal(HttpStatusCode.Conflict, demoted.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, deactivated.StatusCode);
        Assert.Equal(AgentRoles.Owner, (await owner.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Role);
    }

    [Fact]
    public async Task Agents_of_another_workspace_are_not_listed_and_their_ids_give_404()
    {
        var admin = await app.SignInAsync("ada", CrmApplication.TestWorkspace, AgentRoles.Admin);
        var stranger = await app.EnsureAgentAsync("Zed", "zed@test.crm", OtherWorkspace, AgentRoles.Agent);

        var team = (await admin.GetFromJsonAsync<List<AgentView>>("/api/agents"))!;
        var patched = await admin.PatchAsJsonAsync($"/api/agents/{stranger.Id}", new { name = "Hijacked" });
        var deactivated = await admin.PostAsync($"/api/agents/{stranger.Id}/deactivate", null);

        Assert.Contains(team, a => a.Email == "ada@test.crm");
        Assert.DoesNotContain(team, a => a.Id == stranger.Id);
        Assert.Equal(HttpStatusCode.NotFound, patched.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deactivated.StatusCode);
        var unchanged = (await app.Services.GetRequiredService<IAgentStore>().GetAsync(stranger.Id))!;
        Assert.Equal("Zed", unchanged.Name);
        Assert.True(unchanged.IsActive);
    }

    [Fact]
    public async Task No_password_or_hash_is_ever_returned_by_the_api()
    {
        var owner = await app.SignInAsync("olga", CrmApplication.TestWorkspace, AgentRoles.Owner);
        var hash = (await app.Services.GetRequiredService<IAgentStore>().FindByEmailAsync("olga@test.crm"))!.PasswordHash;
        var invited = await owner.PostAsJsonAsync("/api/agents/invitations", new { email = "dana@test.crm", role = AgentRoles.Agent });
        var token = (await invited.Content.ReadFromJsonAsync<AgentsApi.InvitationCreated>())!.Token;

        var answers = new[]
        {
            await (await app.CreateClient().PostAsJsonAsync("/api/auth/sign-in", new { email = "olga@test.crm", password = CrmApplication.TestPassword })).Content.ReadAsStringAsync(),
            await (await app.CreateClient().PostAsJsonAsync("/api/auth/accept-invitation", new { token, name = "Dana", password = "dana-password-1" })).Content.ReadAsStringAsync(),
            await owner.GetStringAsync("/api/agents/me"),
            await owner.GetStringAsync("/api/agents"),
            await (await owner.PatchAsJsonAsync($"/api/agents/{(await owner.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id}", new { name = "Olga" })).Content.ReadAsStringAsync(),
        };

        Assert.Contains("olga@test.crm", answers[2]);
        foreach (var json in answers)
        {
            Assert.DoesNotContain("password", json, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(hash, json);
            Assert.DoesNotContain(CrmApplication.TestPassword, json);
            Assert.DoesNotContain("dana-password-1", json);
        }
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
