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

    /// <summary>Who else has the conversation open: a reply by one is then no surprise to the other.</summary>
    Task AgentViewing(PresencePush push);

    /// <summary>Who else is writing in the conversation, so two agents do not answer the customer at once.</summary>
    Task AgentTyping(PresencePush push);

    /// <summary>To the mentioned agent only: a colleague @mentioned them in a private note.</summary>
    Task Mentioned(MentionPush push);

    /// <summary>An agent chose another availability, or went offline or away by the engine's reckoning.</summary>
    Task AvailabilityChanged(Crm.Inbox.Assignment.AssignmentApi.AvailabilityView availability);

    /// <summary>
    /// An agent changed a customer's profile, consent or reachability: the profile as it now stands, so an open profile
    /// updates without a fetch. Not sent for new messages (behaviour moves with every one; the timeline push carries those).
    /// </summary>
    Task CustomerChanged(CustomerChangedPush push);

    /// <summary>A segment bulk action moved on (after each batch) or finished: the agent who started it sees it count up.</summary>
    Task SegmentJobProgress(Crm.Inbox.Segments.BulkJob job);

    /// <summary>Two customers were merged (or a merge undone): the listed conversations changed customer, or were joined.</summary>
    Task CustomersMerged(CustomersMergedPush push);

    /// <summary>A customer import moved on (at most about once a second while it runs) or finished.</summary>
    Task CustomerImportProgressed(Crm.Inbox.Customers.Import.CustomerImportProgressPush push);
}

public sealed record CustomerChangedPush(Guid CustomerId, long Version, Crm.Inbox.Customers.CustomerProfile Profile);

/// <summary><see cref="ConversationIds"/>: every conversation that moved or was joined; <see cref="Undone"/> when a merge was undone.</summary>
public sealed record CustomersMergedPush(Guid MergeId, Guid SurvivorId, Guid MergedId, IReadOnlyList<Guid> ConversationIds, bool Automatic, bool Undone);

public sealed record ConversationReadPush(Guid ConversationId, DateTimeOffset ReadUpTo);

public sealed record MentionPush(Guid ConversationId, TimelineMessage Note);

/// <summary>Another agent of the workspace started (<see cref="Active"/>) or stopped viewing, or typing in, a conversation.</summary>
public sealed record PresencePush(Guid ConversationId, Guid AgentId, string AgentName, bool Active);

/// <summary>Messages in the order they were stored; each conversation once.</summary>
public sealed record MessagesAddedPush(IReadOnlyList<TimelineMessage> Messages, IReadOnlyList<Conversation> Conversations);

/// <summary>
/// Live updates for agents. Each connection joins its workspace's group, and every change is pushed to the
/// group of the workspace it belongs to, never to all; with the Redis backplane a change made in any process
/// reaches that workspace's agents connected to any other.
/// </summary>
[Authorize]
public sealed class InboxHub(ConversationPresence presence) : Hub<IInboxClient>
{
    public const string Path = "/hubs/inbox";

    public static string WorkspaceGroup(Guid workspaceId) => $"workspace:{workspaceId:N}";

    public override async Task OnConnectedAsync()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, WorkspaceGroup(Context.User!.WorkspaceId()));
        await base.OnConnectedAsync();
    }

    /// <summary>The agent opened (or left) a conversation; the workspace's other agents hear it.</summary>
    public Task Viewing(Guid conversationId, bool viewing)
    {
        if (!presence.SetViewing(Context.ConnectionId, conversationId, viewing)) return Task.CompletedTask;
        return Others.AgentViewing(Presence(conversationId, viewing));
    }

    /// <summary>The agent is typing (or stopped); not kept, only passed on: a client repeats it while typing goes on.</summary>
    public Task Typing(Guid conversationId, bool typing) => Others.AgentTyping(Presence(conversationId, typing));

    /// <summary>
    /// The person at the screen did something (a key, a click): they are not idle, so not away. Every hub call counts
    /// (the presence filter sees it in the process that holds the connection); this one says only that, for a web app
    /// to send now and then while its agent works, since API requests may be served by another process.
    /// </summary>
    public Task Active() => Task.CompletedTask;

    /// <summary>A connection that goes away stops viewing whatever it had open.</summary>
    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        foreach (var conversationId in presence.Forget(Context.ConnectionId)) await Others.AgentViewing(Presence(conversationId, false));
        await base.OnDisconnectedAsync(exception);
    }

    private IInboxClient Others => Clients.OthersInGroup(WorkspaceGroup(Context.User!.WorkspaceId()));

    private PresencePush Presence(Guid conversationId, bool active)
        => new(conversationId, Context.User!.AgentIdOf(), Context.User!.Identity?.Name ?? "", active);
}
