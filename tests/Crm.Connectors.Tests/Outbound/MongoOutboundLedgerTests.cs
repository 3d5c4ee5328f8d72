using Crm.Connectors.Outbound;
using MongoDB.Driver;
using Xunit;

namespace Crm.Connectors.Tests.Outbound;

/// <summary>
/// Runs the ledger contract against a real MongoDB when CRM_TEST_MONGO holds a connection string;
/// skipped otherwise (no MongoDB server can be installed on the project's machines).
/// Each test gets its own database, dropped afterwards.
/// </summary>
public sealed class MongoOutboundLedgerTests : OutboundLedgerContract, IDisposable
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("CRM_TEST_MONGO");
    private readonly List<(IMongoClient Client, string Database)> created = [];

    protected override async Task<IOutboundLedger> CreateLedgerAsync()
    {
        Skip.If(string.IsNullOrEmpty(ConnectionString), "CRM_TEST_MONGO is not set: no MongoDB to test against.");
        var client = new MongoClient(ConnectionString);
        var name = $"crm-test-{Guid.NewGuid():N}";
        created.Add((client, name));
        var ledger = new MongoOutboundLedger(client.GetDatabase(name), Clock);
        await ledger.InitializeAsync();
        return ledger;
    }

    public void Dispose()
    {
        foreach (var (client, database) in created) client.DropDatabase(database);
    }
}
