using Crm.Contracts;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Storage;

/// <summary>
/// Customers, conversations and their timelines. Two adapters implement it (SQLite embedded, MongoDB
/// distributed) and one contract test suite holds both to the same behaviour.
/// </summary>
public interface IInboxStore
{
    /// <summary>Creates tables or indexes; safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken ct = default);

    /// <summary>Finds the workspace's customer who owns <paramref name="identity"/>, creating one on first contact.</summary>
    Task<Customer> ResolveCustomerAsync(Guid workspaceId, ChannelIdentity identity, string? displayName, DateTimeOffset now, CancellationToken ct = default);

    Task<Customer?> GetCustomerAsync(Guid id, CancellationToken ct = default);

    /// <summary>
    /// Returns the customer's open conversation on that channel with that business address, opening one if
    /// there is none. Writes nothing when it exists.
    /// </summary>
    Task<Conversation> OpenConversationAsync(Customer customer, ChannelIdentity identity, string? businessIdentity, DateTimeOffset now, CancellationToken ct = default);

    Task<Conversation?> GetConversationAsync(Guid id, CancellationToken ct = default);

    /// <summary>
    /// Up to <paramref name="take"/> of the workspace's conversations that match <paramref name="filter"/>, in its
    /// order — latest activity first (ties by id, descending), or longest waiting first (only those waiting;
    /// ties by id, ascending) — that come after <paramref name="after"/> (the last one of the previous page: its
    /// last activity, or waiting time, and id).
    /// </summary>
    Task<IReadOnlyList<Conversation>> ListConversationsAsync(Guid workspaceId, PageCursor? after, int take, ConversationListFilter? filter = null,
        CancellationToken ct = default);

    /// <summary>
    /// Stores a batch of inbound messages at once (one transaction where the store has them): finds or
    /// creates each customer (keeping their newest profile name, on their conversations too), opens or
    /// reuses the conversation per customer, channel and business address (opening it again, with an activity
    /// entry, when it was pending, snoozed or resolved: the customer wrote), appends each message whose
    /// channel message id is not stored yet (nor earlier in the batch), and moves each conversation's last
    /// activity forward (never backwards). Returns the messages it stored (and the activity entries of
    /// conversations it opened again), in batch order, each with its conversation's state after the batch;
    /// duplicates are left out.
    /// </summary>
    Task<IReadOnlyList<StoredInbound>> AppendInboundBatchAsync(IReadOnlyList<InboundMessageReceived> batch, CancellationToken ct = default);

    /// <summary>
    /// Appends to the timeline and, for a message the customer sees (not a note or activity), moves the
    /// conversation's last activity. Returns false, changing nothing, when a message with the same channel
    /// message id is already stored.
    /// </summary>
    Task<bool> AppendMessageAsync(TimelineMessage message, CancellationToken ct = default);

    Task<TimelineMessage?> GetMessageAsync(Guid id, CancellationToken ct = default);

    Task<TimelineMessage?> FindMessageByChannelIdAsync(string channel, string channelMessageId, CancellationToken ct = default);

    /// <summary>
    /// Up to <paramref name="take"/> of the conversation's newest messages that sort before
    /// <paramref name="before"/> (a message's created time and id), oldest first so a page reads top to bottom.
    /// </summary>
    Task<IReadOnlyList<TimelineMessage>> ListMessagesAsync(Guid conversationId, PageCursor? before, int take, CancellationToken ct = default);

    /// <summary>
    /// Sets the conversation's status (with <paramref name="snoozedUntil"/> for <c>snoozed</c>) and/or priority, and
    /// records an activity entry by <paramref name="actor"/> for each value that changed. Null when the conversation
    /// does not exist; no entries when nothing changed.
    /// </summary>
    Task<ConversationChanged?> ChangeConversationAsync(Guid conversationId, string? status, DateTimeOffset? snoozedUntil, string? priority,
        string? actor, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>
    /// Puts <paramref name="label"/> on the conversation (or takes it off), with an activity entry naming it. Null
    /// when the conversation does not exist; no entry when it already was (or was not) there.
    /// </summary>
    Task<ConversationChanged?> LabelConversationAsync(Guid conversationId, Crm.Inbox.Conversations.Label label, bool add, string? actor,
        DateTimeOffset at, CancellationToken ct = default);

    /// <summary>
    /// The agent has read the conversation up to <paramref name="readUpTo"/>; the marker only moves forward.
    /// Returns the marker as it now is.
    /// </summary>
    Task<DateTimeOffset> MarkReadAsync(Guid agentId, Guid conversationId, DateTimeOffset readUpTo, CancellationToken ct = default);

    /// <summary>
    /// How many of each conversation's customer messages came after the agent's read marker (all of them when the agent
    /// never read it), counted up to <paramref name="cap"/>.
    /// </summary>
    Task<IReadOnlyDictionary<Guid, int>> UnreadCountsAsync(Guid agentId, IReadOnlyCollection<Guid> conversationIds, int cap, CancellationToken ct = default);

    /// <summary>Opens up to <paramref name="take"/> snoozed conversations whose time has come, each with an activity entry.</summary>
    Task<IReadOnlyList<ConversationChanged>> WakeSnoozedAsync(DateTimeOffset now, int take, CancellationToken ct = default);

    /// <summary>
    /// Moves a message to <paramref name="status"/> unless it already has one of the same or higher
    /// <see cref="Crm.Contracts.MessageStatuses.Rank"/>, and records the provider's id when it has none yet.
    /// Returns the updated message, or null when nothing changed.
    /// </summary>
    Task<TimelineMessage?> ApplyStatusAsync(Guid messageId, string status, string? errorCode, string? channelMessageId, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>
    /// Up to <paramref name="take"/> of the workspace's matches for <paramref name="query"/> that come after
    /// <paramref name="after"/> (a hit's <see cref="Crm.Inbox.Search.SearchHit.Cursor"/>): first conversations whose customer
    /// name or identity contains every term of 3 or more characters (latest activity first), then messages (inbound,
    /// replies, notes; not activity entries) whose text has every term (the last one as a prefix), newest stored first:
    /// in the order the store received them, not by their time (see <see cref="Crm.Inbox.Search.SearchHit"/>), so the
    /// full-text index streams a page instead of sorting every match. Diacritics and case are ignored.
    /// </summary>
    Task<IReadOnlyList<Crm.Inbox.Search.SearchHit>> SearchAsync(Guid workspaceId, Crm.Inbox.Search.SearchQuery query, PageCursor? after, int take,
        CancellationToken ct = default);

    /// <summary>
    /// What the conversation's reply window is reckoned from: when the customer last took a turn (a message, or an event
    /// reaching out, <see cref="Crm.Contracts.CustomerEventKinds.OpensReplyWindow"/>), and how many free-text replies
    /// (not failed, not templates) went out since.
    /// </summary>
    Task<ReplyWindowFacts> ReplyWindowFactsAsync(Guid conversationId, CancellationToken ct = default);

    /// <summary>
    /// Ids of up to <paramref name="take"/> outbound messages the provider took (queued or later) and not yet at
    /// <paramref name="status"/>, created from <paramref name="from"/> to <paramref name="to"/>, in the workspace's
    /// conversation of that customer identity and business address: what a provider's delivery or read watermark covers.
    /// </summary>
    Task<IReadOnlyList<Guid>> OutboundBelowStatusAsync(Guid workspaceId, string channel, string customerIdentity, string businessIdentity,
        DateTimeOffset from, DateTimeOffset to, string status, int take, CancellationToken ct = default);
}

/// <summary>See <see cref="IInboxStore.ReplyWindowFactsAsync"/>; <see cref="LastCustomerTurnAt"/> is null when the customer never reached out.</summary>
public sealed record ReplyWindowFacts(DateTimeOffset? LastCustomerTurnAt, int RepliesSince);
