using Crm.Inbox.Agents;
using Crm.Inbox.Conversations;
using Crm.Inbox.Storage;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Customers.Import;

public sealed class CustomerImportOptions
{
    public const string Section = "Crm:CustomerImports";

    /// <summary>Rows per transaction: the checkpoint moves with each chunk.</summary>
    public int ChunkSize { get; set; } = 500;

    /// <summary>How long a claimed job stays a worker's without a chunk committed; after that another process may resume it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an idle worker looks for jobs queued elsewhere (a start in this process wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The least time between two progress pushes of one job.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>What agents see of a running import, pushed to the workspace's group.</summary>
public sealed record CustomerImportProgressPush(Guid Id, int Processed, int Total, int Created, int Updated, int Skipped, int Rejected, string Status)
{
    public static CustomerImportProgressPush Of(CustomerImport i)
        => new(i.Id, i.Counters.Processed, i.Total, i.Counters.Created, i.Counters.Updated, i.Counters.Skipped, i.Counters.Rejected, i.Status);
}

/// <summary>Wakes this process's worker when a job is started here, instead of at its next poll.</summary>
public sealed class CustomerImportSignal
{
    private readonly SemaphoreSlim queued = new(0, 1);

    public void Queued()
    {
        if (queued.CurrentCount == 0)
        {
            try
            {
                queued.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => queued.WaitAsync(timeout, ct);
}

/// <summary>The workspace facts mapping and rows are checked against: agents, labels, custom attributes, lifecycle stages.</summary>
public sealed class CustomerImportWorkspace(IAgentStore agents, ILabelStore labels, IInboxStore store)
{
    // Both stores keep attribute definitions and stages with the customers, in the same class as the inbox store.
    private ICustomerAttributeDefinitionStore Definitions => (ICustomerAttributeDefinitionStore)store;
    private ILifecycleStageStore Stages => (ILifecycleStageStore)store;

    public async Task<CustomerImportMapping.Workspace> MappingFactsAsync(Guid workspaceId, CancellationToken ct)
        => new(new HashSet<string>((await Definitions.ListAttributeDefinitionsAsync(workspaceId, ct)).Select(d => d.Key), StringComparer.OrdinalIgnoreCase));

    public async Task<CustomerImportRows.Context> RowContextAsync(CustomerImport import, DateTimeOffset now, CancellationToken ct)
    {
        var agentsByEmail = new Dictionary<string, Guid>(StringComparer.OrdinalIgnoreCase);
        foreach (var agent in await agents.ListAsync(import.WorkspaceId, ct)) agentsByEmail.TryAdd(agent.Email, agent.Id);
        var labelsByName = new Dictionary<string, Label>(StringComparer.OrdinalIgnoreCase);
        foreach (var label in await labels.ListLabelsAsync(import.WorkspaceId, ct)) labelsByName.TryAdd(label.Name, label);
        var attributes = new Dictionary<string, (string, CustomerImportRows.AttributeReader)>(StringComparer.OrdinalIgnoreCase);
        foreach (var definition in await Definitions.ListAttributeDefinitionsAsync(import.WorkspaceId, ct))
            attributes[definition.Key] = (definition.Key, CustomerImportAttributes.ReaderFor(definition));
        // The latest date anywhere on earth (UTC+14): a birthday after it is in the future for everyone.
        var latestToday = DateOnly.FromDateTime(now.UtcDateTime.AddHours(14));
        return new CustomerImportRows.Context(import.Headers, import.Mapping!, agentsByEmail, labelsByName, attributes,
            await Stages.GetLifecycleStagesAsync(import.WorkspaceId, ct), latestToday);
    }
}

/// <summary>
/// Runs imports in every inbox process: claims a queued job (or one whose worker died: its lease ran out), then applies its
/// rows chunk by chunk from the job's checkpoint, each chunk and the checkpoint in one transaction, so a crash at any instant
/// resumes after the last committed chunk with no row applied twice. Progress goes to the workspace's agents at most about
/// once a second, and once at the end.
/// </summary>
public sealed class CustomerImportWorker(
    ICustomerImportStore store,
    CustomerImportWorkspace workspace,
    CustomerImportSignal signal,
    AgentNotifier notifier,
    StoreInitialization initialization,
    TimeProvider clock,
    IOptions<CustomerImportOptions> options,
    ILogger<CustomerImportWorker> logger) : BackgroundService
{
    /// <summary>This worker's name on the jobs it leases: unique per process start.</summary>
    private readonly string name = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await initialization.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await RunNextAsync(stoppingToken)) await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The job stays leased to this worker until the lease runs out; then any process resumes it from its checkpoint.
                logger.LogError(e, "A customer import failed; it resumes from its last committed chunk when its lease runs out");
                await Task.Delay(options.Value.PollInterval, stoppingToken);
            }
        }
    }

    /// <summary>Claims and runs one job; false when there was none.</summary>
    public async Task<bool> RunNextAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        if (await store.ClaimImportAsync(name, now, now + settings.Lease, ct) is not { } import) return false;
        logger.LogInformation("Running customer import {ImportId} from row {Row} of {Total}", import.Id, import.NextRow, import.Total);

        if (await store.ReadImportFileAsync(import.Id, ct) is not { } file || import.Mapping is null)
        {
            await FinishAsync(import, ImportStatuses.Failed, "The file or the mapping of the import is missing.", ct);
            return true;
        }
        var context = await workspace.RowContextAsync(import, now, ct);
        var lastPush = DateTimeOffset.MinValue;
        var records = new List<ImportRecord>();
        var rejections = new List<ImportRejection>();
        var from = import.NextRow;
        foreach (var (rowNumber, cells) in CustomerImportCsv.ReadRows(file, import.Delimiter, import.NextRow))
        {
            var (record, rejection) = CustomerImportRows.Read(context, rowNumber, cells);
            if (record is not null) records.Add(record);
            else rejections.Add(rejection!);
            if (records.Count + rejections.Count < settings.ChunkSize) continue;

            if (await ApplyAsync(import, from, rowNumber + 1, records, rejections, ct) is not { } applied) return true;
            import = applied;
            from = rowNumber + 1;
            records.Clear();
            rejections.Clear();
            if (clock.GetUtcNow() - lastPush >= settings.ProgressInterval)
            {
                lastPush = clock.GetUtcNow();
                await PushAsync(import);
            }
        }
        if (records.Count + rejections.Count > 0)
        {
            if (await ApplyAsync(import, from, import.Total + 1, records, rejections, ct) is not { } applied) return true;
            import = applied;
        }
        await FinishAsync(import, ImportStatuses.Completed, null, ct);
        return true;
    }

    /// <summary>The job after the chunk; null when it is no longer this worker's (cancelled, or resumed elsewhere): stop.</summary>
    private async Task<CustomerImport?> ApplyAsync(CustomerImport import, int from, int next, List<ImportRecord> records, List<ImportRejection> rejections,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var chunk = new ImportChunk(import.Id, import.WorkspaceId, name, from, next, import.Mapping!.Dedupe, import.CreatedBy, [.. records], [.. rejections],
            now, now + options.Value.Lease);
        if (await store.ApplyImportChunkAsync(chunk, ct) is { } applied) return applied;
        logger.LogInformation("Customer import {ImportId} stopped at row {Row}: cancelled or taken over", import.Id, from);
        if (await store.GetImportAsync(import.WorkspaceId, import.Id, ct) is { Status: ImportStatuses.Cancelled } cancelled) await PushAsync(cancelled);
        return null;
    }

    private async Task FinishAsync(CustomerImport import, string status, string? failure, CancellationToken ct)
    {
        if (!await store.FinishImportAsync(import.Id, name, status, failure, clock.GetUtcNow(), ct)) return;
        logger.LogInformation("Customer import {ImportId} {Status}: {Created} created, {Updated} updated, {Skipped} skipped, {Rejected} rejected",
            import.Id, status, import.Counters.Created, import.Counters.Updated, import.Counters.Skipped, import.Counters.Rejected);
        if (await store.GetImportAsync(import.WorkspaceId, import.Id, ct) is { } finished) await PushAsync(finished);
    }

    private async Task PushAsync(CustomerImport import)
    {
        try
        {
            await notifier.CustomerImportProgressedAsync(import.WorkspaceId, CustomerImportProgressPush.Of(import));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A push is a courtesy: the job's state is in the store, and GET shows it.
            logger.LogWarning(e, "Could not push the progress of customer import {ImportId}", import.Id);
        }
    }
}
