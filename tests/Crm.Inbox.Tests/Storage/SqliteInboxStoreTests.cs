using Crm.Contracts;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// Stores on one SQLite file in a fresh temporary directory, deleted afterwards. Each has its own writer connection,
/// so two of them are two processes sharing the file.
/// </summary>
public sealed class SqliteTestStores : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("crm-sqlite-").FullName;
    private readonly List<SqliteInboxStore> stores = [];

    public string File => Path.Combine(directory, "inbox.db");

    public async Task<IInboxStore> CreateAsync()
    {
        var store = new SqliteInboxStore($"Data Source={File};Pooling=False");
        stores.Add(store);
        await store.InitializeAsync();
        return store;
    }

    public void Dispose()
    {
        foreach (var store in stores) store.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}

public sealed partial class SqliteInboxStoreTests : InboxStoreContract, IDisposable
{
    private readonly SqliteTestStores stores = new();

    private string File => stores.File;

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    [Fact]
    public async Task Initializing_twice_keeps_the_data()
    {
        var store = await CreateStoreAsync();
        var customer = await store.ResolveCustomerAsync(Guid.Empty, new("whatsapp", "+14155550100"), "Alice", DateTimeOffset.UtcNow);
        await store.InitializeAsync();

        Assert.NotNull(await store.GetCustomerAsync(customer.Id));
    }

    [Fact]
    public async Task The_database_runs_in_wal_mode_so_readers_never_wait_for_the_writer()
    {
        await CreateStoreAsync();
        await using var connection = await OpenAsync();

        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
    }

    [Theory]
    [InlineData(nameof(SqliteInboxStore.NewestTimelinePageSql), "SEARCH messages USING INDEX ix_messages_timeline (conversation_id=?)")]
    [InlineData(nameof(SqliteInboxStore.OlderTimelinePageSql), "SEARCH messages USING INDEX ix_messages_timeline (conversation_id=? AND (created_at,id)<(?,?))")]
    [InlineData(nameof(SqliteInboxStore.FirstConversationPageSql), "SEARCH conversations USING INDEX ix_conversations_workspace_activity (workspace_id=?)")]
    [InlineData(nameof(SqliteInboxStore.NextConversationPageSql), "SEARCH conversations USING INDEX ix_conversations_workspace_activity (workspace_id=? AND (last_message_at,id)<(?,?))")]
    public async Task Pages_are_read_straight_from_an_index_however_deep_they_are(string query, string expectedPlan)
    {
        await CreateStoreAsync();
        var sql = (string)typeof(SqliteInboxStore).GetField(query, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "$conversation", "$workspace", "$at", "$id", "$take" })
            if (sql.Contains(name)) command.Parameters.AddWithValue(name, name == "$at" || name == "$take" ? 1 : "x");

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        // One step, on the index, in its order: no offset scan, no anchor lookup, no sort of what it found.
        Assert.Equal([expectedPlan], plan);
    }

    [Fact]
    public async Task Known_customers_and_open_conversations_are_found_without_taking_the_write_lock()
    {
        var store = await CreateStoreAsync();
        var alice = new ChannelIdentity(Channels.WhatsApp, "+14155550100");
        var customer = await store.ResolveCustomerAsync(Guid.Empty, alice, "Alice", DateTimeOffset.UtcNow);
        var conversation = await store.OpenConversationAsync(customer, alice, "+14155238886", DateTimeOffset.UtcNow);

        // Another process holds the write lock: anything that tried to write would wait for it and then fail.
        await using var otherProcess = await OpenAsync();
        await using var transaction = otherProcess.BeginTransaction(deferred: false);

        Assert.Equal(customer.Id, (await store.ResolveCustomerAsync(Guid.Empty, alice, "Alice", DateTimeOffset.UtcNow)).Id);
        Assert.Equal(customer.Id, (await store.ResolveCustomerAsync(Guid.Empty, alice, null, DateTimeOffset.UtcNow)).Id);
        Assert.Equivalent(conversation, await store.OpenConversationAsync(customer, alice, "+14155238886", DateTimeOffset.UtcNow), strict: true);
    }

    [Fact]
    public async Task A_file_made_before_business_numbers_were_recorded_is_upgraded_in_place()
    {
        await using (var connection = await OpenAsync())
        {
            await ExecuteAsync(connection, """
                CREATE TABLE customers (id TEXT PRIMARY KEY, display_name TEXT, created_at INTEGER NOT NULL);
                CREATE TABLE customer_identities (channel TEXT NOT NULL, value TEXT NOT NULL, customer_id TEXT NOT NULL, PRIMARY KEY (channel, value));
                CREATE TABLE conversations (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, channel TEXT NOT NULL, customer_identity TEXT NOT NULL,
                    customer_name TEXT, status TEXT NOT NULL, assigned_agent TEXT, created_at INTEGER NOT NULL, last_message_at INTEGER NOT NULL,
                    last_message_preview TEXT);
                CREATE UNIQUE INDEX ux_conversations_one_open ON conversations(customer_id, channel) WHERE status = 'open';
                CREATE INDEX ix_conversations_activity ON conversations(last_message_at DESC, id);
                CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, customer_id TEXT NOT NULL, channel TEXT NOT NULL,
                    direction TEXT NOT NULL, channel_message_id TEXT, text TEXT, media_json TEXT NOT NULL, location_json TEXT, button_json TEXT,
                    raw_json TEXT NOT NULL, status TEXT NOT NULL, status_rank INTEGER NOT NULL, error_code TEXT, agent TEXT,
                    created_at INTEGER NOT NULL, status_updated_at INTEGER NOT NULL);
                INSERT INTO customers VALUES ('6f1d2a4e-0000-0000-0000-000000000001', 'Alice', 0);
                INSERT INTO customer_identities VALUES ('whatsapp', '+14155550100', '6f1d2a4e-0000-0000-0000-000000000001');
                INSERT INTO conversations VALUES ('6f1d2a4e-0000-0000-0000-000000000002', '6f1d2a4e-0000-0000-0000-000000000001', 'whatsapp',
                    '+14155550100', 'Alice', 'open', NULL, 0, 0, 'hi');
                """);
        }

        var store = await CreateStoreAsync();
        var old = await store.GetConversationAsync(Guid.Parse("6f1d2a4e-0000-0000-0000-000000000002"));
        // The business address of the old conversation is unknown, so a message to a known one opens its own.
        var stored = await store.AppendInboundBatchAsync([new InboundMessageReceived(Channels.WhatsApp, "SMnew", "+14155550100", "Alice",
            "+14155238886", "hello", [], null, null, new Dictionary<string, string>(), DateTimeOffset.UtcNow)]);

        Assert.NotNull(old);
        Assert.Null(old.BusinessIdentity);
        Assert.Equal(old.CustomerId, Assert.Single(stored).Message.CustomerId);
        Assert.NotEqual(old.Id, stored[0].Conversation.Id);
        Assert.Equal(2, (await store.ListConversationsAsync(Guid.Empty, null, 10)).Count);
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection($"Data Source={File};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<string?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string?)await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose() => stores.Dispose();
}
