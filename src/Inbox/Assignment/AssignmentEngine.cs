using Crm.Inbox.Agents;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Assignment;

/// <summary>
/// Shares a workspace's queue out to its online agents, and takes conversations back from agents who left or did not
/// answer. It decides from a snapshot (agents, presence, loads) and commits each assignment with an atomic
/// <see cref="IAssignmentStore.ReassignAsync"/> that re-checks the conversation and the agent's capacity, so engines in
/// several processes, and agents acting by hand meanwhile, can only lose a race, never double-assign nor overfill.
/// </summary>
public sealed class AssignmentEngine(IAssignmentStore assignments, IAgentPresenceStore presence, IInboxStore conversations, ITeamStore teams,
    IAgentStore agents, AgentNotifier notifier, IOptions<AssignmentOptions> options, TimeProvider clock, ILogger<AssignmentEngine> logger)
{
    private const int Page = 200;

    /// <summary>A conversation is tried with at most this many agents in one pass (each refusal means a snapshot was stale).</summary>
    private const int AttemptsPerConversation = 3;

    private AssignmentOptions Options => options.Value;

    /// <summary>Each agent's availability at this process's last sweep: a change the engine works out (gone offline, idle) is pushed once.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> lastSeenAvailability = new();

    /// <summary>Gives queued conversations, longest queued first, to online agents with room; returns how many it assigned.</summary>
    public async Task<int> DrainAsync(Guid workspaceId, CancellationToken ct)
    {
        var roster = await RosterAsync(workspaceId, ct);
        var assigned = 0;
        PageCursor? after = null;
        while (roster.AnyoneHasRoom(clock.GetUtcNow(), Options))
        {
            var queue = await conversations.ListConversationsAsync(workspaceId, after, Page,
                new ConversationListFilter(Sort: ConversationSorts.Queue), ct);
            foreach (var conversation in queue)
                if (await TryAssignAsync(conversation, roster, ct)) assigned++;
            if (queue.Count < Page) break;
            after = new PageCursor(queue[^1].QueuedAt!.Value, queue[^1].Id);
        }
        return assigned;
    }

    /// <summary>
    /// The periodic pass over a workspace: conversations of deactivated agents, of agents gone offline, and of customers
    /// left unanswered too long go back to the queue; then the queue is drained.
    /// </summary>
    public async Task SweepAsync(Guid workspaceId, CancellationToken ct)
    {
        var roster = await RosterAsync(workspaceId, ct);
        var now = clock.GetUtcNow();
        await PushAvailabilityChangesAsync(roster, workspaceId, now);
        foreach (var (agentId, open) in roster.Loads.Where(load => load.Value > 0).ToList())
        {
            if (!roster.Agents.ContainsKey(agentId))
                await ReleaseAsync(workspaceId, agentId, AssignmentReasons.AgentDeactivated, null, roster.NameOf(agentId), ct);
            else if (roster.PresenceOf(agentId).Effective(now, Options) == Availabilities.Offline)
                await ReleaseAsync(workspaceId, agentId, AssignmentReasons.AgentOffline, roster.PresenceOf(agentId).WentOfflineAt, roster.NameOf(agentId), ct);
        }
        foreach (var team in roster.Teams.Values.Where(team => team.ReassignAfterMinutes is not null))
        {
            var cutoff = now.AddMinutes(-team.ReassignAfterMinutes!.Value);
            foreach (var conversation in await assignments.ListUnansweredAsync(workspaceId, team.Id, cutoff, Page, ct))
            {
                var result = await assignments.ReassignAsync(new Reassignment(conversation.Id, conversation.AssigneeId, null, null, now)
                {
                    OnlyIfOpen = true,
                    AssignedNoLaterThan = cutoff,
                    Reason = AssignmentReasons.NoReply,
                    FromName = roster.NameOf(conversation.AssigneeId!.Value),
                }, ct);
                await PushAsync(result);
            }
        }
        await DrainAsync(workspaceId, ct);
    }

    /// <summary>
    /// Puts the agent's open conversations back in the queue (those they had since <paramref name="assignedNoLaterThan"/> or
    /// earlier, when given), each with an activity entry giving <paramref name="reason"/>.
    /// </summary>
    public async Task<int> ReleaseAsync(Guid workspaceId, Guid agentId, string reason, DateTimeOffset? assignedNoLaterThan, string? agentName,
        CancellationToken ct)
    {
        var released = 0;
        IReadOnlyList<Conversation> open;
        var skipped = new HashSet<Guid>();
        do
        {
            open = await assignments.ListOpenAssignedToAsync(workspaceId, agentId, Page, ct);
            var progress = false;
            foreach (var conversation in open.Where(c => !skipped.Contains(c.Id)))
            {
                var result = await assignments.ReassignAsync(new Reassignment(conversation.Id, agentId, null, null, clock.GetUtcNow())
                {
                    OnlyIfOpen = true,
                    AssignedNoLaterThan = assignedNoLaterThan,
                    Reason = reason,
                    FromName = agentName,
                }, ct);
                if (result.Outcome == ReassignmentOutcome.Done)
                {
                    released++;
                    progress = true;
                    await PushAsync(result);
                }
                else
                {
                    // Given to them after they left (by an admin): theirs to keep.
                    skipped.Add(conversation.Id);
                }
            }
            if (!progress) break;
        } while (open.Count == Page);
        if (released > 0) logger.LogInformation("Returned {Count} conversations of agent {AgentId} to the queue: {Reason}", released, agentId, reason);
        return released;
    }

    public async Task<string?> NameOfAsync(Guid agentId, CancellationToken ct) => (await agents.GetAsync(agentId, ct))?.Name;

    private async Task<bool> TryAssignAsync(Conversation conversation, Roster roster, CancellationToken ct)
    {
        var team = conversation.TeamId is { } teamId && roster.Teams.TryGetValue(teamId, out var found) ? found : null;
        var capacity = team?.MaxOpenPerAgent ?? Options.WorkspaceMaxOpenPerAgent;
        var policy = team?.Policy ?? Options.WorkspacePolicy;
        var refused = new HashSet<Guid>();
        for (var attempt = 0; attempt < AttemptsPerConversation; attempt++)
        {
            if (roster.Pick(team, capacity, policy, conversation.ReturnedFrom, refused, clock.GetUtcNow(), Options) is not { } agentId) return false;
            var now = clock.GetUtcNow();
            var result = await assignments.ReassignAsync(new Reassignment(conversation.Id, null, agentId, null, now)
            {
                Capacity = capacity,
                OnlyIfOpen = true,
                ToName = roster.NameOf(agentId),
            }, ct);
            switch (result.Outcome)
            {
                case ReassignmentOutcome.Done:
                    roster.Assigned(agentId, now);
                    await PushAsync(result);
                    return true;
                case ReassignmentOutcome.Full:
                    // Another process (or an agent taking one by hand) filled them since the snapshot.
                    roster.Full(agentId, capacity);
                    refused.Add(agentId);
                    break;
                default:
                    return false; // taken, resolved or gone meanwhile
            }
        }
        return false;
    }

    private async Task PushAvailabilityChangesAsync(Roster roster, Guid workspaceId, DateTimeOffset now)
    {
        foreach (var agent in roster.Agents.Values)
        {
            var presence = roster.PresenceOf(agent.Id);
            var availability = presence.Effective(now, Options);
            if (lastSeenAvailability.TryGetValue(agent.Id, out var before) && before != availability)
            {
                try
                {
                    await notifier.AvailabilityChangedAsync(workspaceId, new AssignmentApi.AvailabilityView(agent.Id, agent.Name, presence.Chosen, availability,
                        roster.Loads.GetValueOrDefault(agent.Id), presence.LastSeenAt));
                }
                catch (Exception error)
                {
                    logger.LogWarning(error, "Could not push the availability of agent {AgentId}", agent.Id);
                }
            }
            lastSeenAvailability[agent.Id] = availability;
        }
    }

    private async Task PushAsync(ReassignmentResult result)
    {
        if (result.Changed is not { Entries.Count: > 0 } changed) return;
        try
        {
            await notifier.MessagesAddedAsync(changed.Entries.Select(entry => new StoredInbound(entry, changed.Conversation)).ToList());
        }
        catch (Exception error)
        {
            // Stored already; agents see it on their next read.
            logger.LogWarning(error, "Could not push the assignment of conversation {ConversationId}", changed.Conversation.Id);
        }
    }

    private async Task<Roster> RosterAsync(Guid workspaceId, CancellationToken ct)
    {
        var everyone = await agents.ListAsync(workspaceId, ct);
        return new Roster(
            everyone.Where(agent => agent.IsActive).ToDictionary(agent => agent.Id),
            everyone.ToDictionary(agent => agent.Id, agent => agent.Name),
            (await presence.ListPresenceAsync(workspaceId, ct)).ToDictionary(p => p.AgentId),
            (await assignments.CountOpenByAssigneeAsync(workspaceId, ct)).ToDictionary(),
            (await teams.ListTeamsAsync(workspaceId, ct)).ToDictionary(team => team.Id),
            workspaceId);
    }

    /// <summary>The engine's snapshot of a workspace, kept current with its own assignments during a pass.</summary>
    private sealed class Roster(Dictionary<Guid, Agent> agents, Dictionary<Guid, string> names, Dictionary<Guid, AgentPresence> presence,
        Dictionary<Guid, int> loads, Dictionary<Guid, Team> teams, Guid workspaceId)
    {
        public Dictionary<Guid, Agent> Agents => agents;
        public Dictionary<Guid, int> Loads => loads;
        public Dictionary<Guid, Team> Teams => teams;

        public string? NameOf(Guid agentId) => names.GetValueOrDefault(agentId);

        public AgentPresence PresenceOf(Guid agentId) => presence.GetValueOrDefault(agentId) ?? AgentPresence.Unknown(agentId, workspaceId);

        /// <summary>Whether any online agent has room under the largest capacity in use: if not, the queue need not be read.</summary>
        public bool AnyoneHasRoom(DateTimeOffset now, AssignmentOptions options)
        {
            var largest = teams.Values.Select(team => team.MaxOpenPerAgent).Append(options.WorkspaceMaxOpenPerAgent).Max();
            return agents.Keys.Any(id => loads.GetValueOrDefault(id) < largest && PresenceOf(id).Effective(now, options) == Availabilities.Online);
        }

        /// <summary>
        /// The agent whose turn it is: among the team's (or the workspace's) online agents with room, round robin takes
        /// whoever was given a conversation longest ago, least-loaded whoever has fewest open (then longest ago). The agent
        /// a conversation was taken from for not answering gets it back only when nobody else can take it.
        /// </summary>
        public Guid? Pick(Team? team, int capacity, string policy, Guid? returnedFrom, HashSet<Guid> refused, DateTimeOffset now, AssignmentOptions options)
        {
            if (policy == AssignmentPolicies.Manual) return null;
            var candidates = (team?.Members ?? (IEnumerable<Guid>)agents.Keys)
                .Where(id => agents.ContainsKey(id) && !refused.Contains(id) && loads.GetValueOrDefault(id) < capacity
                             && PresenceOf(id).Effective(now, options) == Availabilities.Online)
                .ToList();
            if (candidates.Count > 1 && returnedFrom is { } previous) candidates.Remove(previous);
            if (candidates.Count == 0) return null;
            var ordered = policy == AssignmentPolicies.LeastLoaded
                ? candidates.OrderBy(id => loads.GetValueOrDefault(id)).ThenBy(LastTurn).ThenBy(id => id)
                : candidates.OrderBy(LastTurn).ThenBy(id => id);
            return ordered.First();
        }

        public void Assigned(Guid agentId, DateTimeOffset at)
        {
            loads[agentId] = loads.GetValueOrDefault(agentId) + 1;
            presence[agentId] = PresenceOf(agentId) with { LastAssignedAt = at };
        }

        public void Full(Guid agentId, int capacity) => loads[agentId] = Math.Max(loads.GetValueOrDefault(agentId), capacity);

        private DateTimeOffset LastTurn(Guid agentId) => PresenceOf(agentId).LastAssignedAt ?? DateTimeOffset.MinValue;
    }
}
