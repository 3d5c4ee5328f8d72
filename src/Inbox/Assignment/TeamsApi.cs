using System.Security.Claims;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Assignment;

/// <summary>The workspace's teams: every agent sees them; owners and admins set them up.</summary>
public static class TeamsApi
{
    public sealed record TeamRequest(string? Name, string? Policy, int? MaxOpenPerAgent, int? ReassignAfterMinutes, IReadOnlyList<Guid>? Members);

    public const int DefaultMaxOpenPerAgent = 10;

    public static IEndpointRouteBuilder MapTeamsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/teams").RequireAuthorization().WithTags("Teams");
        api.MapGet("/", List);
        api.MapPost("/", Add);
        api.MapGet("/{id:guid}", Get);
        api.MapPut("/{id:guid}", Replace);
        api.MapDelete("/{id:guid}", Delete);
        return app;
    }

    public static async Task<Ok<IReadOnlyList<Team>>> List(ITeamStore teams, ClaimsPrincipal user, CancellationToken ct)
        => TypedResults.Ok(await teams.ListTeamsAsync(user.WorkspaceId(), ct));

    public static async Task<Results<Ok<Team>, NotFound>> Get(Guid id, ITeamStore teams, ClaimsPrincipal user, CancellationToken ct)
        => await teams.GetTeamAsync(user.WorkspaceId(), id, ct) is { } team ? TypedResults.Ok(team) : TypedResults.NotFound();

    public static async Task<Results<Created<Team>, ProblemHttpResult>> Add(TeamRequest request, ITeamStore teams, IAgentStore agents,
        ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await RefusalAsync(request, agents, user, loggers, ct) is { } refused) return refused;
        var team = ToTeam(Guid.CreateVersion7(), user.WorkspaceId(), request, clock.GetUtcNow());
        return await teams.AddTeamAsync(team, ct) is { } added ? TypedResults.Created($"/api/teams/{added.Id}", added) : NameTaken(team.Name);
    }

    /// <summary>Replaces the team's settings and members as a whole (what the admin screen saves).</summary>
    public static async Task<Results<Ok<Team>, NotFound, ProblemHttpResult>> Replace(Guid id, TeamRequest request, ITeamStore teams, IAgentStore agents,
        AssignmentSignal assignment, ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await RefusalAsync(request, agents, user, loggers, ct) is { } refused) return refused;
        if (await teams.GetTeamAsync(user.WorkspaceId(), id, ct) is not { } existing) return TypedResults.NotFound();
        var team = ToTeam(id, existing.WorkspaceId, request, existing.CreatedAt);
        if (await teams.UpdateTeamAsync(team, ct) is not { } updated) return NameTaken(team.Name);
        // More capacity or new members: the team's queue may drain now.
        assignment.Wake(updated.WorkspaceId);
        return TypedResults.Ok(updated);
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Delete(Guid id, ITeamStore teams, ClaimsPrincipal user,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (Forbidden(user, loggers) is { } forbidden) return forbidden;
        return await teams.DeleteTeamAsync(user.WorkspaceId(), id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static Team ToTeam(Guid id, Guid workspaceId, TeamRequest request, DateTimeOffset createdAt)
        => new(id, workspaceId, request.Name!.Trim(), request.Policy ?? AssignmentPolicies.RoundRobin, request.MaxOpenPerAgent ?? DefaultMaxOpenPerAgent,
            request.ReassignAfterMinutes, (request.Members ?? []).Distinct().ToList(), createdAt);

    private static async Task<ProblemHttpResult?> RefusalAsync(TeamRequest request, IAgentStore agents, ClaimsPrincipal user, ILoggerFactory loggers,
        CancellationToken ct)
    {
        if (Forbidden(user, loggers) is { } forbidden) return forbidden;
        if (TeamRules.Problem(request.Name, request.Policy, request.MaxOpenPerAgent, request.ReassignAfterMinutes) is { } problem)
            return TypedResults.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");
        // Members are agents of this workspace: another workspace's agent is as unknown as a made-up id.
        var known = (await agents.ListAsync(user.WorkspaceId(), ct)).Select(agent => agent.Id).ToHashSet();
        var unknown = (request.Members ?? []).Where(member => !known.Contains(member)).ToList();
        return unknown.Count == 0
            ? null
            : TypedResults.Problem($"Not agents of this workspace: {string.Join(", ", unknown)}.", statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "Unknown members");
    }

    private static ProblemHttpResult? Forbidden(ClaimsPrincipal user, ILoggerFactory loggers)
        => AdminOnly.Refusal(user, "teams", loggers.CreateLogger(typeof(TeamsApi)));

    private static ProblemHttpResult NameTaken(string name)
        => TypedResults.Problem($"The workspace already has a team named \"{name}\".", statusCode: StatusCodes.Status409Conflict, title: "Name taken");
}
