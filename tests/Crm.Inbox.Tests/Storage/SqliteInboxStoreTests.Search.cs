using Crm.Contracts;
using Crm.Inbox.Search;
using Crm.Inbox.Storage.Sqlite;

namespace Crm.Inbox.Tests.Storage;

public sealed partial class SqliteInboxStoreTests
{
    [Theory]
    [InlineData(nameof(SqliteInboxStore.MessageSearchSql), "SCAN message_search VIRTUAL TABLE INDEX", "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)")]
    [InlineData(nameof(SqliteInboxStore.ConversationSearchSql), "SCAN conversation_search VIRTUAL TABLE INDEX 0:M", "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)")]
    public async Task A_search_reads_the_full_text_index_and_joins_by_rowid_without_scanning_a_table(string query, string ftsStep, string joinStep)
    {
        var plan = await QueryPlanAsync(query);

        // The FTS index finds the matches first; every table is a lookup, never a scan (only the page just chosen is read in full).
        Assert.StartsWith(ftsStep, plan.First(step => step.StartsWith("SCAN ", StringComparison.Ordinal)));
        Assert.Contains(joinStep, plan);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN ", StringComparison.Ordinal)
            && !step.Contains("VIRTUAL TABLE", StringComparison.Ordinal) && step != "SCAN page");
    }

    [Fact]
    public async Task A_message_search_streams_the_index_in_rowid_order_instead_of_sorting_every_match()
    {
        var plan = await QueryPlanAsync(nameof(SqliteInboxStore.MessageSearchSql));

        // No sort step: FTS5 yields rowids newest first and SQLite stops after the page, however many messages match.
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.StartsWith("SCAN message_search VIRTUAL TABLE INDEX", StringComparison.Ordinal) && step.Contains(":M", StringComparison.Ordinal));
    }

    private async Task<List<string>> QueryPlanAsync(string query)
    {
        await CreateStoreAsync();
        var sql = (string)typeof(SqliteInboxStore).GetField(query, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "$workspace", "$at", "$id", "$take", "$match", "$before" })
            if (sql.Contains(name, StringComparison.Ordinal))
                command.Parameters.AddWithValue(name, name is "$at" or "$take" or "$before" ? 1 : "x");

        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
        return plan;
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
        Assert.Empty(await store.SearchAsync(workspace, SearchQuery.Parse("invoicez"), null, 10));
    }

    [Fact]
    public async Task A_last_term_that_begins_many_words_finds_them_all_as_one_that_begins_few_does()
    {
        var store = await CreateStoreAsync();
        var workspace = Guid.NewGuid();
        // More words begin with "code" than the store lists one by one (it falls back to the prefix query); ten begin with "code1".
        var stored = await store.AppendInboundBatchAsync([.. Enumerable.Range(0, 30).Select(i => Arrival($"SMc{i}", $"your code{i:00}x is ready", workspace))]);

        Assert.Equal(30, (await store.SearchAsync(workspace, SearchQuery.Parse("ready code"), null, 50)).Count);
        Assert.Equal(stored.Skip(10).Take(10).Select(s => (Guid?)s.Message.Id).Reverse(),
            (await store.SearchAsync(workspace, SearchQuery.Parse("ready code1"), null, 50)).Select(h => h.MessageId));
    }

    [Fact]
    public async Task A_last_term_matches_words_whose_diacritics_the_index_removed_whether_typed_with_them_or_not()
    {
        var store = await CreateStoreAsync();
        var workspace = Guid.NewGuid();
        var stored = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMé1", "Un café crème", workspace)]));

        Assert.Equal(stored.Message.Id, Assert.Single(await store.SearchAsync(workspace, SearchQuery.Parse("CRE"), null, 10)).MessageId);
        Assert.Equal(stored.Message.Id, Assert.Single(await store.SearchAsync(workspace, SearchQuery.Parse("crè"), null, 10)).MessageId);
        Assert.Equal(stored.Message.Id, Assert.Single(await store.SearchAsync(workspace, SearchQuery.Parse("cafe"), null, 10)).MessageId);
    }

    [Fact]
    public async Task Words_only_in_another_workspace_count_for_nothing_in_this_one()
    {
        var store = await CreateStoreAsync();
        var mine = Guid.NewGuid();
        var other = Guid.NewGuid();
        await store.AppendInboundBatchAsync([Arrival("SMo1", "parcel lost", other), Arrival("SMo2", "parcels lost", other)]);
        var stored = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMo3", "parcelforce lost", mine)]));

        Assert.Equal(stored.Message.Id, Assert.Single(await store.SearchAsync(mine, SearchQuery.Parse("parcel"), null, 10)).MessageId);
        // The workspace's own token is not text: its hex digits find nothing.
        Assert.Empty(await store.SearchAsync(mine, SearchQuery.Parse(mine.ToString("N")), null, 10));
    }

    private static InboundMessageReceived Arrival(string sid, string text, Guid workspace) => new(Channels.WhatsApp, sid, "+14155550100", "Alice",
        "+14155238886", text, [], null, null, new Dictionary<string, string>(), DateTimeOffset.UtcNow) { WorkspaceId = workspace };

    [Fact]
    public async Task A_file_indexed_without_workspaces_has_its_messages_indexed_again_once_on_start()
    {
        var before = await CreateStoreAsync();
        var workspace = Guid.NewGuid();
        var stored = Assert.Single(await before.AppendInboundBatchAsync([Arrival("SMv1", "an old complaint", workspace)]));
        await using (var connection = await OpenAsync())
            await ExecuteAsync(connection, """
                DROP TABLE message_search;
                CREATE VIRTUAL TABLE message_search USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
                INSERT INTO message_search (rowid, text) SELECT rowid, text FROM messages;
                """);

        var store = await CreateStoreAsync();

        Assert.Equal(stored.Message.Id, Assert.Single(await store.SearchAsync(workspace, SearchQuery.Parse("complaint"), null, 10)).MessageId);
    }

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
