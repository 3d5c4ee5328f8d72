using Crm.Inbox.Timelines;
using Microsoft.AspNetCore.SignalR;

namespace Crm.Inbox.Agents;

/// <summary>Pushes timeline changes to agents; the one place that knows who receives what.</summary>
public sealed class AgentNotifier(IHubContext<InboxHub, IInboxClient> hub)
{
    public async Task MessageAddedAsync(TimelineMessage message, Conversation? conversation)
    {
        await hub.Clients.All.MessageAdded(message);
        if (conversation is not null) await hub.Clients.All.ConversationUpdated(conversation);
    }

    /// <summary>
    /// Each stored message once, in order, then each touched conversation once, as it stood after the batch.
    /// </summary>
    public async Task MessagesAddedAsync(IReadOnlyList<StoredInbound> stored)
    {
        if (stored.Count == 0) return;
        foreach (var entry in stored) await hub.Clients.All.MessageAdded(entry.Message);
        foreach (var conversation in stored.Select(s => s.Conversation).DistinctBy(c => c.Id))
            await hub.Clients.All.ConversationUpdated(conversation);
    }

    public Task MessageStatusChangedAsync(TimelineMessage message) => hub.Clients.All.MessageStatusChanged(message);
}
