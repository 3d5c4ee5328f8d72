using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Mongo;
using MongoDB.Driver;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// Runs the store contract against a real MongoDB when CRM_TEST_MONGO holds a connection string;
/// skipped otherwise (no MongoDB server can be installed on the project's machines).
/// Each test gets its own database, dropped afterwards.
/// </summary>
public sealed class MongoInboxStoreTests : InboxStoreContract, IDisposable
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("CRM_TEST_MONGO");
    private readonly List<(IMongoClient Client, string Database)> created = [];

    protected override async Task<IInboxStore> CreateStoreAsync()
    {
        Skip.If(string.IsNullOrEmpty(ConnectionString), "CRM_TEST_MONGO is not set: no MongoDB to test against.");
        var client = new MongoClient(ConnectionString);
        var name = $"crm-test-{Guid.NewGuid():N}";
        created.Add((client, name));
        var store = new MongoInboxStore(client.GetDatabase(name));
        await store.InitializeAsync();
        return store;
    }

    public void Dispose()
    {
        foreach (var (client, database) in created) client.DropDatabase(database);
    }
}
