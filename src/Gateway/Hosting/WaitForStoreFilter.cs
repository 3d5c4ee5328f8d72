using Crm.Inbox;
using MassTransit;

namespace Crm.Gateway.Hosting;

/// <summary>
/// Holds consumes until the store's tables and unique indexes exist (a process may start while its store is
/// unreachable): without the unique indexes a redelivered message could be stored twice. A consume held at
/// shutdown is canceled, and so handed back to the broker.
/// </summary>
internal sealed class WaitForStoreFilter(StoreInitialization initialization) : IFilter<ConsumeContext>
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        if (!initialization.IsCompleted) await initialization.WaitAsync(context.CancellationToken);
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("waitForStore");
}
