namespace Crm.Inbox.Workspaces;

/// <summary>Agents and the invitations that create them.</summary>
public interface IAgentStore
{
    /// <summary>Creates tables and indexes; safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken ct = default);

    /// <summary>False when the id or the email (whatever its case) is taken already.</summary>
    Task<bool> TryCreateAsync(Agent agent, CancellationToken ct = default);

    Task<Agent?> GetAsync(Guid id, CancellationToken ct = default);

    Task<Agent?> FindByEmailAsync(string email, CancellationToken ct = default);

    /// <summary>A workspace's agents, oldest first.</summary>
    Task<IReadOnlyList<Agent>> ListAsync(Guid workspaceId, CancellationToken ct = default);

    /// <summary>Whether any agent exists at all: first-run setup only creates an owner when none does.</summary>
    Task<bool> AnyAsync(CancellationToken ct = default);

    /// <summary>Active owners of a workspace: the last one may not be demoted or deactivated.</summary>
    Task<int> CountActiveOwnersAsync(Guid workspaceId, CancellationToken ct = default);

    /// <summary>
    /// Counts a failed sign-in atomically. The failure that reaches <paramref name="maxFailures"/> locks the
    /// agent until <paramref name="lockUntil"/> and starts the count again. Returns the agent afterwards.
    /// </summary>
    Task<Agent?> RecordFailedSignInAsync(Guid id, int maxFailures, DateTimeOffset lockUntil, CancellationToken ct = default);

    /// <summary>A successful sign-in forgets earlier failures.</summary>
    Task ResetFailedSignInsAsync(Guid id, CancellationToken ct = default);

    /// <summary>
    /// Changes name, role and/or session stamp (null keeps the current value). Returns the agent afterwards; null when
    /// there is no such agent. Never leaves a workspace without an active owner, however many changes race: demoting
    /// its last one changes nothing and returns the agent as they are.
    /// </summary>
    Task<Agent?> UpdateProfileAsync(Guid id, string? name, string? role, string? sessionStamp = null, CancellationToken ct = default);

    /// <summary>
    /// Activates or deactivates with a new session stamp, so tokens issued before stop working. Deactivating a
    /// workspace's last active owner changes nothing and returns the agent as they are, as with <see cref="UpdateProfileAsync"/>.
    /// </summary>
    Task<Agent?> SetActiveAsync(Guid id, bool active, string sessionStamp, CancellationToken ct = default);

    Task CreateInvitationAsync(Invitation invitation, CancellationToken ct = default);

    Task<Invitation?> FindInvitationAsync(string tokenHash, CancellationToken ct = default);

    /// <summary>Marks an invitation used; false when it was used already (by a racing request, too).</summary>
    Task<bool> TryUseInvitationAsync(Guid id, DateTimeOffset at, CancellationToken ct = default);
}
