namespace Crm.Contracts;

/// <summary>
/// The channels customers reach the business on. Values are stored, so never rename one. A channel is what the
/// customer uses, not the provider: WhatsApp through Twilio and through Meta's Cloud API are both <see cref="WhatsApp"/>,
/// so the same number is one customer identity whichever connection it wrote to.
/// </summary>
public static class Channels
{
    public const string WhatsApp = "whatsapp";
    public const string WeChat = "wechat";
    public const string Messenger = "messenger";

    public static readonly IReadOnlyList<string> All = [WhatsApp, WeChat, Messenger];
}

/// <summary>
/// Identity kinds that are not channels: they name a person across accounts but nothing is ever sent to them, so they have
/// no conversations, no consent and no outbound queue. Stored next to channel identities, so never rename one.
/// </summary>
public static class IdentityKinds
{
    /// <summary>
    /// WeChat's UnionID: one person across every Official Account bound to the same WeChat Open Platform account (an OpenID
    /// is per Official Account). Only known when the connection fetches it from user/info.
    /// </summary>
    public const string WeChatUnionId = "wechat-unionid";

    /// <summary>Whether <paramref name="channel"/> is an identity-only kind, not a channel messages go through.</summary>
    public static bool IsIdentityOnly(string channel) => channel is WeChatUnionId;
}

/// <summary>
/// Queues that commands are sent to; the sender and the consumer must agree on them. One queue per channel, so
/// a provider that is slow or down holds up only its own channel's sends.
/// </summary>
public static class CommandQueues
{
    public const string WhatsAppOutbound = "whatsapp-outbound";
    public const string WeChatOutbound = "wechat-outbound";
    public const string MessengerOutbound = "messenger-outbound";

    public static Uri For(string channel) => channel switch
    {
        Channels.WhatsApp => new Uri($"queue:{WhatsAppOutbound}"),
        Channels.WeChat => new Uri($"queue:{WeChatOutbound}"),
        Channels.Messenger => new Uri($"queue:{MessengerOutbound}"),
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "No outbound connector for this channel."),
    };
}

/// <summary>
/// The inbox's queues. Publishers declare them and bind them to their messages' exchanges at start, so
/// an event published before any inbox process ever ran still waits in its queue instead of being dropped.
/// </summary>
public static class InboxQueues
{
    public const string InboundMessages = "inbox-inbound-messages";
    public const string DeliveryStatuses = "inbox-delivery-statuses";
}
