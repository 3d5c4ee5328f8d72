namespace Crm.Inbox.Timelines;

/// <summary>
/// The rules of a conversation's status and priority, the same for every store: what a change does to the
/// conversation, and the activity entries that record it.
/// </summary>
public static class ConversationLifecycle
{
    /// <summary>
    /// Applies the requested status (and snooze time) and priority; null leaves a value as it is. Each value
    /// that changes gets an activity entry by <paramref name="actor"/> (null: the system or the customer).
    /// </summary>
    public static (Conversation After, IReadOnlyList<TimelineMessage> Entries) Change(Conversation conversation, string? status,
        DateTimeOffset? snoozedUntil, string? priority, string? actor, DateTimeOffset at)
    {
        var entries = new List<TimelineMessage>();
        var after = conversation;
        if (status is not null)
        {
            var until = status == ConversationStatuses.Snoozed ? snoozedUntil : null;
            if (status != conversation.Status || until != conversation.SnoozedUntil)
            {
                // Pending (the ball is in the customer's court) and resolved conversations keep no customer waiting;
                // the customer's next message starts a new wait.
                var answered = status is ConversationStatuses.Pending or ConversationStatuses.Resolved;
                after = Queue(after with { Status = status, SnoozedUntil = until, WaitingSince = answered ? null : after.WaitingSince }, at);
                entries.Add(TimelineEntries.Activity(after, new ActivityEntry(ActivityKinds.StatusChanged, conversation.Status, status), actor, at));
            }
        }
        if (priority is not null && priority != conversation.Priority)
        {
            after = after with { Priority = priority };
            entries.Add(TimelineEntries.Activity(after, new ActivityEntry(ActivityKinds.PriorityChanged, conversation.Priority, priority), actor, at));
        }
        return (after, entries);
    }

    /// <summary>
    /// Keeps <see cref="Conversation.QueuedAt"/> true: an open conversation nobody has is in the queue (since the customer
    /// began waiting, when that is earlier), any other is not. Every change of status or assignee goes through here.
    /// </summary>
    public static Conversation Queue(Conversation conversation, DateTimeOffset at)
        => conversation.Status == ConversationStatuses.Open && conversation.AssigneeId is null
            ? conversation with { QueuedAt = conversation.QueuedAt ?? (conversation.WaitingSince is { } waiting && waiting < at ? waiting : at) }
            : conversation with { QueuedAt = null };

    /// <summary>
    /// A customer's message (arrived at <paramref name="messageAt"/>) opens a pending, snoozed or resolved
    /// conversation again. The entry is stamped a tick before the message, so the timeline shows it first.
    /// </summary>
    public static (Conversation After, IReadOnlyList<TimelineMessage> Entries) CustomerWrote(Conversation conversation, DateTimeOffset messageAt)
        => conversation.Status == ConversationStatuses.Open
            ? (conversation, [])
            : Change(conversation, ConversationStatuses.Open, null, null, null, messageAt.AddTicks(-1));
}
