using Crm.Inbox.Timelines;

namespace Crm.Inbox.Assignment;

/// <summary>
/// One change of who has a conversation (and, for a transfer to a team, its team), made only if the conversation is
/// still <see cref="From"/>'s: two processes, or an agent and the engine, racing for the same conversation cannot
/// both win. <see cref="To"/> null puts it back in the queue.
/// </summary>
public sealed record Reassignment(Guid ConversationId, Guid? From, Guid? To, string? Actor, DateTimeOffset At)
{
    /// <summary>
    /// <see cref="To"/> must have fewer open conversations than this, counted in the same atomic step as the change; null
    /// for no limit (an admin's choice by hand).
    /// </summary>
    public int? Capacity { get; init; }

    /// <summary>Only an open conversation (the engine serves the queue; one resolved meanwhile is left alone).</summary>
    public bool OnlyIfOpen { get; init; }

    /// <summary>Only if it was assigned at or before this (returning an offline agent's conversations: not one given to them since).</summary>
    public DateTimeOffset? AssignedNoLaterThan { get; init; }

    /// <summary>Why the system did it (<see cref="AssignmentReasons"/>); null for an agent's own choice.</summary>
    public string? Reason { get; init; }

    /// <summary>Moves it to this team (null: the whole workspace) when <see cref="ChangesTeam"/>.</summary>
    public Guid? TeamId { get; init; }

    public bool ChangesTeam { get; init; }

    /// <summary>Names for the timeline entries, as agents read them now.</summary>
    public string? FromName { get; init; }

    public string? ToName { get; init; }

    public string? FromTeamName { get; init; }

    public string? ToTeamName { get; init; }
}

public enum ReassignmentOutcome
{
    Done,

    /// <summary>No such conversation.</summary>
    NotFound,

    /// <summary>Someone else has it now (or it is no longer open, or it was assigned since): nothing changed.</summary>
    Moved,

    /// <summary>The agent has as many open conversations as the capacity allows: nothing changed.</summary>
    Full,
}

public sealed record ReassignmentResult(ReassignmentOutcome Outcome, ConversationChanged? Changed)
{
    public static readonly ReassignmentResult NotFound = new(ReassignmentOutcome.NotFound, null);
    public static readonly ReassignmentResult Moved = new(ReassignmentOutcome.Moved, null);
    public static readonly ReassignmentResult Full = new(ReassignmentOutcome.Full, null);
}

/// <summary>The rules of a reassignment, the same for every store: whether it may happen, what it changes, and the activity entries that record it.</summary>
public static class ConversationAssignment
{
    /// <summary>Whether <paramref name="change"/> still applies to the conversation as it now is (capacity aside).</summary>
    public static bool Applies(Conversation conversation, Reassignment change)
        => conversation.AssigneeId == change.From
           && (!change.OnlyIfOpen || conversation.Status == ConversationStatuses.Open)
           && (change.AssignedNoLaterThan is not { } latest || conversation.AssignedAt is not { } assigned || assigned <= latest);

    public static (Conversation After, IReadOnlyList<TimelineMessage> Entries) Apply(Conversation conversation, Reassignment change)
    {
        var entries = new List<TimelineMessage>();
        var after = conversation;
        if (change.ChangesTeam && change.TeamId != conversation.TeamId)
        {
            after = after with { TeamId = change.TeamId };
            entries.Add(Entry(after, ActivityKinds.TeamChanged, change.FromTeamName, change.ToTeamName, change));
        }
        if (change.To != conversation.AssigneeId)
        {
            after = after with
            {
                AssigneeId = change.To,
                AssignedAt = change.To is null ? null : change.At,
                ReturnedFrom = change.To is not null ? null : change.Reason == AssignmentReasons.NoReply ? conversation.AssigneeId : conversation.ReturnedFrom,
            };
            var kind = (conversation.AssigneeId, change.To) switch
            {
                (null, _) => ActivityKinds.Assigned,
                (_, null) => ActivityKinds.Unassigned,
                _ => ActivityKinds.Transferred,
            };
            entries.Add(Entry(after, kind, change.FromName, change.ToName, change));
        }
        return (ConversationLifecycle.Queue(after, change.At), entries);
    }

    private static TimelineMessage Entry(Conversation conversation, string kind, string? from, string? to, Reassignment change)
        => TimelineEntries.Activity(conversation, new ActivityEntry(kind, from, to) { Reason = change.Reason }, change.Actor, change.At);
}

/// <summary>One team's queue (<see cref="TeamId"/> null: conversations routed to the whole workspace).</summary>
public sealed record QueueLength(Guid? TeamId, int Waiting, DateTimeOffset OldestQueuedAt);

/// <summary>Who has which conversation: the assignment engine's and agents' atomic moves, and what they read to decide.</summary>
public interface IAssignmentStore
{
    /// <summary>
    /// Makes the change if it still applies (<see cref="ConversationAssignment.Applies"/>) and the new agent is within
    /// <see cref="Reassignment.Capacity"/>, atomically across processes, with its activity entries; records the new agent's
    /// last assignment time (round robin turns).
    /// </summary>
    Task<ReassignmentResult> ReassignAsync(Reassignment change, CancellationToken ct = default);

    /// <summary>How many open conversations each agent of the workspace has (agents with none are left out).</summary>
    Task<IReadOnlyDictionary<Guid, int>> CountOpenByAssigneeAsync(Guid workspaceId, CancellationToken ct = default);

    /// <summary>Per team (null: routed to the whole workspace): how many conversations wait in the queue, and since when the first.</summary>
    Task<IReadOnlyList<QueueLength>> MeasureQueuesAsync(Guid workspaceId, CancellationToken ct = default);

    /// <summary>Up to <paramref name="take"/> of the agent's open conversations (to give back to the queue).</summary>
    Task<IReadOnlyList<Conversation>> ListOpenAssignedToAsync(Guid workspaceId, Guid agentId, int take, CancellationToken ct = default);

    /// <summary>
    /// Up to <paramref name="take"/> open, assigned conversations of the team whose customer has waited since
    /// <paramref name="cutoff"/> or earlier and whose agent has had them since then too.
    /// </summary>
    Task<IReadOnlyList<Conversation>> ListUnansweredAsync(Guid workspaceId, Guid teamId, DateTimeOffset cutoff, int take, CancellationToken ct = default);
}
