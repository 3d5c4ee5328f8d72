using Crm.Inbox.Timelines;
using Microsoft.AspNetCore.SignalR;

namespace Crm.Inbox.Agents;

/// <summary>Pushes timeline changes to agents; the one place that knows who receives what.</summary>
public sealed class AgentNotifier(IHubContext<InboxHub, IInboxClient> hub)
{
    public Task MessageAddedAsync(TimelineMessage message, Conversation? conversation)
        => Workspace(message.WorkspaceId).MessagesAdded(new MessagesAddedPush([message], conversation is null ? [] : [conversation]));

    /// <summary>
    /// A stored batch in one push per workspace it touched: each message once, each touched conversation once,
    /// as it stood after the batch.
    /// </summary>
    public Task MessagesAddedAsync(IReadOnlyList<StoredInbound> stored)
        => Task.WhenAll(stored.GroupBy(entry => entry.Conversation.WorkspaceId).Select(workspace =>
            Workspace(workspace.Key).MessagesAdded(new MessagesAddedPush(
                workspace.Select(entry => entry.Message).ToList(),
                workspace.Select(entry => entry.Conversation).DistinctBy(c => c.Id).ToList()))));

    public Task MessageStatusChangedAsync(TimelineMessage message) => Workspace(message.WorkspaceId).MessageStatusChanged(message);

    public Task MentionedAsync(IEnumerable<Guid> agentIds, TimelineMessage note)
        => Task.WhenAll(agentIds.Select(agentId => hub.Clients.Group(Workspaces.AgentConnections.GroupOf(agentId)).Mentioned(new MentionPush(note.ConversationId, note))));

    /// <summary>To the agent's own connections only: read markers are per agent.</summary>
    public Task ConversationReadAsync(Guid agentId, ConversationReadPush push)
        => hub.Clients.Group(Workspaces.AgentConnections.GroupOf(agentId)).ConversationRead(push);

    public Task AvailabilityChangedAsync(Guid workspaceId, Crm.Inbox.Assignment.AssignmentApi.AvailabilityView availability)
        => Workspace(workspaceId).AvailabilityChanged(availability);

    public Task CustomerChangedAsync(Crm.Inbox.Customers.CustomerProfile profile)
        => Workspace(profile.WorkspaceId).CustomerChanged(new CustomerChangedPush(profile.Id, profile.Version, profile));

    public Task SegmentJobProgressAsync(Guid workspaceId, Crm.Inbox.Segments.BulkJob job) => Workspace(workspaceId).SegmentJobProgress(job);

    public Task CustomersMergedAsync(Guid workspaceId, CustomersMergedPush push) => Workspace(workspaceId).CustomersMerged(push);

    public Task CustomerImportProgressedAsync(Guid workspaceId, Crm.Inbox.Customers.Import.CustomerImportProgressPush push)
        => Workspace(workspaceId).CustomerImportProgressed(push);

    private IInboxClient Workspace(Guid workspaceId) => hub.Clients.Group(InboxHub.WorkspaceGroup(workspaceId));
}
