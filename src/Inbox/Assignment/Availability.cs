namespace Crm.Inbox.Assignment;

public static class Availabilities
{
    /// <summary>Takes new conversations.</summary>
    public const string Online = "online";

    /// <summary>Keeps their conversations but takes no new ones (chosen, or idle for <see cref="AssignmentOptions.IdleTimeout"/>).</summary>
    public const string Away = "away";

    /// <summary>
    /// Takes nothing; their open conversations go back to the queue (chosen, or no live connection for
    /// <see cref="AssignmentOptions.OfflineGrace"/>).
    /// </summary>
    public const string Offline = "offline";

    public static readonly IReadOnlyList<string> All = [Online, Away, Offline];
}

/// <summary>
/// What the assignment engine knows of an agent's presence: the availability they chose (and when), when one of their
/// hub connections was last alive (<see cref="LastSeenAt"/>), when they last did something (<see cref="LastActiveAt"/>),
/// and when they were last given a conversation (round robin turns go to whoever waited longest).
/// </summary>
public sealed record AgentPresence(Guid AgentId, Guid WorkspaceId, string Chosen, DateTimeOffset ChosenAt, DateTimeOffset? LastSeenAt,
    DateTimeOffset? LastActiveAt, DateTimeOffset? LastAssignedAt)
{
    /// <summary>An agent who never connected: online by choice (their default), but not seen, so offline in effect.</summary>
    public static AgentPresence Unknown(Guid agentId, Guid workspaceId)
        => new(agentId, workspaceId, Availabilities.Online, DateTimeOffset.MinValue, null, null, null);

    /// <summary>What the agent is now, from their choice and their presence.</summary>
    public string Effective(DateTimeOffset now, AssignmentOptions options)
    {
        if (Chosen == Availabilities.Offline || !IsConnected(now, options)) return Availabilities.Offline;
        if (Chosen == Availabilities.Away || LastActiveAt is not { } active || now - active > options.IdleTimeout) return Availabilities.Away;
        return Availabilities.Online;
    }

    public bool IsConnected(DateTimeOffset now, AssignmentOptions options) => LastSeenAt is { } seen && now - seen <= options.OfflineGrace;

    /// <summary>
    /// When an offline agent went offline: when they chose it, or when their last connection was last seen. Only
    /// conversations they had before then go back to the queue: one an admin gave them while offline stays theirs.
    /// </summary>
    public DateTimeOffset WentOfflineAt => Chosen == Availabilities.Offline ? ChosenAt : LastSeenAt ?? DateTimeOffset.MinValue;
}

/// <summary>One process's word that an agent has a live hub connection there (and when they were last active).</summary>
public sealed record PresenceBeat(Guid AgentId, Guid WorkspaceId, DateTimeOffset SeenAt, DateTimeOffset? ActiveAt);

/// <summary>Agents' availability and presence, as every process sees it.</summary>
public interface IAgentPresenceStore
{
    /// <summary>Records that the agents are connected (and active); creates their presence on first contact. Never moves a time backwards.</summary>
    Task RecordBeatsAsync(IReadOnlyList<PresenceBeat> beats, CancellationToken ct = default);

    /// <summary>The agent's chosen availability; returns their presence afterwards.</summary>
    Task<AgentPresence> SetAvailabilityAsync(Guid agentId, Guid workspaceId, string availability, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>The presence of every agent of the workspace who ever connected or chose an availability.</summary>
    Task<IReadOnlyList<AgentPresence>> ListPresenceAsync(Guid workspaceId, CancellationToken ct = default);

    /// <summary>Workspaces with any agent presence: the only ones the assignment engine has agents to work with.</summary>
    Task<IReadOnlyList<Guid>> ListPresenceWorkspacesAsync(CancellationToken ct = default);
}

/// <summary>
/// <c>Crm:Assignment</c>. Presence is kept by heartbeats: each process records its connected agents every
/// <see cref="HeartbeatInterval"/>, so <see cref="OfflineGrace"/> must be a few times longer.
/// </summary>
public sealed class AssignmentOptions
{
    public const string Section = "Crm:Assignment";

    /// <summary>An agent whose last hub connection closed (or whose process died) is offline after this.</summary>
    public TimeSpan OfflineGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>An agent who did nothing (no request, no hub call) for this long is away: they keep their conversations but get no new ones.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often every process looks for work without being told: queues to drain, offline agents, unanswered customers.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Capacity for conversations routed to the whole workspace rather than a team (a team sets its own).</summary>
    public int WorkspaceMaxOpenPerAgent { get; set; } = 10;

    /// <summary>Policy for conversations routed to the whole workspace.</summary>
    public string WorkspacePolicy { get; set; } = AssignmentPolicies.RoundRobin;
}
