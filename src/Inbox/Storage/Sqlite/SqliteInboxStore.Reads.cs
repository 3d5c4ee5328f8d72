using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>Each agent's read marker per conversation, and the unread counts they give.</summary>
public sealed partial class SqliteInboxStore
{
    private static Task InitializeReadsAsync(SqliteConnection connection, CancellationToken ct)
        => ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS conversation_reads (
                agent_id TEXT NOT NULL,
                conversation_id TEXT NOT NULL,
                read_up_to INTEGER NOT NULL,
                PRIMARY KEY (agent_id, conversation_id));
            """, ct);

    public Task<DateTimeOffset> MarkReadAsync(Guid agentId, Guid conversationId, DateTimeOffset readUpTo, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            // Two tabs marking out of order: the later marker wins, never the older.
            await ExecuteAsync(connection, transaction, """
                INSERT INTO conversation_reads (agent_id, conversation_id, read_up_to) VALUES ($agent, $conversation, $at)
                ON CONFLICT (agent_id, conversation_id) DO UPDATE SET read_up_to = MAX(read_up_to, excluded.read_up_to)
                """, ct, ("$agent", agentId.ToString()), ("$conversation", conversationId.ToString()), ("$at", readUpTo.UtcTicks));
            return FromTicks((await ScalarAsync<long>(connection, transaction,
                "SELECT read_up_to FROM conversation_reads WHERE agent_id = $agent AND conversation_id = $conversation", ct,
                ("$agent", agentId.ToString()), ("$conversation", conversationId.ToString()))));
        }, ct);

    public async Task<IReadOnlyDictionary<Guid, int>> UnreadCountsAsync(Guid agentId, IReadOnlyCollection<Guid> conversationIds, int cap,
        CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var counts = new Dictionary<Guid, int>();
        foreach (var conversationId in conversationIds)
        {
            // The primary key of conversation_reads, then a bounded range of ix_messages_timeline: a page costs one seek
            // per conversation however long its history.
            var count = await ScalarAsync<long>(connection, null, """
                SELECT COUNT(*) FROM (
                    SELECT 1 FROM messages
                    WHERE conversation_id = $conversation AND direction = 'inbound'
                      AND created_at > COALESCE((SELECT read_up_to FROM conversation_reads WHERE agent_id = $agent AND conversation_id = $conversation), -1)
                    LIMIT $cap)
                """, ct, ("$agent", agentId.ToString()), ("$conversation", conversationId.ToString()), ("$cap", cap));
            counts[conversationId] = (int)count;
        }
        return counts;
    }
}
