namespace Crm.Contracts;

/// <summary>Send an agent's reply to the customer. <see cref="MessageId"/> is the timeline's id and makes sending idempotent.</summary>
public record SendOutboundMessage(
    Guid MessageId,
    Guid ConversationId,
    string Channel,
    string To,
    string Text);

/// <summary>The provider accepted an outbound message and gave it <see cref="ChannelMessageId"/>.</summary>
public record OutboundMessageAccepted(
    Guid MessageId,
    string Channel,
    string ChannelMessageId,
    string Status,
    DateTimeOffset AcceptedAt);

/// <summary>The provider refused an outbound message, or could not be reached after retrying.</summary>
public record OutboundMessageFailed(
    Guid MessageId,
    string Channel,
    string? ErrorCode,
    string Reason,
    DateTimeOffset FailedAt);

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
    DateTimeOffset ReportedAt);
