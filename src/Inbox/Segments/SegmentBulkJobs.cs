using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Crm.Inbox.Agents;
using Crm.Inbox.Customers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Segments;

public sealed class SegmentOptions
{
    public const string Section = "Crm:Segments";

    /// <summary>Customers per bulk-action batch (one transaction each); a segment of at most this many is done within the request.</summary>
    public int BulkBatchSize { get; set; } = 500;
}

public static class BulkJobStatuses
{
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>A bulk action's progress: <see cref="Changed"/> of the <see cref="Processed"/> customers needed the change.</summary>
public sealed record BulkJob(Guid Id, Guid? SegmentId, string Action, string Status, long Matched, long Processed, long Changed, string? Error,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt)
{
    [JsonIgnore] public Guid WorkspaceId { get; init; }
}

/// <summary>
/// Runs bulk actions over every customer a filter matches (not a page of them), in keyset batches by name then id, each
/// batch one transaction. Relative dates are fixed when the job starts, so the set does not drift while it runs; the
/// cursor moves past each batch, so customers the action takes out of the segment are neither skipped nor done twice.
/// Jobs live in this process's memory: if the process dies midway, the batches done stay done and the job is gone (its id
/// answers 404); running the same action again finishes it, changing only the customers not yet changed.
/// </summary>
public sealed class SegmentBulkJobs(ISegmentStore store, AgentNotifier notifier, IOptions<SegmentOptions> options, TimeProvider clock,
    IHostApplicationLifetime lifetime, ILogger<SegmentBulkJobs> logger)
{
    private static readonly TimeSpan KeepFinished = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<Guid, BulkJob> jobs = new();

    public BulkJob? Get(Guid workspaceId, Guid jobId) => jobs.TryGetValue(jobId, out var job) && job.WorkspaceId == workspaceId ? job : null;

    /// <summary>The job, finished when the segment fit in one batch (<c>Done</c>), running in the background otherwise.</summary>
    public async Task<(BulkJob Job, bool Done)> StartAsync(Guid workspaceId, Guid? segmentId, SegmentGroup filter, BulkAction action, Guid agentId,
        CancellationToken ct)
    {
        Prune();
        var now = clock.GetUtcNow();
        var matched = await store.CountSegmentAsync(workspaceId, filter, now, ct);
        var job = new BulkJob(Guid.NewGuid(), segmentId, action.Kind, BulkJobStatuses.Running, matched, 0, 0, null, now, null) { WorkspaceId = workspaceId };
        jobs[job.Id] = job;
        if (matched <= options.Value.BulkBatchSize)
            return (await RunAsync(job, filter, action, agentId, now, ct), true);
        // Not the request's token: the job outlives the request, and stops only with the process.
        _ = Task.Run(() => RunAsync(job, filter, action, agentId, now, lifetime.ApplicationStopping), CancellationToken.None);
        return (job, false);
    }

    private async Task<BulkJob> RunAsync(BulkJob job, SegmentGroup filter, BulkAction action, Guid agentId, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            CustomerPageCursor? after = null;
            var batchSize = options.Value.BulkBatchSize;
            while (true)
            {
                var batch = await store.ListSegmentAsync(job.WorkspaceId, filter, now, after, batchSize, ct);
                if (batch.Count == 0) break;
                var changed = await store.ApplyBulkActionAsync(job.WorkspaceId, batch.Select(c => c.Id).ToList(), action, agentId, clock.GetUtcNow(), ct);
                job = Update(job with { Processed = job.Processed + batch.Count, Changed = job.Changed + changed });
                await PushAsync(job);
                if (batch.Count < batchSize) break;
                after = new CustomerPageCursor(batch[^1].Fields.Name ?? "", batch[^1].Id);
            }
            job = Update(job with { Status = BulkJobStatuses.Completed, FinishedAt = clock.GetUtcNow() });
            logger.LogInformation("Bulk {Action} {JobId} in workspace {WorkspaceId}: {Changed} of {Processed} customers changed",
                job.Action, job.Id, job.WorkspaceId, job.Changed, job.Processed);
        }
        catch (Exception error)
        {
            // A batch is one transaction: the ones before are done and stay so, a repeat finishes the rest.
            logger.LogError(error, "Bulk {Action} {JobId} stopped after {Processed} customers", job.Action, job.Id, job.Processed);
            job = Update(job with { Status = BulkJobStatuses.Failed, Error = "Stopped before the end; run the action again to finish it.", FinishedAt = clock.GetUtcNow() });
        }
        await PushAsync(job);
        return job;
    }

    private BulkJob Update(BulkJob job) => jobs[job.Id] = job;

    private async Task PushAsync(BulkJob job)
    {
        try
        {
            await notifier.SegmentJobProgressAsync(job.WorkspaceId, job);
        }
        catch (Exception error)
        {
            // Progress pushes are a convenience: GET /api/segments/jobs/{id} tells the same.
            logger.LogWarning(error, "Could not push the progress of bulk job {JobId}", job.Id);
        }
    }

    private void Prune()
    {
        var before = clock.GetUtcNow() - KeepFinished;
        foreach (var (id, job) in jobs)
            if (job.FinishedAt < before) jobs.TryRemove(id, out _);
    }
}
