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
    /// Each stored message once, then each touched conversation once, as it stood after the batch. A batch's
    /// pushes are started together, in order, and awaited together: through the Redis backplane every push is
    /// a round trip, and awaiting them one by one held Distributed ingest to about 1k messages a second.
    /// </summary>
    public async Task MessagesAddedAsync(IReadOnlyList<StoredInbound> stored)
    {
        if (stored.Count == 0) return;
        await Task.WhenAll(stored.Select(entry => hub.Clients.All.MessageAdded(entry.Message)));
        await Task.WhenAll(stored.Select(s => s.Conversation).DistinctBy(c => c.Id).Select(c => hub.Clients.All.ConversationUpdated(c)));
    }

    public Task MessageStatusChangedAsync(TimelineMessage message) => hub.Clients.All.MessageStatusChanged(message);
}
