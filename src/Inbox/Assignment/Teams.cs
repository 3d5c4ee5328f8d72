namespace Crm.Inbox.Assignment;

public static class AssignmentPolicies
{
    /// <summary>The next agent in turn who has room.</summary>
    public const string RoundRobin = "round-robin";

    /// <summary>The agent with the fewest open conversations.</summary>
    public const string LeastLoaded = "least-loaded";

    /// <summary>Nobody is given conversations: agents take them from the queue (offline agents' still go back to it).</summary>
    public const string Manual = "manual";

    public static readonly IReadOnlyList<string> All = [RoundRobin, LeastLoaded, Manual];
}

/// <summary>
/// A team of agents that new conversations of its channel connections go to, shared out by <see cref="Policy"/>
/// with at most <see cref="MaxOpenPerAgent"/> open conversations each; a customer left without a reply for
/// <see cref="ReassignAfterMinutes"/> goes back to the queue (null: never).
/// </summary>
public sealed record Team(Guid Id, Guid WorkspaceId, string Name, string Policy, int MaxOpenPerAgent, int? ReassignAfterMinutes,
    IReadOnlyList<Guid> Members, DateTimeOffset CreatedAt);

/// <summary>The workspace's teams and their members. Names are unique within a workspace, whatever their case.</summary>
public interface ITeamStore
{
    /// <summary>Null when the workspace already has a team of that name.</summary>
    Task<Team?> AddTeamAsync(Team team, CancellationToken ct = default);

    Task<IReadOnlyList<Team>> ListTeamsAsync(Guid workspaceId, CancellationToken ct = default);

    Task<Team?> GetTeamAsync(Guid workspaceId, Guid id, CancellationToken ct = default);

    /// <summary>Replaces name, policy, capacity, reassignment and members; null when missing or the name is another team's.</summary>
    Task<Team?> UpdateTeamAsync(Team team, CancellationToken ct = default);

    Task<bool> DeleteTeamAsync(Guid workspaceId, Guid id, CancellationToken ct = default);
}

public static class TeamRules
{
    public const int MaxCapacity = 500;

    public static string? Problem(string? name, string? policy, int? maxOpenPerAgent, int? reassignAfterMinutes)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 80) return "name must be 1 to 80 characters.";
        if (policy is not null && !AssignmentPolicies.All.Contains(policy)) return $"policy must be one of {string.Join(", ", AssignmentPolicies.All)}.";
        if (maxOpenPerAgent is < 1 or > MaxCapacity) return $"maxOpenPerAgent must be between 1 and {MaxCapacity}.";
        if (reassignAfterMinutes is < 1 or > 7 * 24 * 60) return "reassignAfterMinutes must be between 1 and 10080 (a week).";
        return null;
    }
}
