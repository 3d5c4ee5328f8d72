using Crm.Connectors.Connections;
using Microsoft.Data.Sqlite;

namespace Crm.Connectors.Tests.Connections;

/// <summary>The connection store contract on a SQLite file of its own per test.</summary>
public sealed class SqliteChannelConnectionStoreTests : ChannelConnectionStoreContract, IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"crm-connections-{Guid.NewGuid():N}.db");

    protected override async Task<IChannelConnectionStore> CreateStoreAsync()
    {
        var store = new SqliteChannelConnectionStore($"Data Source={file}");
        await store.InitializeAsync();
        return store;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(file);
    }
}
