using MassTransit;

namespace Crm.Gateway.Hosting;

/// <summary>
/// A consume that fails while this process is stopping most likely failed <em>because</em> it is stopping
/// (a store, a scope or the hub already disposed under it), not because of the message. Such a message is
/// handed back to the broker (MassTransit returns a canceled delivery un-acked) for a live process, instead of
/// being retried here or moved to the error queue that nothing drains.
/// </summary>
internal sealed class HandBackWhenStoppingFilter(IHostApplicationLifetime lifetime, ILogger logger) : IFilter<ConsumeContext>
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception error) when (lifetime.ApplicationStopping.IsCancellationRequested && error is not OperationCanceledException)
        {
            logger.LogWarning("Handing message {MessageId} back to the broker: it failed while this process is stopping ({Error}).",
                context.MessageId, error.GetType().Name);
            throw new OperationCanceledException("The process is stopping; the message goes back to the broker.", error,
                context.CancellationToken);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("handBackWhenStopping");
}
