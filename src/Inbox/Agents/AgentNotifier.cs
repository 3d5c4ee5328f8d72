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

    public Task MessageStatusChangedAsync(TimelineMessage message) => hub.Clients.All.MessageStatusChanged(message);
}
