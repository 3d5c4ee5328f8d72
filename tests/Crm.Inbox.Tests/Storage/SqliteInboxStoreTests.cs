using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Sqlite;

namespace Crm.Inbox.Tests.Storage;

public sealed class SqliteInboxStoreTests : InboxStoreContract, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("crm-sqlite-").FullName;

    protected override async Task<IInboxStore> CreateStoreAsync()
    {
        var store = new SqliteInboxStore($"Data Source={Path.Combine(directory, "inbox.db")};Pooling=False");
        await store.InitializeAsync();
        return store;
    }

    [Fact]
    public async Task Initializing_twice_keeps_the_data()
    {
        var store = await CreateStoreAsync();
        var customer = await store.ResolveCustomerAsync(new("whatsapp", "+14155550100"), "Alice", DateTimeOffset.UtcNow);
        await store.InitializeAsync();

        Assert.NotNull(await store.GetCustomerAsync(customer.Id));
    }

    [Fact]
    public async Task The_database_runs_in_wal_mode_so_readers_never_wait_for_the_writer()
    {
        await CreateStoreAsync();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, "inbox.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";

        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
