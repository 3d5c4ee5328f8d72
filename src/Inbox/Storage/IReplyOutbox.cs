using Crm.Inbox.Timelines;

namespace Crm.Inbox.Storage;

/// <summary>Where a new reply is to be sent, and until when it may be.</summary>
public sealed record OutboundReply(string To, string? From, DateTimeOffset NotAfter);

/// <summary>
/// One claimed attempt of a reply, with everything the send command needs. <see cref="ClaimToken"/> proves
/// the claim when the dispatcher reports back, so a claim that was overtaken (by an outcome, or by another
/// dispatcher after the lease ran out) changes nothing.
/// </summary>
public sealed record ReplyDispatch(
    Guid MessageId,
    Guid ConversationId,
    string Channel,
    string To,
    string? From,
    string Text,
    int Attempt,
    DateTimeOffset NotAfter,
    string ClaimToken,
    int Sends,
    int Refusals)
{
    public Guid WorkspaceId { get; init; }

    /// <summary>The conversation's channel connection: the send goes out through it.</summary>
    public Guid? ConnectionId { get; init; }

    /// <summary>The reply's template and tag, when it has them.</summary>
    public TimelineExtras? Extras { get; init; }
}

/// <summary>
/// The transactional outbox of agents' replies. The reply's timeline entry carries its own dispatch state
/// (current attempt, when it is next due, its deadline, whether that attempt ever reached the bus), so
/// saving a reply and promising to send it are one write, and no reply is ever left without a next step.
/// </summary>
public interface IReplyOutbox
{
    /// <summary>
    /// Stores a pending reply with its first attempt due at once, in one write, and moves the conversation's
    /// last activity. Returns false, storing nothing, when <see cref="TimelineMessage.ResendOf"/> was already resent.
    /// </summary>
    Task<bool> AppendReplyAsync(TimelineMessage reply, OutboundReply outbound, CancellationToken ct = default);

    /// <summary>The reply that resent <paramref name="originalId"/>, if any.</summary>
    Task<TimelineMessage?> FindResendAsync(Guid originalId, CancellationToken ct = default);

    /// <summary>
    /// Claims up to <paramref name="take"/> replies whose current attempt is due and whose deadline has not
    /// passed, earliest first. Each claimed reply's next due time moves to now + <paramref name="lease"/>, so
    /// no other dispatcher takes the same attempt meanwhile, and a dispatcher that dies leaves it due again.
    /// </summary>
    Task<IReadOnlyList<ReplyDispatch>> ClaimDueRepliesAsync(DateTimeOffset now, TimeSpan lease, int take, CancellationToken ct = default);

    /// <summary>
    /// The claimed attempt is on the bus. It is dispatched again at <paramref name="redispatchAt"/> (the bus
    /// may lose it) unless an outcome arrives first. False when the claim had been overtaken.
    /// </summary>
    Task<bool> MarkHandedOverAsync(ReplyDispatch claimed, DateTimeOffset redispatchAt, CancellationToken ct = default);

    /// <summary>The bus did not take the claimed attempt; it is tried again at <paramref name="retryAt"/>.</summary>
    Task<bool> MarkBusRefusedAsync(ReplyDispatch claimed, DateTimeOffset retryAt, CancellationToken ct = default);

    /// <summary>
    /// The provider certainly did not get attempt <paramref name="failedAttempt"/>: the reply shows
    /// <c>retrying</c> and its next attempt is due at <paramref name="nextAttemptAt"/>. Returns the updated
    /// message, or null when the report was stale (another attempt is current) or the reply is settled.
    /// </summary>
    Task<TimelineMessage?> ScheduleNextAttemptAsync(Guid messageId, int failedAttempt, DateTimeOffset nextAttemptAt, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>
    /// Settles up to <paramref name="take"/> replies still pending or retrying whose deadline is before
    /// <paramref name="deadlineBefore"/>: <c>unknown-outcome</c> when their current attempt may have reached
    /// the bus, else <c>failed</c> with <c>not-dispatched</c>. They are never dispatched again. Returns them.
    /// </summary>
    Task<IReadOnlyList<TimelineMessage>> GiveUpOverdueRepliesAsync(DateTimeOffset deadlineBefore, DateTimeOffset now, int take, CancellationToken ct = default);
}
