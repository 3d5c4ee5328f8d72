using Crm.Contracts;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>Reply windows and provider watermarks: reads over one conversation's newest messages (ix_messages_timeline).</summary>
public sealed partial class SqliteInboxStore
{
    // The kinds of CustomerEventKinds.OpensReplyWindow, for SQL.
    private static readonly string WindowOpeningEvents = string.Join(", ",
        new[] { CustomerEventKinds.Subscribed, CustomerEventKinds.Scanned, CustomerEventKinds.MenuClicked, CustomerEventKinds.Referral }.Select(k => $"'{k}'"));

    public async Task<ReplyWindowFacts> ReplyWindowFactsAsync(Guid conversationId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_messages_timeline, walked back from the newest message until the customer's last turn.
        var last = await ScalarAsync<long?>(connection, null, $"""
            SELECT created_at FROM messages
            WHERE conversation_id = $conversation AND direction = 'inbound'
              AND (extras_json IS NULL OR json_extract(extras_json, '$.event.kind') IS NULL
                   OR json_extract(extras_json, '$.event.kind') IN ({WindowOpeningEvents}))
            ORDER BY created_at DESC, id DESC LIMIT 1
            """, ct, ("$conversation", conversationId.ToString()));
        if (last is not { } lastTicks) return new ReplyWindowFacts(null, 0);
        var replies = await ScalarAsync<long>(connection, null, $"""
            SELECT COUNT(*) FROM messages
            WHERE conversation_id = $conversation AND created_at > $last AND direction = 'outbound'
              AND status_rank < {MessageStatuses.Rank(MessageStatuses.Failed)}
              AND (extras_json IS NULL OR json_extract(extras_json, '$.template') IS NULL)
            """, ct, ("$conversation", conversationId.ToString()), ("$last", lastTicks));
        return new ReplyWindowFacts(FromTicks(lastTicks), (int)replies);
    }

    public async Task<IReadOnlyList<Guid>> OutboundBelowStatusAsync(Guid workspaceId, string channel, string customerIdentity, string businessIdentity,
        DateTimeOffset from, DateTimeOffset to, string status, int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // customer_identities' primary key, ux_conversations_thread, then ix_messages_timeline over the watermark's span.
        await using var command = Command(connection, null, """
            SELECT m.id FROM messages m
            WHERE m.conversation_id = (
                    SELECT c.id FROM conversations c JOIN customer_identities i ON i.customer_id = c.customer_id
                    WHERE i.workspace_id = $workspace AND i.channel = $channel AND i.value = $customer
                      AND c.channel = $channel AND c.business_identity = $business)
              AND m.created_at >= $from AND m.created_at <= $to AND m.direction = 'outbound'
              AND m.status_rank >= $queued AND m.status_rank < $rank
            ORDER BY m.created_at DESC LIMIT $take
            """, [("$workspace", workspaceId.ToString()), ("$channel", channel), ("$customer", customerIdentity), ("$business", businessIdentity),
                ("$from", from.UtcTicks), ("$to", to.UtcTicks), ("$queued", MessageStatuses.Rank(MessageStatuses.Queued)),
                ("$rank", MessageStatuses.Rank(status)), ("$take", take)]);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(ct)) ids.Add(Guid.Parse(reader.GetString(0)));
        return ids;
    }
}
