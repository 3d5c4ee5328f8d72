using Crm.Inbox.Timelines;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// The conversation lifecycle without transactions: each change is a conditional update on the values it read
/// (a concurrent change makes it read and decide again), and its activity entries are inserted once it won.
/// </summary>
public sealed partial class MongoInboxStore
{
    public async Task<ConversationChanged?> ChangeConversationAsync(Guid conversationId, string? status, DateTimeOffset? snoozedUntil, string? priority,
        string? actor, DateTimeOffset at, CancellationToken ct = default)
    {
        while (true)
        {
            var found = await conversations.Find(ConversationFilter.Eq(c => c.Id, conversationId)).FirstOrDefaultAsync(ct);
            if (found is null) return null;
            var (after, entries) = ConversationLifecycle.Change(ToConversation(found), status, snoozedUntil, priority, actor, at);
            if (entries.Count == 0) return new ConversationChanged(after, []);
            if (await SaveChangeAsync(found, after, entries, ct)) return new ConversationChanged(after, entries);
        }
    }

    public async Task<IReadOnlyList<ConversationChanged>> WakeSnoozedAsync(DateTimeOffset now, int take, CancellationToken ct = default)
    {
        // ix_conversations_snoozed
        var due = await conversations.Find(ConversationFilter.Eq(c => c.Status, ConversationStatuses.Snoozed)
                                           & ConversationFilter.Lte(c => c.SnoozedUntilTicks, now.UtcTicks))
            .Sort(Builders<ConversationDocument>.Sort.Ascending(c => c.SnoozedUntilTicks)).Limit(take).ToListAsync(ct);
        var woken = new List<ConversationChanged>();
        foreach (var conversation in due)
        {
            var (after, entries) = ConversationLifecycle.Change(ToConversation(conversation), ConversationStatuses.Open, null, null, null, now);
            // Another process woke it, or an agent changed it meanwhile: theirs stands.
            if (await SaveChangeAsync(conversation, after, entries, ct)) woken.Add(new ConversationChanged(after, entries));
        }
        return woken;
    }

    /// <summary>
    /// Writes the change only if the conversation still has the values it was decided on: its assignee too, as whether it
    /// is queued depends on it (a reassignment meanwhile makes the change read and decide again).
    /// </summary>
    private async Task<bool> SaveChangeAsync(ConversationDocument seen, Conversation after, IReadOnlyList<TimelineMessage> entries, CancellationToken ct)
    {
        var result = await conversations.UpdateOneAsync(
            ConversationFilter.Eq(c => c.Id, seen.Id)
            & ConversationFilter.Eq(c => c.Status, seen.Status)
            & ConversationFilter.Eq(c => c.Priority, seen.Priority)
            & ConversationFilter.Eq(c => c.SnoozedUntilTicks, seen.SnoozedUntilTicks)
            & ConversationFilter.Eq(c => c.AssigneeId, seen.AssigneeId),
            Builders<ConversationDocument>.Update
                .Set(c => c.Status, after.Status)
                .Set(c => c.Priority, after.Priority)
                .Set(c => c.SnoozedUntilTicks, after.SnoozedUntil?.UtcTicks)
                .Set(c => c.WaitingSinceTicks, after.WaitingSince?.UtcTicks)
                .Set(c => c.QueuedAtTicks, after.QueuedAt?.UtcTicks),
            cancellationToken: ct);
        if (result.MatchedCount == 0) return false;
        await messages.InsertManyAsync(entries.Select(ToDocument), cancellationToken: ct);
        return true;
    }
}
