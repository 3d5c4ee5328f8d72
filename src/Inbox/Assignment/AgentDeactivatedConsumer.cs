using Crm.Contracts;
using MassTransit;

namespace Crm.Inbox.Assignment;

/// <summary>
/// A deactivated agent's open conversations go back to the queue at once and on to whoever is online. Redelivery
/// finds nothing left to return; the engine's sweep returns them too if this never ran.
/// </summary>
public sealed class AgentDeactivatedConsumer(AssignmentEngine engine, AssignmentSignal signal) : IConsumer<AgentDeactivated>
{
    public async Task Consume(ConsumeContext<AgentDeactivated> context)
    {
        var deactivated = context.Message;
        await engine.ReleaseAsync(deactivated.WorkspaceId, deactivated.AgentId, Crm.Inbox.Timelines.AssignmentReasons.AgentDeactivated, null,
            await engine.NameOfAsync(deactivated.AgentId, context.CancellationToken), context.CancellationToken);
        signal.Wake(deactivated.WorkspaceId);
    }
}
