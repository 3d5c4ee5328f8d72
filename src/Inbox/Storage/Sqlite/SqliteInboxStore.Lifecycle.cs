using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>The conversation lifecycle: status, snooze and priority, each change recorded on the timeline.</summary>
public sealed partial class SqliteInboxStore
{
    public Task<ConversationChanged?> ChangeConversationAsync(Guid conversationId, string? status, DateTimeOffset? snoozedUntil, string? priority,
        string? actor, DateTimeOffset at, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var found = await QueryConversationsAsync(connection, transaction,
                $"SELECT {ConversationColumns} FROM conversations WHERE id = $id", ct, ("$id", conversationId.ToString()));
            if (found.Count == 0) return null;
            var (after, entries) = ConversationLifecycle.Change(found[0], status, snoozedUntil, priority, actor, at);
            if (entries.Count == 0) return new ConversationChanged(after, []);
            await SaveChangeAsync(connection, transaction, after, entries, ct);
            return new ConversationChanged(after, entries);
        }, ct);

    public Task<IReadOnlyList<ConversationChanged>> WakeSnoozedAsync(DateTimeOffset now, int take, CancellationToken ct = default)
        => WriteAsync<IReadOnlyList<ConversationChanged>>(async (connection, transaction) =>
        {
            // ix_conversations_snoozed
            var due = await QueryConversationsAsync(connection, transaction, $"""
                SELECT {ConversationColumns} FROM conversations WHERE status = 'snoozed' AND snoozed_until <= $now
                ORDER BY snoozed_until LIMIT $take
                """, ct, ("$now", now.UtcTicks), ("$take", take));
            var woken = new List<ConversationChanged>();
            foreach (var conversation in due)
            {
                var (after, entries) = ConversationLifecycle.Change(conversation, ConversationStatuses.Open, null, null, null, now);
                await SaveChangeAsync(connection, transaction, after, entries, ct);
                woken.Add(new ConversationChanged(after, entries));
            }
            return woken;
        }, ct);

    private async Task SaveChangeAsync(SqliteConnection connection, SqliteTransaction transaction, Conversation after,
        IReadOnlyList<TimelineMessage> entries, CancellationToken ct)
    {
        await SaveLifecycleAsync(connection, transaction, after, ct);
        foreach (var entry in entries) await InsertMessageAsync(connection, transaction, entry, ct);
    }

    private Task<int> SaveLifecycleAsync(SqliteConnection connection, SqliteTransaction transaction, Conversation conversation, CancellationToken ct)
    {
        // Primary key.
        var update = Reused(connection, transaction,
            "UPDATE conversations SET status = $status, snoozed_until = $until, priority = $priority, waiting_since = $waiting, queued_at = $queued WHERE id = $id");
        SetParameters(update, ("$id", conversation.Id.ToString()), ("$status", conversation.Status), ("$queued", conversation.QueuedAt?.UtcTicks),
            ("$until", conversation.SnoozedUntil?.UtcTicks), ("$priority", conversation.Priority), ("$waiting", conversation.WaitingSince?.UtcTicks));
        return update.ExecuteNonQueryAsync(ct);
    }
}
