using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Assignment;
using Crm.Inbox.Storage;
using MassTransit;

namespace Crm.Inbox.Timelines;

/// <summary>
/// Merges customers' messages into their timelines, a batch at a time: one store transaction per batch
/// instead of several per message. Providers retry webhooks and the bus delivers at least once, so a
/// channel message id that is already stored (or earlier in the batch) is acknowledged and otherwise
/// ignored, and only what this batch stored is pushed to agents. If storing or pushing fails, the whole
/// batch is retried; what was stored is then skipped as a duplicate.
/// </summary>
public sealed class InboundMessageReceivedConsumer(IInboxStore store, AgentNotifier agents, AssignmentSignal assignment)
    : IConsumer<Batch<InboundMessageReceived>>
{
    public async Task Consume(ConsumeContext<Batch<InboundMessageReceived>> context)
    {
        var arrivals = new InboundMessageReceived[context.Message.Length];
        for (var i = 0; i < arrivals.Length; i++) arrivals[i] = context.Message[i].Message;

        var stored = await store.AppendInboundBatchAsync(arrivals, context.CancellationToken);
        await agents.MessagesAddedAsync(stored);
        // New and reopened conversations nobody has wait in their queue: the engine hands them out now, not at its next sweep.
        foreach (var workspaceId in InboundTimeline.WorkspacesWhoseQueueGrew(stored)) assignment.Wake(workspaceId);
    }
}

/// <summary>
/// Batches on the inbox's inbound queue: up to <see cref="MaxBatchSize"/> messages or whatever arrived
/// within <see cref="BatchWindow"/> of the first, one batch at a time per process (the store has one
/// writer anyway, and one at a time keeps each customer's messages in arrival order).
/// </summary>
public sealed class InboundMessageReceivedConsumerDefinition : ConsumerDefinition<InboundMessageReceivedConsumer>
{
    public const int MaxBatchSize = 100;
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(5);

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<InboundMessageReceivedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        consumerConfigurator.Options<BatchOptions>(batch => batch
            .SetMessageLimit(MaxBatchSize)
            .SetTimeLimit(BatchWindow)
            .SetConcurrencyLimit(1));
        // Two batches' worth in hand: the next batch fills while the current one is being stored.
        endpointConfigurator.PrefetchCount = Math.Max(endpointConfigurator.PrefetchCount, 2 * MaxBatchSize);
        if (endpointConfigurator.ConcurrentMessageLimit is null or < 2 * MaxBatchSize)
            endpointConfigurator.ConcurrentMessageLimit = 2 * MaxBatchSize;
    }
}
