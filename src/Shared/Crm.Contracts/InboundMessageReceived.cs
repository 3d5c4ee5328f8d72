namespace Crm.Contracts;

/// <summary>
/// A customer's message, normalized by a channel connector after its signature was verified.
/// <see cref="ChannelMessageId"/> is the provider's id; a provider retrying a webhook repeats it.
/// </summary>
public record InboundMessageReceived(
    string Channel,
    string ChannelMessageId,
    string CustomerIdentity,
    string? CustomerName,
    string BusinessIdentity,
    string? Text,
    IReadOnlyList<MediaAttachment> Media,
    SharedLocation? Location,
    ButtonReply? Button,
    IReadOnlyDictionary<string, string> RawFields,
    DateTimeOffset ReceivedAt)
{
    /// <summary>The workspace whose channel connection received it. Empty on messages from before workspaces.</summary>
    public Guid WorkspaceId { get; init; }

    /// <summary>The channel connection (provider account) it came in on; replies go out through the same one.</summary>
    public Guid? ConnectionId { get; init; }

    /// <summary>The team the connection routes new conversations to; null: the whole workspace.</summary>
    public Guid? RoutingTeamId { get; init; }
}

public record MediaAttachment(string Url, string? ContentType);

public record SharedLocation(double Latitude, double Longitude, string? Label, string? Address);

/// <summary>The customer tapped a quick-reply button; <see cref="Payload"/> is what the template set.</summary>
public record ButtonReply(string Text, string? Payload);
