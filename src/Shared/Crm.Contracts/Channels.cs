namespace Crm.Contracts;

/// <summary>The channels customers reach the business on. Values are stored, so never rename one.</summary>
public static class Channels
{
    public const string WhatsApp = "whatsapp";
}

/// <summary>Queues that commands are sent to; the sender and the consumer must agree on them.</summary>
public static class CommandQueues
{
    public const string WhatsAppOutbound = "whatsapp-outbound";

    public static Uri For(string channel) => channel switch
    {
        Channels.WhatsApp => new Uri($"queue:{WhatsAppOutbound}"),
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
