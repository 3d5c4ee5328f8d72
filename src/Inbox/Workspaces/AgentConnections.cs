using System.Collections.Concurrent;
using Crm.Inbox.Agents;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Workspaces;

/// <summary>
/// Every hub connection of every agent in this process, so that ending an agent's session can close them: the
/// server closes a SignalR connection only through its <see cref="HubCallerContext.Abort"/>. Each connection also
/// joins the group <c>agent:{id}</c>, through which a <c>SessionEnded</c> push reaches the agent on any server.
/// Connections on other servers (Distributed mode) are closed by <see cref="SessionSweeper"/> there, which checks
/// its connections' sessions every few seconds.
/// </summary>
public sealed class AgentConnections(IHubContext<InboxHub> hub, ILogger<AgentConnections> logger) : IHubFilter
{
    public const string SessionEndedMethod = "SessionEnded";

    private readonly ConcurrentDictionary<string, (Guid AgentId, string? Stamp, HubCallerContext Context)> open = new();

    public static string GroupOf(Guid agentId) => $"agent:{agentId}";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (context.Context.User is { } user && Guid.TryParse(user.FindFirst(AgentClaims.AgentId)?.Value, out var agentId))
        {
            open[context.Context.ConnectionId] = (agentId, user.FindFirst(AgentClaims.SessionStamp)?.Value, context.Context);
            await context.Hub.Groups.AddToGroupAsync(context.Context.ConnectionId, GroupOf(agentId));
        }
        await next(context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        open.TryRemove(context.Context.ConnectionId, out _);
        await next(context, exception);
    }

    /// <summary>Tells the agent's clients (on every server) that their session ended, then closes those on this one.</summary>
    public async Task EndSessionsAsync(Guid agentId)
    {
        await hub.Clients.Group(GroupOf(agentId)).SendAsync(SessionEndedMethod);
        Abort(connection => connection.AgentId == agentId);
    }

    internal IReadOnlyList<(Guid AgentId, string? Stamp)> Open() => open.Values.Select(c => (c.AgentId, c.Stamp)).ToList();

    internal void Abort(Func<(Guid AgentId, string? Stamp), bool> ended)
    {
        foreach (var (id, connection) in open)
        {
            if (!ended((connection.AgentId, connection.Stamp))) continue;
            logger.LogInformation("Closing hub connection {ConnectionId} of agent {AgentId}: their session ended.", id, connection.AgentId);
            connection.Context.Abort();
            open.TryRemove(id, out _);
        }
    }
}

/// <summary>
/// Closes this server's hub connections whose session ended on another server (Distributed mode), within a few
/// seconds; sessions ended on this server are closed at once by <see cref="AgentConnections.EndSessionsAsync"/>.
/// </summary>
public sealed class SessionSweeper(AgentConnections connections, AgentSessionCheck sessions, ILogger<SessionSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var ended = new HashSet<(Guid, string?)>();
                foreach (var connection in connections.Open().Distinct())
                    if (!await sessions.IsCurrentAsync(connection.AgentId, connection.Stamp, stoppingToken)) ended.Add(connection);
                if (ended.Count > 0) connections.Abort(ended.Contains);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(error, "Could not check the sessions of open hub connections; trying again shortly.");
            }
        }
    }
}
