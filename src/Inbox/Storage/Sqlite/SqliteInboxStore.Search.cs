using Crm.Inbox.Search;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// Full-text search. Two FTS5 tables keyed by the rowid of the row they index, each written in the same transaction
/// as that row (no triggers): <c>message_search</c> holds message text (word tokens, diacritics removed, prefix
/// match) and the message's workspace as one token, so the index itself intersects "this workspace" with the words
/// (a small workspace in a big file never reads the big one's matches); <c>conversation_search</c> the customer's name
/// and identity (trigrams, so "5550100" finds part of a phone number).
/// </summary>
public sealed partial class SqliteInboxStore
{
    private const string InsertMessageSearchSql =
        "INSERT INTO message_search (rowid, text, workspace) VALUES (last_insert_rowid(), $text, $workspace)";

    private static async Task InitializeSearchAsync(SqliteConnection connection, CancellationToken ct)
    {
        // Files from before the workspace column have their message index built again, once (seconds per million messages).
        var messageSearch = await ScalarAsync<string>(connection, null, "SELECT sql FROM sqlite_master WHERE name = 'message_search'", ct);
        if (messageSearch is null || !messageSearch.Contains("workspace", StringComparison.Ordinal))
        {
            await ExecuteAsync(connection, null, $"""
                BEGIN IMMEDIATE;
                DROP TABLE IF EXISTS message_search;
                CREATE VIRTUAL TABLE message_search USING fts5(text, workspace, tokenize = 'unicode61 remove_diacritics 2');
                INSERT INTO message_search (rowid, text, workspace)
                    SELECT rowid, text, replace(workspace_id, '-', '') FROM messages
                    WHERE text IS NOT NULL AND text <> '' AND direction <> '{Directions.Activity}';
                COMMIT;
                """, ct);
        }
        if (await ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'conversation_search'", ct) == 0)
        {
            // Existing rows are indexed once, in the transaction that creates the table.
            await ExecuteAsync(connection, null, """
                BEGIN IMMEDIATE;
                CREATE VIRTUAL TABLE conversation_search USING fts5(who, tokenize = 'trigram remove_diacritics 1');
                INSERT INTO conversation_search (rowid, who)
                    SELECT rowid, COALESCE(customer_name, '') || ' ' || customer_identity FROM conversations;
                COMMIT;
                """, ct);
        }
    }

    /// <summary>The workspace as the single token <c>message_search</c> holds it (32 hex digits, what <c>replace(id, '-', '')</c> gives).</summary>
    private static string WorkspaceToken(Guid workspaceId) => workspaceId.ToString("N");

    /// <summary>Indexes the message just inserted on this connection (called right after its INSERT changed a row).</summary>
    private async Task IndexInsertedMessageAsync(SqliteConnection connection, SqliteTransaction transaction, TimelineMessage message, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(message.Text) || message.Direction == Directions.Activity) return;
        var insert = Reused(connection, transaction, InsertMessageSearchSql);
        SetParameters(insert, ("$text", message.Text), ("$workspace", WorkspaceToken(message.WorkspaceId)));
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

        // Customers first, then messages: a cursor on a message of this workspace continues the messages after it,
        // any other cursor (a conversation's) the customers after it.
        var afterMessage = after is { } cursor
            ? await ScalarAsync<long?>(connection, null, "SELECT rowid FROM messages WHERE id = $id AND workspace_id = $workspace", ct,
                ("$id", cursor.Id.ToString()), ("$workspace", workspaceId.ToString()))
            : null;

        if (afterMessage is null && TrigramMatch(query) is { } trigrams)
        {
            await using var command = Command(connection, null, ConversationSearchSql,
                ("$workspace", workspaceId.ToString()), ("$take", take), ("$match", trigrams),
                ("$at", after?.At.UtcTicks ?? long.MaxValue), ("$id", after?.Id.ToString() ?? "~"));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                hits.Add(new SearchHit(Guid.Parse(reader.GetString(0)), NullableString(reader, 1), reader.GetString(2), null, null, FromTicks(reader.GetInt64(3))));
        }

        if (hits.Count < take && await WordMatchAsync(connection, workspaceId, query, ct) is { } match)
        {
            await using var command = Command(connection, null, MessageSearchSql,
                ("$workspace", workspaceId.ToString()), ("$take", take - hits.Count), ("$match", match), ("$before", afterMessage ?? long.MaxValue));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                hits.Add(new SearchHit(Guid.Parse(reader.GetString(1)), NullableString(reader, 2), reader.GetString(3),
                    Guid.Parse(reader.GetString(0)), reader.GetString(4), FromTicks(reader.GetInt64(5))));
        }
        return hits;
    }

    // The FTS index yields the matching rowids newest stored first (rowid order, which it keeps: no sort), already
    // intersected with the workspace's token, from below the cursor's rowid; each is joined by rowid (no scan), and
    // SQLite stops after $take. Snippets are made for those rows only. CROSS JOIN keeps SQLite from starting at a
    // table's index instead. A test pins the query plan. (The workspace test on m is a second guard, not the filter.)
    internal const string MessageSearchSql = """
        SELECT m.id, m.conversation_id, c.customer_name, c.channel, snippet(message_search, 0, '', '', '…', 16), m.created_at
        FROM message_search
        CROSS JOIN messages m ON m.rowid = message_search.rowid
        CROSS JOIN conversations c ON c.id = m.conversation_id
        WHERE message_search MATCH $match AND message_search.rowid < $before AND m.workspace_id = $workspace
        ORDER BY message_search.rowid DESC LIMIT $take
        """;

    internal const string ConversationSearchSql = """
        SELECT c.id, c.customer_name, c.channel, c.last_message_at
        FROM conversation_search
        CROSS JOIN conversations c ON c.rowid = conversation_search.rowid
        WHERE conversation_search MATCH $match AND c.workspace_id = $workspace AND (c.last_message_at, c.id) < ($at, $id)
        ORDER BY c.last_message_at DESC, c.id DESC LIMIT $take
        """;

    /// <summary>
    /// Most words a last term may stand for before the plain prefix query is used instead (a short prefix of many words,
    /// "a" say, still merges their lists, every workspace's: the one search here whose cost grows with the file).
    /// </summary>
    private const int MaxPrefixWords = 16;

    /// <summary>
    /// The FTS5 query: the workspace's token AND every term as a quoted string in the text column (literal, whatever
    /// it holds), the last one a prefix; null when the prefix is no word's (nothing can match).
    /// A prefix query makes FTS5 merge the whole lists of every word it covers before the first row (60 ms for a word
    /// in each of 1M messages), while words it lists stream; so a last term of ASCII letters and digits (folded exactly
    /// as the index folds it) is replaced by the words it begins, when they are few, read from the index's vocabulary.
    /// </summary>
    internal static async Task<string?> WordMatchAsync(SqliteConnection connection, Guid workspaceId, SearchQuery query, CancellationToken ct)
    {
        var words = query.Terms.Take(query.Terms.Count - 1).Select(Quote).ToList();
        var last = query.Terms[^1];
        if (last.All(char.IsAsciiLetterOrDigit) && await WordsBeginningAsync(connection, last.ToLowerInvariant(), ct) is { } completions)
        {
            if (completions.Count == 0) return null;
            words.Add("(" + string.Join(" OR ", completions.Select(Quote)) + ")");
        }
        else
        {
            words.Add(Quote(last) + "*");
        }
        return $"workspace : {Quote(WorkspaceToken(workspaceId))} AND text : ({string.Join(" AND ", words)})";
    }

    /// <summary>The indexed words that begin with <paramref name="prefix"/>, or null when there are more than <see cref="MaxPrefixWords"/>.</summary>
    private static async Task<List<string>?> WordsBeginningAsync(SqliteConnection connection, string prefix, CancellationToken ct)
    {
        await ExecuteAsync(connection, null, "CREATE VIRTUAL TABLE IF NOT EXISTS temp.message_words USING fts5vocab(main, message_search, 'instance')", ct);
        var words = new List<string>();
        await using var command = Command(connection, null, WordsBeginningSql, ("$prefix", prefix), ("$length", prefix.Length), ("$most", MaxPrefixWords + 1));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) words.Add(reader.GetString(0));
        return words.Count > MaxPrefixWords ? null : words;
    }

    // One seek per word, in one statement: 'instance' rows are read lazily, so "term >= x LIMIT 1" finds the first
    // word from x on without reading its list (a 'row' vocabulary counts each word's documents, and "term > x" walks
    // every instance of x: both read a common word's whole list). Words never hold a control character, so
    // x || char(1) is the first key after the word x. Stops at the first word without the prefix, or at $most.
    private const string WordsBeginningSql = """
        WITH RECURSIVE words(term, n) AS (
            SELECT (SELECT term FROM temp.message_words WHERE term >= $prefix LIMIT 1), 1
            UNION ALL
            SELECT (SELECT next.term FROM temp.message_words next WHERE next.term >= words.term || char(1) LIMIT 1), n + 1
            FROM words WHERE n < $most AND substr(words.term, 1, $length) = $prefix)
        SELECT term FROM words WHERE substr(term, 1, $length) = $prefix
        """;

    /// <summary>Terms trigrams can find (3 characters or more), each a quoted substring; null when there are none.</summary>
    internal static string? TrigramMatch(SearchQuery query)
    {
        var terms = query.Terms.Where(term => term.Length >= 3).Select(Quote).ToList();
        return terms.Count == 0 ? null : string.Join(" ", terms);
    }

    private static string Quote(string term) => "\"" + term.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
