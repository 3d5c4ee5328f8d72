namespace Crm.Inbox.Workspaces;

/// <summary>A team's own Crm: everything else (customers, agents, channels) belongs to exactly one.</summary>
public sealed record Workspace(Guid Id, string Name, DateTimeOffset CreatedAt);

/// <summary>
/// A person who signs in. <see cref="SessionStamp"/> is copied into every token issued to them; changing it
/// (deactivation) makes all those tokens stop working.
/// </summary>
public sealed record Agent(
    Guid Id,
    Guid WorkspaceId,
    string Email,
    string Name,
    string Role,
    string PasswordHash,
    bool IsActive,
    int FailedSignIns,
    DateTimeOffset? LockedUntil,
    string SessionStamp,
    DateTimeOffset CreatedAt)
{
    /// <summary>Emails are unique per deployment whatever their case: this is the form compared and indexed.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToUpperInvariant();
}

/// <summary>An invitation to join a workspace. Only the SHA-256 of its token is kept; the token itself is shown once.</summary>
public sealed record Invitation(
    Guid Id,
    string TokenHash,
    string Email,
    string Role,
    Guid WorkspaceId,
    Guid InvitedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? UsedAt);
