using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using Crm.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Workspaces;

public enum AccountOutcome { Done, Invalid, WrongCredentials, LockedOut, Deactivated, NotFound, Forbidden, Conflict, Gone }

/// <summary>What an account operation did; <see cref="Problem"/> says why when it did not.</summary>
public sealed record AccountResult(AccountOutcome Outcome, Agent? Agent = null, string? Problem = null, TimeSpan? RetryAfter = null)
{
    public static AccountResult Done(Agent agent) => new(AccountOutcome.Done, agent);
    public static AccountResult Failed(AccountOutcome outcome, string problem) => new(outcome, Problem: problem);
}

/// <summary>
/// The rules of agents' accounts: passwords (hashed with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>,
/// never kept or logged in plain text), lockout after repeated failures, invitations, roles, deactivation.
/// Callers (the APIs, first-run setup) map the outcomes to their own answers.
/// </summary>
public sealed class AgentAccounts(
    IAgentStore agents,
    IWorkspaceStore workspaces,
    AgentConnections connections,
    AgentSessionCheck sessions,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<AgentAccounts> logger)
{
    public const int MinimumPasswordLength = 10;
    public const int MaxFailedSignIns = 5;
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);
    public const string WrongCredentialsProblem = "The email or password is wrong.";

    private static readonly PasswordHasher<Agent> Hasher = new();

    /// <summary>Hashed for unknown emails, so that a wrong email costs as long as a wrong password.</summary>
    private static readonly string UnknownAgentHash = Hasher.HashPassword(null!, "no-such-agent-password");

    public async Task<AccountResult> CreateAgentAsync(Guid workspaceId, string? email, string? name, string? role, string? password, CancellationToken ct = default)
    {
        if (Validate(email, name, role, password) is { } problem) return AccountResult.Failed(AccountOutcome.Invalid, problem);
        var agent = new Agent(Guid.NewGuid(), workspaceId, email!.Trim(), name!.Trim(), role!, "", IsActive: true, FailedSignIns: 0,
            LockedUntil: null, NewSessionStamp(), clock.GetUtcNow());
        agent = agent with { PasswordHash = Hasher.HashPassword(agent, password!) };
        return await agents.TryCreateAsync(agent, ct)
            ? AccountResult.Done(agent)
            : AccountResult.Failed(AccountOutcome.Conflict, "An agent with this email exists already.");
    }

    /// <summary>Creates a workspace and its owner: first-run setup. Does nothing when the email is taken already.</summary>
    public async Task<AccountResult> CreateWorkspaceWithOwnerAsync(Guid workspaceId, string? workspaceName, string? email, string? name, string? password, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(workspaceName) || workspaceName.Trim().Length > 100)
            return AccountResult.Failed(AccountOutcome.Invalid, "The workspace needs a name of 1 to 100 characters.");
        if (Validate(email, name, AgentRoles.Owner, password) is { } problem) return AccountResult.Failed(AccountOutcome.Invalid, problem);
        await workspaces.TryCreateAsync(new Workspace(workspaceId, workspaceName.Trim(), clock.GetUtcNow()), ct);
        return await CreateAgentAsync(workspaceId, email, name, AgentRoles.Owner, password, ct);
    }

    public async Task<AccountResult> SignInAsync(string? email, string? password, CancellationToken ct = default)
    {
        var agent = string.IsNullOrWhiteSpace(email) ? null : await agents.FindByEmailAsync(email, ct);
        if (agent is null)
        {
            Hasher.VerifyHashedPassword(null!, UnknownAgentHash, password ?? "");
            logger.LogInformation("Sign-in refused: no agent has that email.");
            return AccountResult.Failed(AccountOutcome.WrongCredentials, WrongCredentialsProblem);
        }

        var now = clock.GetUtcNow();
        // While locked even the right password is refused, and the attempt is not counted.
        if (agent.LockedUntil is { } lockedUntil && lockedUntil > now) return LockedOut(agent, lockedUntil - now);

        var verification = Hasher.VerifyHashedPassword(agent, agent.PasswordHash, password ?? "");
        if (verification == PasswordVerificationResult.Failed)
        {
            var counted = await agents.RecordFailedSignInAsync(agent.Id, MaxFailedSignIns, now + LockoutDuration, ct);
            if (counted?.LockedUntil is { } locked && locked > now) return LockedOut(agent, locked - now);
            logger.LogInformation("Sign-in refused for agent {AgentId}: wrong password.", agent.Id);
            return AccountResult.Failed(AccountOutcome.WrongCredentials, WrongCredentialsProblem);
        }
        if (!agent.IsActive)
        {
            logger.LogInformation("Sign-in refused for agent {AgentId}: deactivated.", agent.Id);
            return AccountResult.Failed(AccountOutcome.Deactivated, "This agent has been deactivated.");
        }
        await agents.ResetFailedSignInsAsync(agent.Id, ct);
        return AccountResult.Done(agent);
    }

    private AccountResult LockedOut(Agent agent, TimeSpan retryAfter)
    {
        logger.LogWarning("Sign-in refused for agent {AgentId}: locked out after {Failures} failed sign-ins.", agent.Id, MaxFailedSignIns);
        return new AccountResult(AccountOutcome.LockedOut, Problem: "Too many failed sign-ins: try again later.", RetryAfter: retryAfter);
    }

    public async Task<(AccountResult Result, Invitation? Invitation, string? Token)> InviteAsync(Agent inviter, string? email, string? role, CancellationToken ct = default)
    {
        if (!AgentRoles.CanManage(inviter.Role)) return (AccountResult.Failed(AccountOutcome.Forbidden, "Only owners and admins invite agents."), null, null);
        if (!IsEmail(email)) return (AccountResult.Failed(AccountOutcome.Invalid, "email must be an email address."), null, null);
        role ??= AgentRoles.Agent;
        if (!AgentRoles.All.Contains(role)) return (AccountResult.Failed(AccountOutcome.Invalid, $"role must be one of {string.Join(", ", AgentRoles.All)}."), null, null);
        if (role == AgentRoles.Owner && inviter.Role != AgentRoles.Owner)
            return (AccountResult.Failed(AccountOutcome.Forbidden, "Only owners may make owners."), null, null);
        if (await agents.FindByEmailAsync(email!, ct) is not null)
            return (AccountResult.Failed(AccountOutcome.Conflict, "An agent with this email exists already."), null, null);

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = clock.GetUtcNow();
        var invitation = new Invitation(Guid.NewGuid(), HashToken(token), email!.Trim(), role, inviter.WorkspaceId, inviter.Id, now, now + InvitationLifetime, null);
        await agents.CreateInvitationAsync(invitation, ct);
        logger.LogInformation("Agent {AgentId} invited a new {Role} to workspace {WorkspaceId} (invitation {InvitationId}).", inviter.Id, role, inviter.WorkspaceId, invitation.Id);
        return (new AccountResult(AccountOutcome.Done, inviter), invitation, token);
    }

    public async Task<AccountResult> AcceptInvitationAsync(string? token, string? name, string? password, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 200) return AccountResult.Failed(AccountOutcome.Invalid, "token is required.");
        var invitation = await agents.FindInvitationAsync(HashToken(token.Trim()), ct);
        if (invitation is null) return AccountResult.Failed(AccountOutcome.NotFound, "No such invitation.");
        if (invitation.UsedAt is not null) return AccountResult.Failed(AccountOutcome.Gone, "This invitation has been used already.");
        if (invitation.ExpiresAt <= clock.GetUtcNow()) return AccountResult.Failed(AccountOutcome.Gone, "This invitation has expired.");
        if (Validate(invitation.Email, name, invitation.Role, password) is { } problem) return AccountResult.Failed(AccountOutcome.Invalid, problem);
        if (await agents.FindByEmailAsync(invitation.Email, ct) is not null)
            return AccountResult.Failed(AccountOutcome.Conflict, "An agent with this email exists already.");
        // Used first: of two racing accepts only one gets past here.
        if (!await agents.TryUseInvitationAsync(invitation.Id, clock.GetUtcNow(), ct))
            return AccountResult.Failed(AccountOutcome.Gone, "This invitation has been used already.");
        return await CreateAgentAsync(invitation.WorkspaceId, invitation.Email, name, invitation.Role, password, ct);
    }

    /// <summary>Changes an agent of the caller's workspace; an agent of another workspace is "not found".</summary>
    public async Task<AccountResult> UpdateAsync(Agent caller, Guid id, string? name, string? role, CancellationToken ct = default)
    {
        if (!AgentRoles.CanManage(caller.Role)) return AccountResult.Failed(AccountOutcome.Forbidden, "Only owners and admins change agents.");
        var target = await agents.GetAsync(id, ct);
        if (target is null || target.WorkspaceId != caller.WorkspaceId) return AccountResult.Failed(AccountOutcome.NotFound, "No such agent.");
        if (name is not null && (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100))
            return AccountResult.Failed(AccountOutcome.Invalid, "name must be 1 to 100 characters.");
        if (role is not null)
        {
            if (!AgentRoles.All.Contains(role)) return AccountResult.Failed(AccountOutcome.Invalid, $"role must be one of {string.Join(", ", AgentRoles.All)}.");
            // Making an owner, or changing one, is an owner's decision.
            if ((role == AgentRoles.Owner || target.Role == AgentRoles.Owner) && role != target.Role && caller.Role != AgentRoles.Owner)
                return AccountResult.Failed(AccountOutcome.Forbidden, "Only owners may make or change owners.");
            if (target.Role == AgentRoles.Owner && role != AgentRoles.Owner && target.IsActive && await agents.CountActiveOwnersAsync(target.WorkspaceId, ct) <= 1)
                return AccountResult.Failed(AccountOutcome.Conflict, "The last owner cannot be demoted.");
        }
        // Tokens carry the role: a new role ends the agent's sessions, so no token keeps claiming the old one.
        var roleChanges = role is not null && role != target.Role;
        var updated = await agents.UpdateProfileAsync(id, name?.Trim(), role, roleChanges ? NewSessionStamp() : null, ct);
        if (updated is null) return AccountResult.Failed(AccountOutcome.NotFound, "No such agent.");
        // The check above read a moment ago; the store's own check is the one that holds when owners change at once.
        if (role is not null && updated.Role != role) return AccountResult.Failed(AccountOutcome.Conflict, "The last owner cannot be demoted.");
        if (roleChanges)
        {
            sessions.Forget(id);
            logger.LogInformation("Agent {AgentId} made agent {TargetId} {Role}; their sessions end.", caller.Id, id, role);
            await connections.EndSessionsAsync(id);
        }
        return AccountResult.Done(updated);
    }

    public async Task<AccountResult> SetActiveAsync(Agent caller, Guid id, bool active, CancellationToken ct = default)
    {
        if (!AgentRoles.CanManage(caller.Role)) return AccountResult.Failed(AccountOutcome.Forbidden, "Only owners and admins deactivate agents.");
        var target = await agents.GetAsync(id, ct);
        if (target is null || target.WorkspaceId != caller.WorkspaceId) return AccountResult.Failed(AccountOutcome.NotFound, "No such agent.");
        if (target.Role == AgentRoles.Owner && caller.Role != AgentRoles.Owner)
            return AccountResult.Failed(AccountOutcome.Forbidden, "Only owners may deactivate or activate owners.");
        if (target.IsActive == active) return AccountResult.Done(target);
        if (!active && target.Role == AgentRoles.Owner && await agents.CountActiveOwnersAsync(target.WorkspaceId, ct) <= 1)
            return AccountResult.Failed(AccountOutcome.Conflict, "The last owner cannot be deactivated.");

        var updated = await agents.SetActiveAsync(id, active, NewSessionStamp(), ct);
        if (updated is null) return AccountResult.Failed(AccountOutcome.NotFound, "No such agent.");
        if (updated.IsActive != active) return AccountResult.Failed(AccountOutcome.Conflict, "The last owner cannot be deactivated.");
        sessions.Forget(id);
        if (!active)
        {
            logger.LogInformation("Agent {AgentId} deactivated agent {TargetId}; their sessions end.", caller.Id, id);
            await connections.EndSessionsAsync(id);
            // The assignment engine returns their conversations to the queue when it hears this.
            if (services.GetService(typeof(IBus)) is IBus bus) await bus.Publish(new AgentDeactivated(id, updated.WorkspaceId), ct);
        }
        return AccountResult.Done(updated);
    }

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string NewSessionStamp() => Guid.NewGuid().ToString("N");

    private static string? Validate(string? email, string? name, string? role, string? password)
    {
        if (!IsEmail(email)) return "email must be an email address.";
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100) return "name must be 1 to 100 characters.";
        if (role is null || !AgentRoles.All.Contains(role)) return $"role must be one of {string.Join(", ", AgentRoles.All)}.";
        if (password is null || password.Length < MinimumPasswordLength) return $"The password must be at least {MinimumPasswordLength} characters long.";
        if (password.Length > 200) return "The password must be at most 200 characters long.";
        return null;
    }

    private static bool IsEmail(string? email)
        => !string.IsNullOrWhiteSpace(email) && email.Trim().Length <= 254 && MailAddress.TryCreate(email.Trim(), out var parsed) && parsed.Address == email.Trim();
}
