using Crm.Inbox.Search;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// Full-text search. Two FTS5 tables keyed by the rowid of the row they index, each written in the same transaction
/// as that row (no triggers): <c>message_search</c> holds message text (word tokens, diacritics removed, prefix
/// match), <c>conversation_search</c> the customer's name and identity (trigrams, so "5550100" finds part of a phone number).
/// </summary>
public sealed partial class SqliteInboxStore
{
    private const string InsertMessageSearchSql = "INSERT INTO message_search (rowid, text) VALUES (last_insert_rowid(), $text)";

    private static async Task InitializeSearchAsync(SqliteConnection connection, CancellationToken ct)
    {
        if (await ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'message_search'", ct) == 0)
        {
            // Existing rows are indexed once, in the transaction that creates the tables.
            await ExecuteAsync(connection, null, $"""
                BEGIN IMMEDIATE;
                CREATE VIRTUAL TABLE message_search USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
                CREATE VIRTUAL TABLE conversation_search USING fts5(who, tokenize = 'trigram remove_diacritics 1');
                INSERT INTO message_search (rowid, text)
                    SELECT rowid, text FROM messages WHERE text IS NOT NULL AND text <> '' AND direction <> '{Directions.Activity}';
                INSERT INTO conversation_search (rowid, who)
                    SELECT rowid, COALESCE(customer_name, '') || ' ' || customer_identity FROM conversations;
                COMMIT;
                """, ct);
        }
    }

    /// <summary>Indexes the message just inserted on this connection (called right after its INSERT changed a row).</summary>
    private async Task IndexInsertedMessageAsync(SqliteConnection connection, SqliteTransaction transaction, TimelineMessage message, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(message.Text) || message.Direction == Directions.Activity) return;
        var insert = Reused(connection, transaction, InsertMessageSearchSql);
        SetParameters(insert, ("$text", message.Text));
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Indexes the conversation just inserted on this connection.</summary>
    private static Task<int> IndexInsertedConversationAsync(SqliteConnection connection, SqliteTransaction transaction, Conversation conversation, CancellationToken ct)
        => ExecuteAsync(connection, transaction, "INSERT INTO conversation_search (rowid, who) VALUES (last_insert_rowid(), $who)", ct,
            ("$who", $"{conversation.CustomerName} {conversation.CustomerIdentity}"));

    /// <summary>A renamed customer's conversations are indexed again under the new name (renames are rare).</summary>
    private static async Task ReindexCustomerConversationsAsync(SqliteConnection connection, SqliteTransaction transaction, Guid customerId, CancellationToken ct)
    {
        // ix_conversations_customer
        await ExecuteAsync(connection, transaction, """
            DELETE FROM conversation_search WHERE rowid IN (SELECT rowid FROM conversations WHERE customer_id = $id);
            INSERT INTO conversation_search (rowid, who)
                SELECT rowid, COALESCE(customer_name, '') || ' ' || customer_identity FROM conversations WHERE customer_id = $id;
            """, ct, ("$id", customerId.ToString()));
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(Guid workspaceId, SearchQuery query, PageCursor? after, int take, CancellationToken ct = default)
    {
        if (query.IsEmpty || take <= 0) return [];
        await using var connection = await OpenAsync(ct);
        var hits = new List<SearchHit>();
        var parameters = new (string, object?)[]
        {
            ("$workspace", workspaceId.ToString()), ("$take", take),
            ("$at", after?.At.UtcTicks ?? long.MaxValue), ("$id", after?.Id.ToString() ?? "~"),
        };

        await using (var command = Command(connection, null, MessageSearchSql, [.. parameters, ("$match", WordMatch(query))]))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                hits.Add(new SearchHit(Guid.Parse(reader.GetString(1)), NullableString(reader, 2), reader.GetString(3),
                    Guid.Parse(reader.GetString(0)), reader.GetString(4), FromTicks(reader.GetInt64(5))));
        }

        if (TrigramMatch(query) is { } trigrams)
        {
            await using var command = Command(connection, null, ConversationSearchSql, [.. parameters, ("$match", trigrams)]);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                hits.Add(new SearchHit(Guid.Parse(reader.GetString(0)), NullableString(reader, 1), reader.GetString(2), null, null, FromTicks(reader.GetInt64(3))));
        }

        hits.Sort(SearchHit.NewestFirst);
        return hits.Count > take ? hits[..take] : hits;
    }

    // The FTS index yields the matching rowids; each is joined by rowid (no scan), filtered to the workspace and
    // the cursor, and only the matches are sorted. CROSS JOIN keeps SQLite from starting at the workspace's index
    // instead (it did on a small table), which would read every row of the workspace. A test pins the query plans.
    // The page is chosen first carrying only sort keys and rowids; names and snippets are made for its rows alone, not
    // for every match (a word in every message would otherwise have a snippet made for each of them).
    internal const string MessageSearchSql = """
        WITH page AS (
            SELECT m.rowid AS message_rowid, m.created_at, m.id
            FROM message_search
            CROSS JOIN messages m ON m.rowid = message_search.rowid
            WHERE message_search MATCH $match AND m.workspace_id = $workspace AND (m.created_at, m.id) < ($at, $id)
            ORDER BY m.created_at DESC, m.id DESC LIMIT $take)
        SELECT m.id, m.conversation_id, c.customer_name, c.channel, snippet(message_search, 0, '', '', '…', 16), m.created_at
        FROM page
        CROSS JOIN message_search ON message_search.rowid = page.message_rowid
        CROSS JOIN messages m ON m.rowid = page.message_rowid
        CROSS JOIN conversations c ON c.id = m.conversation_id
        WHERE message_search MATCH $match
        ORDER BY page.created_at DESC, page.id DESC
        """;

    internal const string ConversationSearchSql = """
        SELECT c.id, c.customer_name, c.channel, c.last_message_at
        FROM conversation_search
        CROSS JOIN conversations c ON c.rowid = conversation_search.rowid
        WHERE conversation_search MATCH $match AND c.workspace_id = $workspace AND (c.last_message_at, c.id) < ($at, $id)
        ORDER BY c.last_message_at DESC, c.id DESC LIMIT $take
        """;

    /// <summary>Every term as a quoted FTS5 string (literal, whatever it holds), the last one a prefix.</summary>
    internal static string WordMatch(SearchQuery query)
        => string.Join(" ", query.Terms.Select((term, i) => Quote(term) + (i == query.Terms.Count - 1 ? "*" : "")));

    /// <summary>Terms trigrams can find (3 characters or more), each a quoted substring; null when there are none.</summary>
    internal static string? TrigramMatch(SearchQuery query)
    {
        var terms = query.Terms.Where(term => term.Length >= 3).Select(Quote).ToList();
        return terms.Count == 0 ? null : string.Join(" ", terms);
    }

    private static string Quote(string term) => "\"" + term.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
