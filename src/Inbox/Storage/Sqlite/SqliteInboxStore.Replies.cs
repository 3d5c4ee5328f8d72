using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// The reply outbox: a reply's dispatch state lives on its own row in <c>messages</c>. A row is in the
/// outbox while <c>dispatch_due_at</c> is set; settling it (an outcome, or the give-up sweep) clears it.
/// </summary>
public sealed partial class SqliteInboxStore : IReplyOutbox
{
    private static readonly (string Name, string Definition)[] ReplyColumns =
    [
        ("resend_of", "TEXT"),
        ("dispatch_to", "TEXT"),
        ("dispatch_from", "TEXT"),
        ("dispatch_attempt", "INTEGER NOT NULL DEFAULT 0"),
        ("dispatch_due_at", "INTEGER"),
        ("dispatch_not_after", "INTEGER"),
        // 1 once the current attempt was handed to the bus; a live claim also counts as "maybe handed".
        ("dispatch_handed", "INTEGER NOT NULL DEFAULT 0"),
        ("dispatch_claim", "TEXT"),
        ("dispatch_sends", "INTEGER NOT NULL DEFAULT 0"),
        ("dispatch_refusals", "INTEGER NOT NULL DEFAULT 0"),
    ];

    private const string DispatchColumns =
        "id, conversation_id, channel, dispatch_to, dispatch_from, text, dispatch_attempt, dispatch_not_after, dispatch_claim, dispatch_handed, dispatch_sends, dispatch_refusals";

    private static async Task InitializeRepliesAsync(SqliteConnection connection, CancellationToken ct)
    {
        await AddMissingColumnsAsync(connection, "messages", ReplyColumns, ct);

        await ExecuteAsync(connection, null, """
            -- Partial indexes: only replies still in the outbox are in them, so they stay small.
            -- The dispatcher's "what is due" query.
            CREATE INDEX IF NOT EXISTS ix_messages_dispatch_due ON messages(dispatch_due_at) WHERE dispatch_due_at IS NOT NULL;
            -- The give-up sweep's "what is overdue" query.
            CREATE INDEX IF NOT EXISTS ix_messages_dispatch_deadline ON messages(dispatch_not_after) WHERE dispatch_due_at IS NOT NULL;
            -- A reply is resent at most once (a double click must not message the customer twice).
            CREATE UNIQUE INDEX IF NOT EXISTS ux_messages_resend_of ON messages(resend_of) WHERE resend_of IS NOT NULL;
            """, ct);
    }

    public Task<bool> AppendReplyAsync(TimelineMessage reply, OutboundReply outbound, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var inserted = await ExecuteAsync(connection, transaction, """
                INSERT INTO messages (id, conversation_id, customer_id, channel, direction, channel_message_id, text, media_json,
                                      location_json, button_json, raw_json, status, error_code, agent, created_at, status_updated_at,
                                      resend_of, business_identity, status_rank, workspace_id, extras_json,
                                      dispatch_to, dispatch_from, dispatch_attempt, dispatch_due_at, dispatch_not_after)
                VALUES ($id, $conversation, $customer, $channel, $direction, NULL, $text, $media, NULL, NULL, $raw,
                        $status, NULL, $agent, $created, $created, $resendOf, $business, $rank, $workspace, $extras,
                        $to, $from, 1, $created, $notAfter)
                ON CONFLICT DO NOTHING
                """, ct,
                ("$id", reply.Id.ToString()), ("$conversation", reply.ConversationId.ToString()),
                ("$customer", reply.CustomerId.ToString()), ("$channel", reply.Channel), ("$direction", reply.Direction),
                ("$text", reply.Text), ("$media", JsonSerializer.Serialize(reply.Media, Json)), ("$raw", JsonSerializer.Serialize(reply.RawFields, Json)),
                ("$status", reply.Status), ("$agent", reply.Agent), ("$created", reply.CreatedAt.UtcTicks),
                ("$resendOf", reply.ResendOf?.ToString()), ("$business", reply.BusinessIdentity), ("$rank", MessageStatuses.Rank(reply.Status)),
                ("$workspace", reply.WorkspaceId.ToString()), ("$extras", ExtrasJson(reply)), ("$to", outbound.To), ("$from", outbound.From), ("$notAfter", outbound.NotAfter.UtcTicks));
            // Nothing was written when it was refused (the original was already resent): committing is harmless.
            if (inserted == 0) return false;
            await IndexInsertedMessageAsync(connection, transaction, reply, ct);
            await MoveLastActivityAsync(connection, transaction, reply, ct);
            await WriteReplyBehaviourAsync(connection, transaction, reply, ct);
            // Answered: the customer no longer waits (ix_conversations_workspace_waiting drops it).
            await ExecuteAsync(connection, transaction, "UPDATE conversations SET waiting_since = NULL WHERE id = $id AND waiting_since IS NOT NULL", ct,
                ("$id", reply.ConversationId.ToString()));
            return true;
        }, ct);

    public async Task<TimelineMessage?> FindResendAsync(Guid originalId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ux_messages_resend_of
        var id = await ScalarAsync<string>(connection, null, "SELECT id FROM messages WHERE resend_of = $original", ct,
            ("$original", originalId.ToString()));
        return id is null ? null : await GetMessageAsync(connection, Guid.Parse(id), ct);
    }

    public async Task<IReadOnlyList<ReplyDispatch>> ClaimDueRepliesAsync(DateTimeOffset now, TimeSpan lease, int take, CancellationToken ct = default)
    {
        // Most polls find nothing: answer those from a read, without taking the write lock from ingest.
        await using (var reader = await OpenAsync(ct))
            if (await ScalarAsync<long>(reader, null, """
            SELECT EXISTS (SELECT 1 FROM messages
                           WHERE dispatch_due_at IS NOT NULL AND dispatch_due_at <= $now AND dispatch_not_after > $now)
            """, ct, ("$now", now.UtcTicks)) == 0) return [];

        // On the writer (BEGIN IMMEDIATE): the write lock is held from the read on, so two processes never claim the same row.
        return await WriteAsync(async (connection, transaction) =>
        {
                var due = new List<ReplyDispatch>();
                // ix_messages_dispatch_due
                await using (var command = Command(connection, transaction, $"""
                SELECT {DispatchColumns}, workspace_id,
                    (SELECT connection_id FROM conversations WHERE conversations.id = messages.conversation_id), extras_json
                FROM messages
                WHERE dispatch_due_at IS NOT NULL AND dispatch_due_at <= $now AND dispatch_not_after > $now
                ORDER BY dispatch_due_at LIMIT $take
                """, ("$now", now.UtcTicks), ("$take", take)))
                await using (var reader = await command.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct))
                    {
                        due.Add(new ReplyDispatch(
                            Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                            NullableString(reader, 4), reader.GetString(5), reader.GetInt32(6), FromTicks(reader.GetInt64(7)),
                            ClaimToken: Guid.NewGuid().ToString("N"), reader.GetInt32(10), reader.GetInt32(11))
                        {
                            WorkspaceId = WorkspaceOf(reader, 12),
                            ConnectionId = NullableString(reader, 13) is { } connectionId ? Guid.Parse(connectionId) : null,
                            Extras = NullableString(reader, 14) is { } extras ? JsonSerializer.Deserialize<TimelineExtras>(extras, Json) : null,
                        });
                    }
                }

                foreach (var claim in due)
                {
                    // A claim still set here belongs to a dispatcher that died mid-send: that attempt may be on the bus.
                    await ExecuteAsync(connection, transaction, """
                    UPDATE messages SET dispatch_due_at = $leaseEnd, dispatch_claim = $token,
                        dispatch_handed = CASE WHEN dispatch_claim IS NOT NULL THEN 1 ELSE dispatch_handed END
                    WHERE id = $id
                    """, ct,
                        ("$id", claim.MessageId.ToString()), ("$leaseEnd", (now + lease).UtcTicks), ("$token", claim.ClaimToken));
                }
                return (IReadOnlyList<ReplyDispatch>)due;
        }, ct);
    }

    public Task<bool> MarkHandedOverAsync(ReplyDispatch claimed, DateTimeOffset redispatchAt, CancellationToken ct = default)
        => ReleaseClaimAsync(claimed, redispatchAt, "dispatch_handed = 1, dispatch_sends = dispatch_sends + 1", ct);

    public Task<bool> MarkBusRefusedAsync(ReplyDispatch claimed, DateTimeOffset retryAt, CancellationToken ct = default)
        => ReleaseClaimAsync(claimed, retryAt, "dispatch_refusals = dispatch_refusals + 1", ct);

    private Task<bool> ReleaseClaimAsync(ReplyDispatch claimed, DateTimeOffset dueAt, string changes, CancellationToken ct)
        => WriteAsync(async (connection, transaction) =>
        {
            var changed = await ExecuteAsync(connection, transaction, $"""
                UPDATE messages SET {changes}, dispatch_claim = NULL, dispatch_due_at = $due
                WHERE id = $id AND dispatch_claim = $token AND dispatch_attempt = $attempt AND dispatch_due_at IS NOT NULL
                """, ct,
                ("$id", claimed.MessageId.ToString()), ("$token", claimed.ClaimToken), ("$attempt", claimed.Attempt), ("$due", dueAt.UtcTicks));
            return changed == 1;
        }, ct);

    public Task<TimelineMessage?> ScheduleNextAttemptAsync(Guid messageId, int failedAttempt, DateTimeOffset nextAttemptAt, DateTimeOffset at, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var changed = await ExecuteAsync(connection, transaction, """
                UPDATE messages SET status = $status, status_rank = $rank, status_updated_at = $at,
                    dispatch_attempt = dispatch_attempt + 1, dispatch_due_at = $next, dispatch_claim = NULL,
                    dispatch_handed = 0, dispatch_sends = 0, dispatch_refusals = 0
                WHERE id = $id AND dispatch_attempt = $attempt AND dispatch_due_at IS NOT NULL AND status_rank <= $rank
                """, ct,
                ("$id", messageId.ToString()), ("$attempt", failedAttempt), ("$next", nextAttemptAt.UtcTicks), ("$at", at.UtcTicks),
                ("$status", MessageStatuses.Retrying), ("$rank", MessageStatuses.Rank(MessageStatuses.Retrying)));
            return changed == 0 ? null : await GetMessageAsync(connection, transaction, messageId, ct);
        }, ct);

    public async Task<IReadOnlyList<TimelineMessage>> GiveUpOverdueRepliesAsync(DateTimeOffset deadlineBefore, DateTimeOffset now, int take, CancellationToken ct = default)
    {
        await using (var reader = await OpenAsync(ct))
            if (await ScalarAsync<long>(reader, null, """
            SELECT EXISTS (SELECT 1 FROM messages WHERE dispatch_due_at IS NOT NULL AND dispatch_not_after < $before)
            """, ct, ("$before", deadlineBefore.UtcTicks)) == 0) return [];

        return await WriteAsync(async (connection, transaction) =>
        {
                var overdue = new List<Guid>();
                var settledIds = new List<Guid>();
                // ix_messages_dispatch_deadline
                await using (var command = Command(connection, transaction, """
                SELECT id FROM messages
                WHERE dispatch_due_at IS NOT NULL AND dispatch_not_after < $before
                ORDER BY dispatch_not_after LIMIT $take
                """, ("$before", deadlineBefore.UtcTicks), ("$take", take)))
                await using (var reader = await command.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct)) overdue.Add(Guid.Parse(reader.GetString(0)));
                }

                foreach (var id in overdue)
                {
                    // Only pending or retrying replies are settled here; anything further along just leaves the outbox.
                    var moved = await ExecuteAsync(connection, transaction, """
                    UPDATE messages SET
                        status = CASE WHEN dispatch_handed = 1 OR dispatch_claim IS NOT NULL THEN $unknown ELSE $failed END,
                        status_rank = CASE WHEN dispatch_handed = 1 OR dispatch_claim IS NOT NULL THEN $unknownRank ELSE $failedRank END,
                        error_code = CASE WHEN dispatch_handed = 1 OR dispatch_claim IS NOT NULL THEN error_code ELSE $notDispatched END,
                        status_updated_at = $now
                    WHERE id = $id AND status_rank <= $retryingRank
                    """, ct,
                        ("$id", id.ToString()), ("$now", now.UtcTicks), ("$retryingRank", MessageStatuses.Rank(MessageStatuses.Retrying)),
                        ("$unknown", MessageStatuses.UnknownOutcome), ("$unknownRank", MessageStatuses.Rank(MessageStatuses.UnknownOutcome)),
                        ("$failed", MessageStatuses.Failed), ("$failedRank", MessageStatuses.Rank(MessageStatuses.Failed)),
                        ("$notDispatched", SendFailures.NotDispatched));
                    if (moved == 1) settledIds.Add(id);
                    await ExecuteAsync(connection, transaction,
                        "UPDATE messages SET dispatch_due_at = NULL, dispatch_claim = NULL WHERE id = $id", ct, ("$id", id.ToString()));
                }

                var settled = new List<TimelineMessage>();
                foreach (var id in settledIds)
                {
                    if (await GetMessageAsync(connection, transaction, id, ct) is { } message) settled.Add(message);
                }
                return (IReadOnlyList<TimelineMessage>)settled;
        }, ct);
    }
}
