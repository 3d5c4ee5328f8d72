using Crm.Inbox.Workspaces;
using Crm.Inbox.Workspaces.Sqlite;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Tests.Workspaces;

public sealed class SqliteAgentStoreTests : AgentStoreContract, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("crm-agents-").FullName;

    private string ConnectionString => $"Data Source={Path.Combine(directory, "crm.db")};Pooling=False";

    protected override async Task<(IWorkspaceStore Workspaces, IAgentStore Agents)> CreateStoresAsync()
    {
        var workspaces = new SqliteWorkspaceStore(ConnectionString);
        var agents = new SqliteAgentStore(ConnectionString);
        await workspaces.InitializeAsync();
        await agents.InitializeAsync();
        return (workspaces, agents);
    }

    [Theory]
    [InlineData("SELECT * FROM agents WHERE email_normalized = 'X'", "ux_agents_email")]
    [InlineData("SELECT * FROM agents WHERE workspace_id = 'X' ORDER BY created_at, id", "ix_agents_workspace")]
    [InlineData("SELECT COUNT(*) FROM agents WHERE workspace_id = 'X' AND role = 'owner' AND active = 1", "ix_agents_workspace")]
    [InlineData("SELECT * FROM agent_invitations WHERE token_hash = 'X'", "ux_agent_invitations_token")]
    public async Task Every_lookup_uses_an_index(string query, string index)
    {
        await CreateStoresAsync();
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + query;
        await using var reader = await command.ExecuteReaderAsync();
        var plan = new List<string>();
        while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        Assert.Contains(plan, step => step.Contains(index));
    }

    [Fact]
    public async Task Initializing_twice_keeps_the_agents()
    {
        var (_, agents) = await CreateStoresAsync();
        var ann = new Agent(Guid.NewGuid(), Guid.NewGuid(), "ann@acme.test", "Ann", AgentRoles.Agent, "hash", true, 0, null, "stamp", DateTimeOffset.UtcNow);
        await agents.TryCreateAsync(ann);

        await agents.InitializeAsync();

        Assert.NotNull(await agents.GetAsync(ann.Id));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
