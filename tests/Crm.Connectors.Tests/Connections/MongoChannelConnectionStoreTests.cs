using Crm.Connectors.Connections;
using MongoDB.Driver;
using Xunit;

namespace Crm.Connectors.Tests.Connections;

/// <summary>
/// The connection store contract against a real MongoDB when CRM_TEST_MONGO holds a connection string;
/// skipped otherwise. Each test gets its own database, dropped afterwards.
/// </summary>
public sealed class MongoChannelConnectionStoreTests : ChannelConnectionStoreContract, IDisposable
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("CRM_TEST_MONGO");
    private readonly List<(IMongoClient Client, string Database)> created = [];

    protected override async Task<IChannelConnectionStore> CreateStoreAsync()
    {
        Skip.If(string.IsNullOrEmpty(ConnectionString), "CRM_TEST_MONGO is not set: no MongoDB to test against.");
        var client = new MongoClient(ConnectionString);
        var name = $"crm-test-{Guid.NewGuid():N}";
        created.Add((client, name));
        var store = new MongoChannelConnectionStore(client.GetDatabase(name));
        await store.InitializeAsync();
        return store;
    }

    public void Dispose()
    {
        foreach (var (client, database) in created) client.DropDatabase(database);
    }
}
