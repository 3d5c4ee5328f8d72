using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Crm.Inbox.Workspaces;

/// <summary>An agent as the API shows it: never a password or its hash.</summary>
public sealed record AgentView(Guid Id, string Name, string Email, string Role, Guid WorkspaceId, bool IsActive, DateTimeOffset CreatedAt)
{
    public static AgentView Of(Agent agent) => new(agent.Id, agent.Name, agent.Email, agent.Role, agent.WorkspaceId, agent.IsActive, agent.CreatedAt);
}

/// <summary>The workspace's agents: who is in it, invitations, roles, deactivation (owners and admins).</summary>
public static class AgentsApi
{
    public sealed record InviteRequest(string? Email, string? Role);

    public sealed record InvitationCreated(Guid InvitationId, string Token, string AcceptUrl, DateTimeOffset ExpiresAt);

    public sealed record UpdateAgentRequest(string? Name, string? Role);

    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/api/agents").RequireAuthorization().WithTags("Agents");
        agents.MapGet("/me", GetMe);
        agents.MapGet("/", List);
        agents.MapPost("/invitations", Invite);
        agents.MapPatch("/{id:guid}", Update);
        agents.MapPost("/{id:guid}/deactivate", (Guid id, ClaimsPrincipal user, IAgentStore store, AgentAccounts accounts, CancellationToken ct)
            => SetActive(id, active: false, user, store, accounts, ct));
        agents.MapPost("/{id:guid}/activate", (Guid id, ClaimsPrincipal user, IAgentStore store, AgentAccounts accounts, CancellationToken ct)
            => SetActive(id, active: true, user, store, accounts, ct));
        return app;
    }

    public static async Task<Results<Ok<AgentView>, ProblemHttpResult>> GetMe(ClaimsPrincipal user, IAgentStore store, CancellationToken ct)
        => await CallerAsync(user, store, ct) is { } me ? TypedResults.Ok(AgentView.Of(me)) : CallerUnknown();

    public static async Task<Results<Ok<IReadOnlyList<AgentView>>, ProblemHttpResult>> List(ClaimsPrincipal user, IAgentStore store, CancellationToken ct)
    {
        var agents = await store.ListAsync(user.WorkspaceId(), ct);
        return TypedResults.Ok<IReadOnlyList<AgentView>>(agents.Select(AgentView.Of).ToList());
    }

    public static async Task<Results<Ok<InvitationCreated>, ProblemHttpResult>> Invite(
        InviteRequest request, ClaimsPrincipal user, IAgentStore store, AgentAccounts accounts, HttpRequest http, CancellationToken ct)
    {
        if (await CallerAsync(user, store, ct) is not { } caller) return CallerUnknown();
        var (result, invitation, token) = await accounts.InviteAsync(caller, request.Email, request.Role, ct);
        if (invitation is null || token is null) return Problem(result);
        var acceptUrl = $"{http.Scheme}://{http.Host}{http.PathBase}/?invitation={Uri.EscapeDataString(token)}";
        return TypedResults.Ok(new InvitationCreated(invitation.Id, token, acceptUrl, invitation.ExpiresAt));
    }

    public static async Task<Results<Ok<AgentView>, ProblemHttpResult>> Update(
        Guid id, UpdateAgentRequest request, ClaimsPrincipal user, IAgentStore store, AgentAccounts accounts, CancellationToken ct)
    {
        if (await CallerAsync(user, store, ct) is not { } caller) return CallerUnknown();
        var result = await accounts.UpdateAsync(caller, id, request.Name, request.Role, ct);
        return result.Agent is { } updated && result.Outcome == AccountOutcome.Done ? TypedResults.Ok(AgentView.Of(updated)) : Problem(result);
    }

    private static async Task<Results<Ok<AgentView>, ProblemHttpResult>> SetActive(
        Guid id, bool active, ClaimsPrincipal user, IAgentStore store, AgentAccounts accounts, CancellationToken ct)
    {
        if (await CallerAsync(user, store, ct) is not { } caller) return CallerUnknown();
        var result = await accounts.SetActiveAsync(caller, id, active, ct);
        return result.Agent is { } updated && result.Outcome == AccountOutcome.Done ? TypedResults.Ok(AgentView.Of(updated)) : Problem(result);
    }

    /// <summary>The caller as stored now: their current role decides, not the one their token was issued with.</summary>
    private static async Task<Agent?> CallerAsync(ClaimsPrincipal user, IAgentStore store, CancellationToken ct)
        => await store.GetAsync(user.AgentIdOf(), ct) is { IsActive: true } agent && agent.WorkspaceId == user.WorkspaceId() ? agent : null;

    private static ProblemHttpResult CallerUnknown()
        => TypedResults.Problem("The signed-in agent no longer exists or is deactivated.", statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in");

    /// <summary>An account operation's refusal as problem details.</summary>
    public static ProblemHttpResult Problem(AccountResult result) => result.Outcome switch
    {
        AccountOutcome.Invalid => TypedResults.Problem(result.Problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request"),
        AccountOutcome.WrongCredentials => TypedResults.Problem(result.Problem, statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed"),
        AccountOutcome.Deactivated => TypedResults.Problem(result.Problem, statusCode: StatusCodes.Status403Forbidden, title: "Agent deactivated"),
        AccountOutcome.Forbidden => TypedResults.Problem(result.Problem, statusCode: StatusCodes.Status403Forbidden, title: "Not allowed"),
        AccountOutcome.NotFound => TypedResults.Problem(result.Problem, statusCode: StatusCodes.Status404NotFound, title: "Not found"),
        AccountOutcome.Conflict => TypedResults.Problem(result.Problem, statusCode: StatusCodes.Status409Conflict, title: "Conflict"),
        AccountOutcome.Gone => TypedResults.Problem(result.Problem, statusCode: StatusCodes.Status410Gone, title: "Invitation no longer valid"),
        AccountOutcome.LockedOut => TypedResults.Problem(result.Problem, statusCode: StatusCodes.Status429TooManyRequests, title: "Locked out"),
        _ => throw new InvalidOperationException($"{result.Outcome} is not a refusal."),
    };
}
