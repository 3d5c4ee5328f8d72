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

    /// <summary>Not a message but something the customer did (followed, scanned a code, tapped a menu, reacted…); kept on the timeline.</summary>
    public CustomerEvent? Event { get; init; }

    /// <summary>
    /// Sent by the business from outside Crm (e.g. from the Facebook page's own inbox), seen as an echo: recorded on
    /// the timeline as a reply that went out, never as the customer's. Echoes of Crm's own sends are not published.
    /// </summary>
    public bool SentByBusiness { get; init; }

    /// <summary>
    /// Other identities the provider says the sender has, in this very message (a WhatsApp business-scoped user id next to
    /// the phone number, a WeChat UnionID next to the OpenID). Null or empty: none. The inbox adds them to the customer the
    /// message lands on, and a message whose <see cref="CustomerIdentity"/> is new lands on the customer an alias is known on.
    /// <see cref="CustomerIdentity"/> stays the address replies go to.
    /// </summary>
    public IReadOnlyList<IdentityAlias>? AlsoKnownAs { get; init; }
}

/// <summary>One more identity of the same person: a channel (or an identity-only kind of <see cref="IdentityKinds"/>) and its value.</summary>
public record IdentityAlias(string Channel, string Value);

public record MediaAttachment(string Url, string? ContentType);

public record SharedLocation(double Latitude, double Longitude, string? Label, string? Address);

/// <summary>The customer tapped a quick-reply button; <see cref="Payload"/> is what the template set.</summary>
public record ButtonReply(string Text, string? Payload);

/// <summary>
/// Something a customer did that is not a message. <see cref="Key"/> is what the provider names it by (a menu's
/// key, a QR code's scene, a link, a reaction's emoji); <see cref="Detail"/> what else it says (the reacted-to
/// message's provider id, an ad's source…).
/// </summary>
public record CustomerEvent(string Kind, string? Key, string? Detail);

/// <summary>Kinds of <see cref="CustomerEvent"/>. Values are stored, so never rename one.</summary>
public static class CustomerEventKinds
{
    /// <summary>Followed the account (WeChat subscribe): consent to be messaged on that channel.</summary>
    public const string Subscribed = "subscribed";

    /// <summary>Unfollowed (WeChat unsubscribe): the channel's consent withdrawn; nothing may be sent any more.</summary>
    public const string Unsubscribed = "unsubscribed";

    /// <summary>Scanned a parameterised QR code while following already (WeChat SCAN); Key: the scene.</summary>
    public const string Scanned = "scanned";

    /// <summary>Tapped a menu item (WeChat CLICK); Key: its key.</summary>
    public const string MenuClicked = "menu-clicked";

    /// <summary>Opened a link from a menu (WeChat VIEW); Key: the URL.</summary>
    public const string LinkOpened = "link-opened";

    /// <summary>Came through a link, an ad or a code (Messenger referral); Key: the ref; Detail: the source.</summary>
    public const string Referral = "referral";

    /// <summary>Reacted to a message; Key: the emoji (empty: the reaction was removed); Detail: the message's provider id.</summary>
    public const string Reaction = "reaction";

    /// <summary>
    /// Whether the event is the customer reaching out, which lets the business answer (opens the reply window): following,
    /// scanning a code, tapping a menu, arriving from a referral. Opening a link, reacting and unfollowing are not.
    /// </summary>
    public static bool OpensReplyWindow(string kind) => kind is Subscribed or Scanned or MenuClicked or Referral;
}
