using MassTransit;

namespace Crm.Connectors.Spool;

/// <summary>Publishes straight to the bus: durable only as far as the bus itself is. Replaced by the disk spool.</summary>
public sealed class PublishingInboundSpool(IBus bus) : IInboundSpool
{
    public Task AcceptAsync<T>(T message, CancellationToken ct) where T : class => bus.Publish(message, ct);
}
