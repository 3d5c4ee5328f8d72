using Crm.Inbox.Timelines;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Crm.Inbox.Agents;

/// <summary>What the server pushes to every connected agent.</summary>
public interface IInboxClient
{
    Task MessageAdded(TimelineMessage message);
    Task MessageStatusChanged(TimelineMessage message);
    Task ConversationUpdated(Conversation conversation);
}

/// <summary>
/// Live updates for agents. The whole team shares one inbox, so every change goes to every agent;
/// with the Redis backplane a change made in any process reaches agents connected to any other.
/// </summary>
[Authorize]
public sealed class InboxHub : Hub<IInboxClient>
{
    public const string Path = "/hubs/inbox";
}
