using Crm.Inbox.Timelines;
using Microsoft.AspNetCore.SignalR;

namespace Crm.Inbox.Agents;

/// <summary>Pushes timeline changes to agents; the one place that knows who receives what.</summary>
public sealed class AgentNotifier(IHubContext<InboxHub, IInboxClient> hub)
{
    public Task MessageAddedAsync(TimelineMessage message, Conversation? conversation)
        => hub.Clients.All.MessagesAdded(new MessagesAddedPush([message], conversation is null ? [] : [conversation]));

    /// <summary>A stored batch in one push: each message once, each touched conversation once, as it stood after the batch.</summary>
    public Task MessagesAddedAsync(IReadOnlyList<StoredInbound> stored)
        => stored.Count == 0
            ? Task.CompletedTask
            : hub.Clients.All.MessagesAdded(new MessagesAddedPush(
                stored.Select(entry => entry.Message).ToList(),
                stored.Select(entry => entry.Conversation).DistinctBy(c => c.Id).ToList()));

    public Task MessageStatusChangedAsync(TimelineMessage message) => hub.Clients.All.MessageStatusChanged(message);
}
