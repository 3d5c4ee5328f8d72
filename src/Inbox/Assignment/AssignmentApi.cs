using System.Security.Claims;
using Crm.Inbox.Agents;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Assignment;

/// <summary>
/// Assignment by hand (assign, transfer, take, unassign, move to a team), the queues, and agents' availability. Any agent
/// may hand a conversation to a colleague; only owners and admins may push an agent past their capacity.
/// </summary>
public static class AssignmentApi
{
    public static IEndpointRouteBuilder MapAssignmentApi(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/api/conversations").RequireAuthorization().WithTags("Assignment").CountsAsActivity();
        conversations.MapPost("/{conversationId:guid}/assignee", Assign);
        conversations.MapPost("/{conversationId:guid}/take", Take);
        conversations.MapPost("/{conversationId:guid}/team", MoveToTeam);
        app.MapGet("/api/queues", Queues).RequireAuthorization().WithTags("Assignment");
        var agents = app.MapGroup("/api/agents").RequireAuthorization().WithTags("Assignment").CountsAsActivity();
        agents.MapGet("/availability", ListAvailability);
        agents.MapPut("/me/availability", SetAvailability);
        return app;
    }

    /// <summary>Who should have it: an agent id, or null to put it back in the queue.</summary>
    public sealed record AssigneeRequest(Guid? AgentId);

    public static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> Assign(Guid conversationId, AssigneeRequest request,
        ClaimsPrincipal user, AssignmentDesk desk, CancellationToken ct)
    {
        if (await desk.FindAsync(user, conversationId, ct) is not { } conversation) return TypedResults.NotFound();
        return desk.Answer(await desk.ReassignAsync(user, conversation, request.AgentId, ct));
    }

    /// <summary>The caller takes a conversation nobody has (from the queue, or one not open).</summary>
    public static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> Take(Guid conversationId, ClaimsPrincipal user,
        AssignmentDesk desk, CancellationToken ct)
    {
        if (await desk.FindAsync(user, conversationId, ct) is not { } conversation) return TypedResults.NotFound();
        if (conversation.AssigneeId is { } holder && holder != user.AgentIdOf())
            return desk.Answer(new DeskAnswer(null, StatusCodes.Status409Conflict, $"{await desk.NameOfAsync(holder, ct) ?? "Another agent"} has it."));
        return desk.Answer(await desk.ReassignAsync(user, conversation, user.AgentIdOf(), ct, expectUnassigned: true));
    }

    public sealed record TeamRequest(Guid? TeamId);

    /// <summary>Moves it to a team's queue (null: the whole workspace's); whoever had it no longer does.</summary>
    public static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> MoveToTeam(Guid conversationId, TeamRequest request,
        ClaimsPrincipal user, AssignmentDesk desk, CancellationToken ct)
    {
        if (await desk.FindAsync(user, conversationId, ct) is not { } conversation) return TypedResults.NotFound();
        return desk.Answer(await desk.MoveToTeamAsync(user, conversation, request.TeamId, ct));
    }

    /// <summary>One queue: its team (null: the whole workspace), how many wait, since when the first, and who could take them now.</summary>
    public sealed record QueueView(Guid? TeamId, string? TeamName, int Waiting, DateTimeOffset? OldestQueuedAt, int AgentsOnline, int FreeSlots);

    /// <summary>Every queue of the workspace, busiest first; the conversations in one: <c>GET /api/conversations?sort=queue&amp;team=…</c>.</summary>
    public static async Task<Ok<IReadOnlyList<QueueView>>> Queues(ClaimsPrincipal user, AssignmentDesk desk, CancellationToken ct)
        => TypedResults.Ok(await desk.QueuesAsync(user.WorkspaceId(), ct));

    /// <summary>
    /// An agent's availability: what they chose, what it is in effect (offline without a live connection, away when idle),
    /// and how many open conversations they have.
    /// </summary>
    public sealed record AvailabilityView(Guid AgentId, string Name, string Chosen, string Availability, int OpenConversations, DateTimeOffset? LastSeenAt);

    public static async Task<Ok<IReadOnlyList<AvailabilityView>>> ListAvailability(ClaimsPrincipal user, AssignmentDesk desk, CancellationToken ct)
        => TypedResults.Ok(await desk.AvailabilityAsync(user.WorkspaceId(), ct));

    public sealed record AvailabilityRequest(string? Availability);

    public static async Task<Results<Ok<AvailabilityView>, ProblemHttpResult>> SetAvailability(AvailabilityRequest request, ClaimsPrincipal user,
        AssignmentDesk desk, ILoggerFactory loggers, CancellationToken ct)
    {
        if (request.Availability is not { } availability || !Availabilities.All.Contains(availability))
        {
            loggers.CreateLogger(typeof(AssignmentApi)).LogInformation("Refused availability {Availability}", request.Availability);
            return TypedResults.Problem($"availability must be one of {string.Join(", ", Availabilities.All)}.", statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid request");
        }
        return TypedResults.Ok(await desk.SetAvailabilityAsync(user, availability, ct));
    }
}

/// <summary>What a change by hand came to: the conversation afterwards, or a status code and why not.</summary>
public sealed record DeskAnswer(Conversation? Conversation, int Status = StatusCodes.Status200OK, string? Problem = null);

/// <summary>The assignment changes agents make by hand, with the same atomic store step as the engine, and their pushes.</summary>
public sealed class AssignmentDesk(IAssignmentStore assignments, IAgentPresenceStore presence, IInboxStore conversations, ITeamStore teams,
    IAgentStore agents, AgentNotifier notifier, AssignmentSignal signal, IOptions<AssignmentOptions> options, TimeProvider clock,
    ILogger<AssignmentDesk> logger)
{
    public async Task<Conversation?> FindAsync(ClaimsPrincipal user, Guid conversationId, CancellationToken ct)
        => await conversations.GetConversationAsync(conversationId, ct) is { } conversation && conversation.WorkspaceId == user.WorkspaceId()
            ? conversation
            : null;

    public async Task<string?> NameOfAsync(Guid agentId, CancellationToken ct) => (await agents.GetAsync(agentId, ct))?.Name;

    /// <summary>Assign (from nobody), transfer (from someone else) or unassign (to null), if it is still as the caller saw it.</summary>
    public async Task<DeskAnswer> ReassignAsync(ClaimsPrincipal user, Conversation conversation, Guid? to, CancellationToken ct, bool expectUnassigned = false)
    {
        if (conversation.AssigneeId == to) return new DeskAnswer(conversation);
        string? toName = null;
        int? capacity = null;
        if (to is { } agentId)
        {
            if (await agents.GetAsync(agentId, ct) is not { IsActive: true } agent || agent.WorkspaceId != user.WorkspaceId())
                return new DeskAnswer(null, StatusCodes.Status422UnprocessableEntity, "No such active agent in this workspace.");
            toName = agent.Name;
            // Owners and admins may give an agent more than their capacity; an agent may not.
            if (!AgentRoles.CanManage(user.RoleOf())) capacity = await CapacityOfAsync(conversation, ct);
        }
        var change = new Reassignment(conversation.Id, conversation.AssigneeId, to, user.Identity?.Name, clock.GetUtcNow())
        {
            Capacity = capacity,
            FromName = conversation.AssigneeId is { } from ? await NameOfAsync(from, ct) : null,
            ToName = toName,
        };
        var result = await assignments.ReassignAsync(change, ct);
        return await AnswerAsync(result, conversation, toName, capacity, expectUnassigned, ct);
    }

    public async Task<DeskAnswer> MoveToTeamAsync(ClaimsPrincipal user, Conversation conversation, Guid? teamId, CancellationToken ct)
    {
        var all = (await teams.ListTeamsAsync(user.WorkspaceId(), ct)).ToDictionary(team => team.Id);
        if (teamId is { } id && !all.ContainsKey(id)) return new DeskAnswer(null, StatusCodes.Status422UnprocessableEntity, "No such team in this workspace.");
        if (conversation.TeamId == teamId) return new DeskAnswer(conversation);
        var change = new Reassignment(conversation.Id, conversation.AssigneeId, null, user.Identity?.Name, clock.GetUtcNow())
        {
            ChangesTeam = true,
            TeamId = teamId,
            FromTeamName = conversation.TeamId is { } from ? all.GetValueOrDefault(from)?.Name : null,
            ToTeamName = teamId is { } to ? all[to].Name : null,
            FromName = conversation.AssigneeId is { } holder ? await NameOfAsync(holder, ct) : null,
        };
        return await AnswerAsync(await assignments.ReassignAsync(change, ct), conversation, null, null, false, ct);
    }

    public async Task<IReadOnlyList<AssignmentApi.QueueView>> QueuesAsync(Guid workspaceId, CancellationToken ct)
    {
        var all = await teams.ListTeamsAsync(workspaceId, ct);
        var lengths = (await assignments.MeasureQueuesAsync(workspaceId, ct)).ToDictionary(queue => queue.TeamId ?? Guid.Empty);
        var views = await AvailabilityAsync(workspaceId, ct);
        var online = views.Where(view => view.Availability == Availabilities.Online).ToList();
        AssignmentApi.QueueView View(Guid? teamId, string? name, IEnumerable<AssignmentApi.AvailabilityView> members, int capacity)
        {
            var queue = lengths.GetValueOrDefault(teamId ?? Guid.Empty);
            var here = members.ToList();
            return new AssignmentApi.QueueView(teamId, name, queue?.Waiting ?? 0, queue?.OldestQueuedAt, here.Count,
                here.Sum(member => Math.Max(0, capacity - member.OpenConversations)));
        }
        // Conversations routed to a team that was deleted wait with the whole workspace's.
        var known = all.Select(team => team.Id).ToHashSet();
        var orphans = lengths.Values.Where(queue => queue.TeamId is { } id && !known.Contains(id)).ToList();
        var workspace = View(null, null, online, options.Value.WorkspaceMaxOpenPerAgent);
        workspace = workspace with
        {
            Waiting = workspace.Waiting + orphans.Sum(queue => queue.Waiting),
            OldestQueuedAt = orphans.Select(queue => (DateTimeOffset?)queue.OldestQueuedAt).Append(workspace.OldestQueuedAt).Min(),
        };
        return all.Select(team => View(team.Id, team.Name, online.Where(view => team.Members.Contains(view.AgentId)), team.MaxOpenPerAgent))
            .Append(workspace)
            .OrderByDescending(view => view.Waiting)
            .ToList();
    }

    public async Task<IReadOnlyList<AssignmentApi.AvailabilityView>> AvailabilityAsync(Guid workspaceId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var known = (await presence.ListPresenceAsync(workspaceId, ct)).ToDictionary(p => p.AgentId);
        var loads = await assignments.CountOpenByAssigneeAsync(workspaceId, ct);
        return (await agents.ListAsync(workspaceId, ct))
            .Where(agent => agent.IsActive)
            .Select(agent => View(agent, known.GetValueOrDefault(agent.Id) ?? AgentPresence.Unknown(agent.Id, workspaceId), loads.GetValueOrDefault(agent.Id), now))
            .ToList();
    }

    public async Task<AssignmentApi.AvailabilityView> SetAvailabilityAsync(ClaimsPrincipal user, string availability, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var after = await presence.SetAvailabilityAsync(user.AgentIdOf(), user.WorkspaceId(), availability, now, ct);
        var load = (await assignments.CountOpenByAssigneeAsync(user.WorkspaceId(), ct)).GetValueOrDefault(user.AgentIdOf());
        var view = View(user.AgentIdOf(), user.Identity?.Name ?? "", after, load, now);
        await PushQuietlyAsync(() => notifier.AvailabilityChangedAsync(user.WorkspaceId(), view));
        // Online: they may be the capacity the queue waits for. Offline: the engine's next pass hands their conversations on.
        signal.Wake(user.WorkspaceId());
        return view;
    }

    public Results<Ok<Conversation>, NotFound, ProblemHttpResult> Answer(DeskAnswer answer) => answer switch
    {
        { Conversation: { } conversation } => TypedResults.Ok(conversation),
        { Status: StatusCodes.Status404NotFound } => TypedResults.NotFound(),
        _ => Refused(answer),
    };

    private ProblemHttpResult Refused(DeskAnswer answer)
    {
        logger.LogInformation("Assignment change refused ({Status}): {Problem}", answer.Status, answer.Problem);
        return TypedResults.Problem(answer.Problem, statusCode: answer.Status,
            title: answer.Status == StatusCodes.Status409Conflict ? "Cannot change the assignment" : "Invalid request");
    }

    private async Task<int> CapacityOfAsync(Conversation conversation, CancellationToken ct)
        => conversation.TeamId is { } teamId && await teams.GetTeamAsync(conversation.WorkspaceId, teamId, ct) is { } team
            ? team.MaxOpenPerAgent
            : options.Value.WorkspaceMaxOpenPerAgent;

    private async Task<DeskAnswer> AnswerAsync(ReassignmentResult result, Conversation before, string? toName, int? capacity, bool expectUnassigned,
        CancellationToken ct)
    {
        switch (result.Outcome)
        {
            case ReassignmentOutcome.Done:
                var changed = result.Changed!;
                await PushQuietlyAsync(() => notifier.MessagesAddedAsync(changed.Entries.Select(entry => new StoredInbound(entry, changed.Conversation)).ToList()));
                // A conversation back in a queue, or an agent with one fewer: the engine may have work.
                signal.Wake(before.WorkspaceId);
                return new DeskAnswer(changed.Conversation);
            case ReassignmentOutcome.NotFound:
                return new DeskAnswer(null, StatusCodes.Status404NotFound);
            case ReassignmentOutcome.Full:
                return new DeskAnswer(null, StatusCodes.Status409Conflict,
                    $"{toName} already has {capacity} open conversations, the most their team allows. An owner or admin can assign beyond it.");
            default:
                var now = await conversations.GetConversationAsync(before.Id, ct);
                var holder = now?.AssigneeId is { } id ? await NameOfAsync(id, ct) : null;
                return new DeskAnswer(null, StatusCodes.Status409Conflict, expectUnassigned && holder is not null
                    ? $"{holder} has it."
                    : $"The conversation changed meanwhile (it is now {(holder is null ? "in the queue" : holder + "'s")}); look again and retry.");
        }
    }

    private AssignmentApi.AvailabilityView View(Agent agent, AgentPresence presence, int load, DateTimeOffset now)
        => View(agent.Id, agent.Name, presence, load, now);

    private AssignmentApi.AvailabilityView View(Guid agentId, string name, AgentPresence presence, int load, DateTimeOffset now)
        => new(agentId, name, presence.Chosen, presence.Effective(now, options.Value), load, presence.LastSeenAt);

    private async Task PushQuietlyAsync(Func<Task> push)
    {
        try
        {
            await push();
        }
        catch (Exception error)
        {
            // The change is stored: a failed push must not fail the request.
            logger.LogWarning(error, "Could not push an assignment change to agents");
        }
    }
}
