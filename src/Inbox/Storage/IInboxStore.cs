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

    /// <summary>Finds the customer who owns <paramref name="identity"/>, creating one on first contact.</summary>
    Task<Customer> ResolveCustomerAsync(ChannelIdentity identity, string? displayName, DateTimeOffset now, CancellationToken ct = default);

    Task<Customer?> GetCustomerAsync(Guid id, CancellationToken ct = default);

    /// <summary>Returns the customer's open conversation on that channel, opening one if there is none.</summary>
    Task<Conversation> OpenConversationAsync(Customer customer, ChannelIdentity identity, DateTimeOffset now, CancellationToken ct = default);

    Task<Conversation?> GetConversationAsync(Guid id, CancellationToken ct = default);

    /// <summary>Conversations with the latest activity first.</summary>
    Task<IReadOnlyList<Conversation>> ListConversationsAsync(int skip, int take, CancellationToken ct = default);

    /// <summary>
    /// Appends to the timeline and moves the conversation's last activity. Returns false, changing
    /// nothing, when a message with the same channel message id is already stored.
    /// </summary>
    Task<bool> AppendMessageAsync(TimelineMessage message, CancellationToken ct = default);

    Task<TimelineMessage?> GetMessageAsync(Guid id, CancellationToken ct = default);

    Task<TimelineMessage?> FindMessageByChannelIdAsync(string channel, string channelMessageId, CancellationToken ct = default);

    /// <summary>
    /// Up to <paramref name="take"/> of the conversation's newest messages that are older than
    /// <paramref name="before"/> (a message id), oldest first so a page reads top to bottom.
    /// </summary>
    Task<IReadOnlyList<TimelineMessage>> ListMessagesAsync(Guid conversationId, Guid? before, int take, CancellationToken ct = default);

    /// <summary>
    /// Moves a message to <paramref name="status"/> unless it already has one of the same or higher
    /// <see cref="Crm.Contracts.MessageStatuses.Rank"/>, and records the provider's id when it has none yet.
    /// Returns the updated message, or null when nothing changed.
    /// </summary>
    Task<TimelineMessage?> ApplyStatusAsync(Guid messageId, string status, string? errorCode, string? channelMessageId, DateTimeOffset at, CancellationToken ct = default);
}
