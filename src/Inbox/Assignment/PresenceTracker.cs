using System.Collections.Concurrent;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Assignment;

/// <summary>
/// Which agents have a live hub connection in this process, and when each last did something (a hub call, an API
/// request). <see cref="PresenceHeartbeat"/> writes it to the store for every process to read: an agent is connected
/// while any process vouches for them, and offline once none has for the grace period (a crashed process stops vouching).
/// </summary>
public sealed class PresenceTracker(IAgentPresenceStore store, AssignmentSignal assignment, TimeProvider clock, ILogger<PresenceTracker> logger)
    : IHubFilter
{
    private readonly ConcurrentDictionary<Guid, AgentHere> here = new();

    private sealed class AgentHere(Guid workspaceId)
    {
        public Guid WorkspaceId { get; } = workspaceId;
        public int Connections;
        public long LastActiveTicks;
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        if (AgentOf(context.Context) is not { } agent) return;
        AgentHere entry;
        lock (here)
        {
            entry = here.GetOrAdd(agent.Id, _ => new AgentHere(agent.WorkspaceId));
            entry.Connections++;
        }
        Touch(entry);
        try
        {
            // At once, not at the next heartbeat: an agent who connects may be the capacity a waiting queue needs.
            await store.RecordBeatsAsync([Beat(agent.Id, entry)]);
            assignment.Wake(agent.WorkspaceId);
        }
        catch (Exception error)
        {
            logger.LogWarning(error, "Could not record that agent {AgentId} connected; the next heartbeat will.", agent.Id);
        }
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (AgentOf(context.Context) is { } agent)
        {
            lock (here)
            {
                if (here.TryGetValue(agent.Id, out var entry) && --entry.Connections <= 0) here.TryRemove(agent.Id, out _);
            }
        }
        await next(context, exception);
    }

    /// <summary>Any call an agent makes on the hub is a sign of life.</summary>
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (AgentOf(invocationContext.Context) is { } agent) Active(agent.Id);
        return next(invocationContext);
    }

    /// <summary>The agent did something (in this process): they are not idle.</summary>
    public void Active(Guid agentId)
    {
        if (here.TryGetValue(agentId, out var entry)) Touch(entry);
    }

    /// <summary>One beat per agent connected here.</summary>
    internal IReadOnlyList<PresenceBeat> Beats() => here.Select(pair => Beat(pair.Key, pair.Value)).ToList();

    private PresenceBeat Beat(Guid agentId, AgentHere entry)
    {
        var active = Interlocked.Read(ref entry.LastActiveTicks);
        return new PresenceBeat(agentId, entry.WorkspaceId, clock.GetUtcNow(), active == 0 ? null : new DateTimeOffset(active, TimeSpan.Zero));
    }

    private void Touch(AgentHere entry) => Interlocked.Exchange(ref entry.LastActiveTicks, clock.GetUtcNow().UtcTicks);

    private static (Guid Id, Guid WorkspaceId)? AgentOf(HubCallerContext context)
        => context.User is { } user && Guid.TryParse(user.FindFirst(AgentClaims.AgentId)?.Value, out var id) ? (id, user.WorkspaceId()) : null;
}

public static class ActivityTracking
{
    /// <summary>Every request to these endpoints shows the agent is at work (not idle, so not away).</summary>
    public static RouteGroupBuilder CountsAsActivity(this RouteGroupBuilder group)
        => group.AddEndpointFilter(async (context, next) =>
        {
            if (context.HttpContext.User.FindFirst(AgentClaims.AgentId)?.Value is { } id && Guid.TryParse(id, out var agentId))
                context.HttpContext.RequestServices.GetRequiredService<PresenceTracker>().Active(agentId);
            return await next(context);
        });
}

/// <summary>Writes this process's connected agents to the store every <see cref="AssignmentOptions.HeartbeatInterval"/>.</summary>
public sealed class PresenceHeartbeat(PresenceTracker tracker, IAgentPresenceStore store, IOptions<AssignmentOptions> options, TimeProvider clock,
    ILogger<PresenceHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await store.RecordBeatsAsync(tracker.Beats(), stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // A missed beat or two is what the grace period is for.
                logger.LogWarning(error, "Could not record which agents are connected; trying again at the next heartbeat.");
            }
        }
    }
}
