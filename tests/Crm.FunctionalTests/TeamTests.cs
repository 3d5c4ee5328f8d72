using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Assignment;
using Crm.Inbox.Workspaces;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Teams: admins set them up with the workspace's own agents; every agent sees them.</summary>
public sealed class TeamTests : IAsyncLifetime
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_admin_sets_up_a_team_of_the_workspaces_agents_and_agents_only_see_it()
    {
        var admin = await app.SignInAsync("ann");
        var bob = await app.SignInAsync("bob", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var outsider = await app.EnsureAgentAsync("eve", "eve@test.crm", Guid.NewGuid(), AgentRoles.Agent);
        var bobId = (await bob.GetFromJsonAsync<Agent>("/api/agents/me"))!.Id;

        var created = await admin.PostAsJsonAsync("/api/teams",
            new { name = "Support", policy = "least-loaded", maxOpenPerAgent = 5, reassignAfterMinutes = 15, members = new[] { bobId } });
        var team = (await created.Content.ReadFromJsonAsync<Team>())!;
        var withOutsider = await admin.PutAsJsonAsync($"/api/teams/{team.Id}", new { name = "Support", members = new[] { bobId, outsider.Id } });
        var byAgent = await bob.PostAsJsonAsync("/api/teams", new { name = "Mine" });
        var badPolicy = await admin.PostAsJsonAsync("/api/teams", new { name = "Sales", policy = "random" });
        var clash = await admin.PostAsJsonAsync("/api/teams", new { name = "support" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal((AssignmentPolicies.LeastLoaded, 5, 15), (team.Policy, team.MaxOpenPerAgent, team.ReassignAfterMinutes));
        Assert.Equal([bobId], team.Members);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, withOutsider.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badPolicy.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, clash.StatusCode);
        Assert.Equal(["Support"], (await bob.GetFromJsonAsync<List<Team>>("/api/teams"))!.Select(t => t.Name));
        var otherWorkspace = await app.SignInAsync("dan", Guid.NewGuid(), AgentRoles.Admin);
        Assert.Equal(HttpStatusCode.NotFound, (await otherWorkspace.GetAsync($"/api/teams/{team.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherWorkspace.DeleteAsync($"/api/teams/{team.Id}")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
