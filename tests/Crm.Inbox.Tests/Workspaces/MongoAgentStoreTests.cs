using Crm.Inbox.Workspaces;
using Crm.Inbox.Workspaces.Mongo;
using MongoDB.Driver;

namespace Crm.Inbox.Tests.Workspaces;

/// <summary>Runs the agent store contract against a real MongoDB when CRM_TEST_MONGO is set; skipped otherwise.</summary>
public sealed class MongoAgentStoreTests : AgentStoreContract, IDisposable
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("CRM_TEST_MONGO");
    private readonly List<(IMongoClient Client, string Database)> created = [];

    protected override async Task<(IWorkspaceStore Workspaces, IAgentStore Agents)> CreateStoresAsync()
    {
        Skip.If(string.IsNullOrEmpty(ConnectionString), "CRM_TEST_MONGO is not set: no MongoDB to test against.");
        var client = new MongoClient(ConnectionString);
        var name = $"crm-test-{Guid.NewGuid():N}";
        created.Add((client, name));
        var database = client.GetDatabase(name);
        var workspaces = new MongoWorkspaceStore(database);
        var agents = new MongoAgentStore(database);
        await workspaces.InitializeAsync();
        await agents.InitializeAsync();
        return (workspaces, agents);
    }

    public void Dispose()
    {
        foreach (var (client, database) in created) client.DropDatabase(database);
    }
}
