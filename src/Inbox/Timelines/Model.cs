using Crm.Contracts;

namespace Crm.Inbox.Timelines;

/// <summary>How a customer is addressed on one channel: a phone number in E.164 for WhatsApp.</summary>
public record ChannelIdentity(string Channel, string Value);

public record Customer(Guid Id, string? DisplayName, IReadOnlyList<ChannelIdentity> Identities, DateTimeOffset CreatedAt);

public static class ConversationStatuses
{
    public const string Open = "open";
    public const string Resolved = "resolved";
}

/// <summary>
/// A thread with one customer on one channel. <see cref="CustomerIdentity"/> is where replies go.
/// </summary>
public record Conversation(
    Guid Id,
    Guid CustomerId,
    string Channel,
    string CustomerIdentity,
    string? CustomerName,
    string Status,
    string? AssignedAgent,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastMessageAt,
    string? LastMessagePreview);

public static class Directions
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";
}

/// <summary>One entry of a customer's timeline, in either direction.</summary>
public record TimelineMessage(
    Guid Id,
    Guid ConversationId,
    Guid CustomerId,
    string Channel,
    string Direction,
    string? ChannelMessageId,
    string? Text,
    IReadOnlyList<MediaAttachment> Media,
    SharedLocation? Location,
    ButtonReply? Button,
    IReadOnlyDictionary<string, string> RawFields,
    string Status,
    string? ErrorCode,
    string? Agent,
    DateTimeOffset CreatedAt,
    DateTimeOffset StatusUpdatedAt)
{
    /// <summary>For a reply sent again by an agent: the failed (or unsure) reply it repeats.</summary>
    public Guid? ResendOf { get; init; }

    /// <summary>A short line for conversation lists.</summary>
    public string Preview => Text is { Length: > 0 } text
        ? (text.Length <= 120 ? text : text[..120])
        : Media.Count > 0 ? "[media]"
        : Location is not null ? "[location]"
        : Button is not null ? Button.Text
        : "";
}
