namespace Crm.Contracts;

/// <summary>
/// Send an agent's reply to the customer. <see cref="MessageId"/> is the timeline's id and makes sending
/// idempotent: however often this command is delivered, the customer gets the message at most once.
/// <see cref="Attempt"/> counts from 1; the inbox sends the command again, with the next attempt, when the
/// connector reported <see cref="OutboundMessageRetrying"/>. Nothing is sent after <see cref="NotAfter"/>.
/// <see cref="From"/> is the business identity the conversation came in on (null: the connector's default).
/// </summary>
public record SendOutboundMessage(
    Guid MessageId,
    Guid ConversationId,
    string Channel,
    string To,
    string Text,
    string? From,
    int Attempt,
    DateTimeOffset NotAfter)
{
    /// <summary>The workspace the conversation belongs to.</summary>
    public Guid WorkspaceId { get; init; }

    /// <summary>The channel connection the conversation came in on: the reply goes out through it. Null before connections were data.</summary>
    public Guid? ConnectionId { get; init; }

    /// <summary>Send this template of the connection's catalog instead of <see cref="Text"/> (which then holds its rendered words, for the record).</summary>
    public OutboundTemplate? Template { get; init; }

    /// <summary>
    /// A message tag the send needs past the channel's standard window (Messenger's <see cref="MetaMessageTags.HumanAgent"/>);
    /// the inbox sets it only for a human agent's reply, never for automation.
    /// </summary>
    public string? Tag { get; init; }
}

/// <summary>
/// A template from the connection's catalog (<see cref="TemplateId"/>: a Twilio Content SID, a WhatsApp Cloud
/// template's name, a WeChat template id) with the values of its variables, by the catalog's variable names.
/// </summary>
public record OutboundTemplate(string TemplateId, string? Language, IReadOnlyDictionary<string, string> Variables);

/// <summary>The provider accepted an outbound message and gave it <see cref="ChannelMessageId"/>.</summary>
public record OutboundMessageAccepted(
    Guid MessageId,
    string Channel,
    string ChannelMessageId,
    string Status,
    DateTimeOffset AcceptedAt);

/// <summary>
/// The provider refused an outbound message, or could not be reached before the send deadline.
/// <see cref="ErrorCode"/> is the provider's code, or one of <see cref="SendFailures"/>.
/// </summary>
public record OutboundMessageFailed(
    Guid MessageId,
    string Channel,
    string? ErrorCode,
    string Reason,
    DateTimeOffset FailedAt);

/// <summary>
/// The provider certainly did not get the message this attempt (it could not be reached, or answered
/// 429/5xx); the inbox sends the command again, as attempt <see cref="Attempt"/> + 1, at <see cref="NextAttemptAt"/>.
/// </summary>
public record OutboundMessageRetrying(
    Guid MessageId,
    string Channel,
    int Attempt,
    string? ErrorCode,
    string Reason,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset ReportedAt);

/// <summary>
/// The message may or may not have reached the provider (no answer to the request, or the sender died
/// mid-send). It is never sent again; a later provider status callback can still settle it.
/// </summary>
public record OutboundMessageOutcomeUnknown(
    Guid MessageId,
    string Channel,
    string Reason,
    DateTimeOffset ReportedAt);

/// <summary>
/// A provider reported a delivery status for a message. <see cref="MessageId"/> is known when the
/// callback URL carried it; otherwise the message is found by <see cref="ChannelMessageId"/>.
/// </summary>
public record MessageStatusReported(
    Guid? MessageId,
    string Channel,
    string ChannelMessageId,
    string Status,
    string? ErrorCode,
    DateTimeOffset ReportedAt)
{
    /// <summary>The workspace of the connection the callback came in on; a status never changes another workspace's message.</summary>
    public Guid WorkspaceId { get; init; }

    public Guid? ConnectionId { get; init; }
}

/// <summary>
/// A provider reported delivery or reading by a watermark (Messenger): every message the business sent to
/// <see cref="CustomerIdentity"/> from <see cref="BusinessIdentity"/> up to <see cref="Watermark"/> has reached
/// <see cref="Status"/> (delivered or read). Statuses never move backwards, so a late or repeated watermark is harmless.
/// </summary>
public record StatusWatermarkReported(
    string Channel,
    string CustomerIdentity,
    string BusinessIdentity,
    string Status,
    DateTimeOffset Watermark,
    DateTimeOffset ReportedAt)
{
    public Guid WorkspaceId { get; init; }

    public Guid? ConnectionId { get; init; }
}
