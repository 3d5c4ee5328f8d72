using Crm.Contracts;
using Crm.Inbox.Search;
using Crm.Inbox.Storage.Sqlite;

namespace Crm.Inbox.Tests.Storage;

public sealed partial class SqliteInboxStoreTests
{
    [Theory]
    [InlineData(nameof(SqliteInboxStore.MessageSearchSql), "SCAN message_search VIRTUAL TABLE INDEX 0:M", "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)")]
    [InlineData(nameof(SqliteInboxStore.ConversationSearchSql), "SCAN conversation_search VIRTUAL TABLE INDEX 0:M", "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)")]
    public async Task A_search_reads_the_full_text_index_and_joins_by_rowid_without_scanning_a_table(string query, string ftsStep, string joinStep)
    {
        await CreateStoreAsync();
        var sql = (string)typeof(SqliteInboxStore).GetField(query, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "$workspace", "$at", "$id", "$take", "$match" })
            command.Parameters.AddWithValue(name, name == "$at" || name == "$take" ? 1 : "x");

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        // The FTS index finds the matches first; every table is a lookup, never a scan (only the page just chosen is read in full).
        Assert.StartsWith(ftsStep, plan.First(step => step.StartsWith("SCAN ", StringComparison.Ordinal)));
        Assert.Contains(joinStep, plan);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN ", StringComparison.Ordinal)
            && !step.Contains("VIRTUAL TABLE", StringComparison.Ordinal) && step != "SCAN page");
    }

    [Fact]
    public async Task The_last_search_term_matches_as_a_prefix()
    {
        var store = await CreateStoreAsync();
        var workspace = Guid.NewGuid();
        var stored = await store.AppendInboundBatchAsync([
            Arrival("SMx1", "Invoice number 4711 is wrong", workspace),
            Arrival("SMx2", "Where is my invoice", workspace),
        ]);

        Assert.Equal([stored[0].Message.Id], (await store.SearchAsync(workspace, SearchQuery.Parse("invoice wro"), null, 10)).Select(h => h.MessageId));
        Assert.Equal(2, (await store.SearchAsync(workspace, SearchQuery.Parse("INVOI"), null, 10)).Count);
        Assert.Empty(await store.SearchAsync(workspace, SearchQuery.Parse("invoi wrong"), null, 10));
    }

    private static InboundMessageReceived Arrival(string sid, string text, Guid workspace) => new(Channels.WhatsApp, sid, "+14155550100", "Alice",
        "+14155238886", text, [], null, null, new Dictionary<string, string>(), DateTimeOffset.UtcNow) { WorkspaceId = workspace };

    [Fact]
    public async Task A_file_made_before_search_has_its_messages_and_customers_indexed_once_on_start()
    {
        var before = await CreateStoreAsync();
        var workspace = Guid.NewGuid();
        var stored = Assert.Single(await before.AppendInboundBatchAsync([new InboundMessageReceived(Channels.WhatsApp, "SMold", "+14155550100", "Olga",
            "+14155238886", "an old complaint", [], null, null, new Dictionary<string, string>(), DateTimeOffset.UtcNow) { WorkspaceId = workspace }]));
        await using (var connection = await OpenAsync())
            await ExecuteAsync(connection, "DROP TABLE message_search; DROP TABLE conversation_search;");

        await CreateStoreAsync();
        var store = await CreateStoreAsync();

        Assert.Equal(stored.Message.Id, Assert.Single(await store.SearchAsync(workspace, SearchQuery.Parse("complaint"), null, 10)).MessageId);
        Assert.Equal(stored.Conversation.Id, Assert.Single(await store.SearchAsync(workspace, SearchQuery.Parse("olga"), null, 10)).ConversationId);
    }
}
