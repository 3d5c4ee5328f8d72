using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Crm.Inbox.Agents;

/// <summary>What the server pushes to every connected agent.</summary>
public interface IInboxClient
{
    /// <summary>
    /// New timeline messages and the conversations they moved, as each stood afterwards. One push carries a
    /// whole stored batch: one frame per batch instead of two per message is what lets a burst reach agents
    /// as fast as it is stored.
    /// </summary>
    Task MessagesAdded(MessagesAddedPush push);

    Task MessageStatusChanged(TimelineMessage message);

    /// <summary>
    /// The agent read a conversation (in any of their tabs or devices): its unread count is 0 up to the marker. New
    /// customer messages in <see cref="MessagesAdded"/> after it count as unread again.
    /// </summary>
    Task ConversationRead(ConversationReadPush push);
}

public sealed record ConversationReadPush(Guid ConversationId, DateTimeOffset ReadUpTo);

/// <summary>Messages in the order they were stored; each conversation once.</summary>
public sealed record MessagesAddedPush(IReadOnlyList<TimelineMessage> Messages, IReadOnlyList<Conversation> Conversations);

/// <summary>
/// Live updates for agents. Each connection joins its workspace's group, and every change is pushed to the
/// group of the workspace it belongs to, never to all; with the Redis backplane a change made in any process
/// reaches that workspace's agents connected to any other.
/// </summary>
[Authorize]
public sealed class InboxHub : Hub<IInboxClient>
{
    public const string Path = "/hubs/inbox";

    public static string WorkspaceGroup(Guid workspaceId) => $"workspace:{workspaceId:N}";

    public override async Task OnConnectedAsync()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, WorkspaceGroup(Context.User!.WorkspaceId()));
        await base.OnConnectedAsync();
    }
}
