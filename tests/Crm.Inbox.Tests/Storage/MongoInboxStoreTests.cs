using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Mongo;
using MongoDB.Driver;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// A fresh MongoDB database per store when CRM_TEST_MONGO holds a connection string, dropped afterwards;
/// the test is skipped otherwise (no MongoDB server can be installed on the project's machines).
/// </summary>
public sealed class MongoTestStores : IDisposable
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("CRM_TEST_MONGO");
    private readonly List<(IMongoClient Client, string Database)> created = [];

    public async Task<IInboxStore> CreateAsync()
    {
        Skip.If(string.IsNullOrEmpty(ConnectionString), "CRM_TEST_MONGO is not set: no MongoDB to test against.");
        var client = new MongoClient(ConnectionString);
        var name = $"crm-test-{Guid.NewGuid():N}";
        created.Add((client, name));
        var store = new MongoInboxStore(client.GetDatabase(name));
        await store.InitializeAsync();
        return store;
    }

    /// <summary>Another store on the database <see cref="CreateAsync"/> made last, as a second process would open it.</summary>
    public async Task<IInboxStore> OpenLastAgainAsync()
    {
        var (client, name) = created[^1];
        var store = new MongoInboxStore(client.GetDatabase(name));
        await store.InitializeAsync();
        return store;
    }

    /// <summary>The database <see cref="CreateAsync"/> made last, for a test to set up what no store method writes yet.</summary>
    public IMongoDatabase LastDatabase => created[^1].Client.GetDatabase(created[^1].Database);

    public void Dispose()
    {
        foreach (var (client, database) in created) client.DropDatabase(database);
    }
}

/// <summary>Runs the store contract against a real MongoDB when CRM_TEST_MONGO is set; skipped otherwise.</summary>
public sealed class MongoInboxStoreTests : InboxStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    public void Dispose() => stores.Dispose();
}
