using Crm.Contracts;
using MassTransit;

namespace Crm.Gateway.Hosting;

/// <summary>RabbitMQ topology that every Crm process declares the same way, whatever its roles.</summary>
public static class BusTopology
{
    /// <summary>Most messages an error queue keeps; the oldest are dropped beyond it (each fault is logged).</summary>
    public const int ErrorQueueLimit = 10_000;

    /// <summary>
    /// Publishing an event also declares the inbox's queue and binds it, exactly as the inbox's own endpoint
    /// does. On a fresh deployment the connectors may take webhooks before any inbox process ever started;
    /// RabbitMQ drops messages published to an exchange with no queue, so without this they would be lost.
    /// </summary>
    public static void DeclareInboxQueues(IRabbitMqBusFactoryConfigurator transport)
    {
        BindTo<InboundMessageReceived>(transport, InboxQueues.InboundMessages);
        BindTo<MessageStatusReported>(transport, InboxQueues.DeliveryStatuses);
        BindTo<StatusWatermarkReported>(transport, InboxQueues.DeliveryStatuses);
        BindTo<OutboundMessageAccepted>(transport, InboxQueues.DeliveryStatuses);
        BindTo<OutboundMessageFailed>(transport, InboxQueues.DeliveryStatuses);
        BindTo<OutboundMessageRetrying>(transport, InboxQueues.DeliveryStatuses);
        BindTo<OutboundMessageOutcomeUnknown>(transport, InboxQueues.DeliveryStatuses);
    }

    /// <summary>Error queues are bounded so a stream of faults cannot fill the broker's disk.</summary>
    public static void BoundErrorQueues(IRabbitMqBusFactoryConfigurator transport)
        => transport.SendTopology.ConfigureErrorSettings = queue =>
        {
            queue.SetQueueArgument("x-max-length", ErrorQueueLimit);
            queue.SetQueueArgument("x-overflow", "drop-head");
        };

    /// <summary>
    /// Binds the queue straight to the message type's exchange (the one MassTransit publishes to), declaring
    /// both. The inbox's endpoint later adds its own route (message exchange → queue-named exchange → queue);
    /// RabbitMQ still puts each published message into a queue once, however many routes lead there.
    /// </summary>
    private static void BindTo<T>(IRabbitMqBusFactoryConfigurator transport, string queue) where T : class
    {
        var messageExchange = transport.MessageTopology.GetMessageTopology<T>().EntityName;
        transport.Publish<T>(publish => publish.BindQueue(messageExchange, queue));
    }
}
