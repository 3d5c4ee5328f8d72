using System.Net;
using System.Net.Http.Json;
using Crm.Gateway.Agents;
using Crm.Gateway.Apis;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>How a new deployment gets its first owner, and Development its demo workspace.</summary>
public sealed class FirstRunTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly string directory = Directory.CreateTempSubdirectory("crm-first-run-").FullName;

    private string SqliteFile => Path.Combine(directory, "crm.db");

    private CrmApplication Start(IDictionary<string, string?>? overrides = null) => new(twilio, overrides, SqliteFile);

    private static async Task<HttpResponseMessage> SignInAsync(CrmApplication app, string email, string password)
        => await app.CreateClient().PostAsJsonAsync("/api/auth/sign-in", new { email, password });

    [Fact]
    public async Task The_create_owner_command_creates_a_workspace_and_its_owner_who_can_then_sign_in()
    {
        var output = new StringWriter();
        var exitCode = await CreateOwnerCommand.RunAsync(
        [
            "create-owner", "--email", "founder@acme.test", "--password", "founder-password-1", "--workspace", "Acme", "--name", "Fay Founder",
            $"--ConnectionStrings:Sqlite=Data Source={SqliteFile}", $"--Crm:Spool:Path={Path.Combine(directory, "spool.db")}",
        ], output, output);

        Assert.Equal(0, exitCode);
        await using var app = Start();
        var response = await SignInAsync(app, "founder@acme.test", "founder-password-1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var owner = (await response.Content.ReadFromJsonAsync<AuthApi.AgentToken>())!.Agent;
        Assert.Equal(AgentRoles.Owner, owner.Role);
        Assert.Equal("Fay Founder", owner.Name);
        Assert.Equal("Acme", (await app.Services.GetRequiredService<IWorkspaceStore>().GetAsync(owner.WorkspaceId))!.Name);
    }

    [Fact]
    public async Task The_create_owner_command_refuses_a_short_password_and_creates_nothing()
    {
        var output = new StringWriter();
        var exitCode = await CreateOwnerCommand.RunAsync(
        [
            "create-owner", "--email", "founder@acme.test", "--password", "short", "--workspace", "Acme",
            $"--ConnectionStrings:Sqlite=Data Source={SqliteFile}", $"--Crm:Spool:Path={Path.Combine(directory, "spool.db")}",
        ], output, output);

        Assert.Equal(1, exitCode);
        Assert.Contains("at least 10 characters", output.ToString());
        await using var app = Start();
        Assert.False(await app.Services.GetRequiredService<IAgentStore>().AnyAsync());
    }

    [Fact]
    public async Task Bootstrap_settings_create_the_first_owner_only_while_there_is_no_agent()
    {
        await using (var first = Start(Bootstrap("first@acme.test")))
            Assert.Equal(HttpStatusCode.OK, (await SignInAsync(first, "first@acme.test", "bootstrap-password-1")).StatusCode);

        await using var restarted = Start(Bootstrap("second@acme.test"));

        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(restarted, "first@acme.test", "bootstrap-password-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(restarted, "second@acme.test", "bootstrap-password-1")).StatusCode);
    }

    private static Dictionary<string, string?> Bootstrap(string email) => new()
    {
        ["Crm:Bootstrap:Email"] = email,
        ["Crm:Bootstrap:Password"] = "bootstrap-password-1",
        ["Crm:Bootstrap:Workspace"] = "Acme",
    };

    [Fact]
    public async Task Development_seeds_the_demo_workspace_once_however_often_it_restarts()
    {
        var development = new Dictionary<string, string?> { ["environment"] = "Development" };
        List<AgentView> firstTeam;
        await using (var first = Start(development))
            firstTeam = await DemoTeamAsync(first);

        await using var restarted = Start(development);
        var secondTeam = await DemoTeamAsync(restarted);

        Assert.Equal(DemoAgents.All.Select(a => a.Email).Order(), firstTeam.Select(a => a.Email).Order());
        Assert.Equal(firstTeam.Select(a => a.Id).Order(), secondTeam.Select(a => a.Id).Order());
        Assert.Equal("Demo", (await restarted.Services.GetRequiredService<IWorkspaceStore>().GetAsync(DemoWorkspace.Id))!.Name);
    }

    private static async Task<List<AgentView>> DemoTeamAsync(CrmApplication app)
    {
        var response = await SignInAsync(app, DemoAgents.OwnerEmail, DemoAgents.Password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var owner = await app.CreateClient().WithToken((await response.Content.ReadFromJsonAsync<AuthApi.AgentToken>())!.Token);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(app, "ann@demo.crm", DemoAgents.Password)).StatusCode);
        return (await owner.GetFromJsonAsync<List<AgentView>>("/api/agents"))!;
    }

    [Fact]
    public async Task Outside_development_there_are_no_demo_agents()
    {
        await using var app = Start();

        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(app, DemoAgents.OwnerEmail, DemoAgents.Password)).StatusCode);
    }

    public void Dispose()
    {
        twilio.Stop();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}

internal static class HttpClientTokens
{
    public static Task<HttpClient> WithToken(this HttpClient client, string token)
    {
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return Task.FromResult(client);
    }
}
