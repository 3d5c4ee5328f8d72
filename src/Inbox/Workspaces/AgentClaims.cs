using System.Security.Claims;

namespace Crm.Inbox.Workspaces;

/// <summary>What an agent's token says about them: the one place that names the claims.</summary>
public static class AgentClaims
{
    public const string AgentId = "sub";
    public const string Name = "name";
    public const string Email = "email";
    public const string Workspace = "crm_workspace";
    public const string Role = "crm_role";

    /// <summary>Changes when the agent is deactivated or their role or password changes: older tokens stop working.</summary>
    public const string SessionStamp = "crm_stamp";

    /// <summary>The caller's workspace; every query and push is scoped by it.</summary>
    public static Guid WorkspaceId(this ClaimsPrincipal user)
        => Guid.TryParse(user.FindFirst(Workspace)?.Value, out var id) ? id : throw new InvalidOperationException("The token carries no workspace.");

    public static Guid AgentIdOf(this ClaimsPrincipal user)
        => Guid.TryParse(user.FindFirst(AgentId)?.Value, out var id) ? id : throw new InvalidOperationException("The token carries no agent id.");

    public static string RoleOf(this ClaimsPrincipal user) => user.FindFirst(Role)?.Value ?? AgentRoles.Agent;
}

public static class AgentRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Agent = "agent";

    public static readonly IReadOnlyList<string> All = [Owner, Admin, Agent];

    /// <summary>Owners and admins manage agents, teams and channel connections.</summary>
    public static bool CanManage(string role) => role is Owner or Admin;
}

/// <summary>The workspace Development seeds, with a fixed id so each part of the seed can find it.</summary>
public static class DemoWorkspace
{
    public static readonly Guid Id = Guid.Parse("5eed0000-0000-4000-8000-000000000001");
}
