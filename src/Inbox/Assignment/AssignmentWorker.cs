using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Assignment;

/// <summary>
/// Tells this process's <see cref="AssignmentWorker"/> that a workspace may have work at once (a new conversation, an agent
/// online, capacity freed), instead of at its next sweep.
/// </summary>
public sealed class AssignmentSignal
{
    private readonly ConcurrentDictionary<Guid, bool> woken = new();
    private readonly SemaphoreSlim wake = new(0, 1);

    public void Wake(Guid workspaceId)
    {
        woken[workspaceId] = true;
        // One pending wake-up is enough: the worker takes every woken workspace per pass.
        try { wake.Release(); }
        catch (SemaphoreFullException) { }
    }

    internal Task WaitAsync(TimeSpan timeout, CancellationToken ct) => wake.WaitAsync(timeout, ct);

    internal IReadOnlyList<Guid> Take()
    {
        var taken = new List<Guid>();
        foreach (var id in woken.Keys)
            if (woken.TryRemove(id, out _)) taken.Add(id);
        return taken;
    }
}

/// <summary>
/// Runs the assignment engine in this process, one pass at a time: drains the workspaces it is woken for, and every
/// <see cref="AssignmentOptions.SweepInterval"/> sweeps every workspace with agents (work another process made, agents
/// gone offline, customers left unanswered). Every process runs one; they coordinate only through the store.
/// </summary>
public sealed class AssignmentWorker(AssignmentEngine engine, AssignmentSignal signal, IAgentPresenceStore presence, StoreInitialization store,
    IOptions<AssignmentOptions> options, TimeProvider clock, ILogger<AssignmentWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await store.WaitAsync(stoppingToken);
        var interval = options.Value.SweepInterval;
        var nextSweep = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = nextSweep - clock.GetUtcNow();
            if (wait > TimeSpan.Zero) await signal.WaitAsync(wait, stoppingToken);
            var woken = signal.Take();
            try
            {
                if (clock.GetUtcNow() >= nextSweep)
                {
                    nextSweep = clock.GetUtcNow() + interval;
                    foreach (var workspaceId in (await presence.ListPresenceWorkspacesAsync(stoppingToken)).Union(woken))
                        await engine.SweepAsync(workspaceId, stoppingToken);
                }
                else
                {
                    foreach (var workspaceId in woken) await engine.DrainAsync(workspaceId, stoppingToken);
                }
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The store is unreachable for now: the next pass tries again; queued conversations wait, none is lost.
                logger.LogWarning(error, "The assignment pass failed; trying again shortly.");
                foreach (var workspaceId in woken) signal.Wake(workspaceId);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
            }
        }
    }
}
