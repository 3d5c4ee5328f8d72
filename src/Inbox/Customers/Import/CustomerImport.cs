using Crm.Inbox.Conversations;

namespace Crm.Inbox.Customers.Import;

/// <summary>Where an import stands. Values are stored, so never rename one.</summary>
public static class ImportStatuses
{
    /// <summary>Uploaded; the agent is choosing what each column is.</summary>
    public const string Mapping = "mapping";

    /// <summary>Started; waiting for a worker to claim it.</summary>
    public const string Queued = "queued";

    public const string Running = "running";
    public const string Completed = "completed";

    /// <summary>Stopped by an agent: the chunks applied before stay applied.</summary>
    public const string Cancelled = "cancelled";

    public const string Failed = "failed";

    /// <summary>Claims in a row without a chunk committed after which a job is failed rather than tried again.</summary>
    public const int MaxClaimsWithoutProgress = 5;

    public const string TooManyAttempts = "Stopped after 5 attempts in a row that applied no rows; the rows applied before stay.";

    public static bool IsFinished(string status) => status is Completed or Cancelled or Failed;
}

/// <summary>What a row's key is matched on, and what happens to a customer it matches.</summary>
public static class DedupeKeys
{
    public const string Phone = "phone";
    public const string Email = "email";

    /// <summary>The WhatsApp channel identity (the <c>whatsapp</c> target).</summary>
    public const string Identity = "identity";

    public static readonly IReadOnlyList<string> All = [Phone, Email, Identity];
}

public static class WhenFound
{
    /// <summary>Only mapped, non-empty cells change the customer; an audited profile change by the importing agent.</summary>
    public const string Update = "update";

    /// <summary>The customer is left untouched and the row counted as skipped.</summary>
    public const string Skip = "skip";

    public static readonly IReadOnlyList<string> All = [Update, Skip];
}

public sealed record DedupeRule(string On, string WhenFound);

/// <summary>
/// What each column of the file is (header → target, null for "ignore"), how rows meet existing customers, and the country
/// national phone numbers are read in (ISO 3166 alpha-2; null: only international numbers).
/// </summary>
public sealed record ImportMapping(IReadOnlyDictionary<string, string?> Columns, DedupeRule Dedupe, string? DefaultCountry);

/// <summary>How far a job got: rows are numbered from 1 (the first data row); <see cref="NextRow"/> is the first not yet applied.</summary>
public sealed record ImportCounters(int Processed, int Created, int Updated, int Skipped, int Rejected)
{
    public static readonly ImportCounters Zero = new(0, 0, 0, 0, 0);

    public ImportCounters Add(ImportCounters other) => new(Processed + other.Processed, Created + other.Created, Updated + other.Updated,
        Skipped + other.Skipped, Rejected + other.Rejected);
}

/// <summary>
/// One CSV import of a workspace: the file's shape (kept with the file in the store, so any inbox process can run it), the
/// mapping chosen, and where the run is (<see cref="NextRow"/> and the counters are written with each chunk of rows).
/// </summary>
public sealed record CustomerImport(
    Guid Id,
    Guid WorkspaceId,
    Guid? CreatedBy,
    DateTimeOffset CreatedAt,
    string FileName,
    long SizeBytes,
    string Delimiter,
    IReadOnlyList<string> Headers,
    IReadOnlyList<IReadOnlyList<string>> Preview,
    IReadOnlyDictionary<string, string?> SuggestedMapping,
    int Total,
    string Status,
    ImportMapping? Mapping,
    int NextRow,
    ImportCounters Counters,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Failure);

/// <summary>
/// A row ready to apply: the values its mapped, non-empty cells give (null or empty = leave as is), already checked.
/// </summary>
public sealed record ImportRecord
{
    public required int RowNumber { get; init; }

    /// <summary>The row as in the file: what the report shows if the row is refused when applied (e.g. a WhatsApp number of another customer).</summary>
    public required IReadOnlyList<string> Cells { get; init; }

    /// <summary>
    /// The profile values the row's mapped, non-empty cells give, checked by the profile rules: a field left null (or a list
    /// left empty) had no cell and leaves the customer's value as it is. Phones and emails come unverified.
    /// </summary>
    public CustomerProfileFields Fields { get; init; } = new();

    /// <summary>The WhatsApp identity, spelled as the WhatsApp connectors key customers.</summary>
    public string? WhatsApp { get; init; }

    /// <summary>Channel → <c>opted-in</c> / <c>opted-out</c>.</summary>
    public IReadOnlyDictionary<string, string> Consents { get; init; } = new Dictionary<string, string>();

    /// <summary>Workspace labels to put on the customer (never taken off by an import).</summary>
    public IReadOnlyList<Label> Labels { get; init; } = [];
}

/// <summary>A row that will not be applied: its cells as in the file and every reason.</summary>
public sealed record ImportRejection(int RowNumber, IReadOnlyList<string> Cells, IReadOnlyList<string> Reasons);

/// <summary>
/// One chunk of rows, applied in one transaction together with the job's checkpoint: the job must still be
/// <see cref="ImportStatuses.Running"/>, leased to <see cref="Worker"/> and at <see cref="FromRow"/>, else nothing is applied.
/// </summary>
public sealed record ImportChunk(
    Guid ImportId,
    Guid WorkspaceId,
    string Worker,
    int FromRow,
    int NextRow,
    DedupeRule Dedupe,
    Guid? ChangedBy,
    IReadOnlyList<ImportRecord> Records,
    IReadOnlyList<ImportRejection> Rejections,
    DateTimeOffset Now,
    DateTimeOffset LeaseUntil);

public enum ImportChangeOutcome
{
    Changed,
    NotFound,

    /// <summary>The job is not in a status that allows the change (e.g. a mapping for a running import).</summary>
    WrongStatus,
}

public sealed record ImportChangeResult(ImportChangeOutcome Outcome, CustomerImport? Import);

/// <summary>
/// Customer imports, scoped by workspace: the job, its file (in the store, not on a disk of one process) and its rejected rows.
/// Applying a chunk of rows and moving the checkpoint past it is one transaction, so a crash never applies a row twice.
/// </summary>
public interface ICustomerImportStore
{
    /// <summary>Stores the job and its file together.</summary>
    Task CreateImportAsync(CustomerImport import, ReadOnlyMemory<byte> file, CancellationToken ct = default);

    Task<CustomerImport?> GetImportAsync(Guid workspaceId, Guid importId, CancellationToken ct = default);

    /// <summary>The workspace's imports, newest first.</summary>
    Task<IReadOnlyList<CustomerImport>> ListImportsAsync(Guid workspaceId, int take, CancellationToken ct = default);

    /// <summary>Saves the mapping while the job is in <see cref="ImportStatuses.Mapping"/>.</summary>
    Task<ImportChangeResult> SaveImportMappingAsync(Guid workspaceId, Guid importId, ImportMapping mapping, CancellationToken ct = default);

    /// <summary>Queues a job in <see cref="ImportStatuses.Mapping"/> that has a mapping.</summary>
    Task<ImportChangeResult> StartImportAsync(Guid workspaceId, Guid importId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Cancels a job that has not finished; chunks applied before stay applied.</summary>
    Task<ImportChangeResult> CancelImportAsync(Guid workspaceId, Guid importId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// Leases the oldest queued job, or a running one whose lease ran out (its worker died), to <paramref name="worker"/>
    /// until <paramref name="leaseUntil"/>; null when there is none. Any workspace: workers serve them all. A job claimed
    /// <see cref="ImportStatuses.MaxClaimsWithoutProgress"/> times in a row without a chunk committed is marked failed
    /// instead (the rows applied before stay): a job that kills every worker must not be retried for ever.
    /// </summary>
    Task<CustomerImport?> ClaimImportAsync(string worker, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct = default);

    /// <summary>The file as uploaded.</summary>
    Task<byte[]?> ReadImportFileAsync(Guid importId, CancellationToken ct = default);

    /// <summary>
    /// Applies the chunk's records (dedupe in the same transaction), stores its rejections and moves the checkpoint to
    /// <see cref="ImportChunk.NextRow"/>, extending the lease; or nothing at all, returning null, when the job is no longer
    /// this worker's at that row (cancelled, or claimed by another worker after the lease ran out).
    /// </summary>
    Task<CustomerImport?> ApplyImportChunkAsync(ImportChunk chunk, CancellationToken ct = default);

    /// <summary>Marks the job finished (<paramref name="status"/>) if it is still this worker's; false otherwise.</summary>
    Task<bool> FinishImportAsync(Guid importId, string worker, string status, string? failure, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Rejected rows by row number, after <paramref name="afterRow"/>.</summary>
    Task<IReadOnlyList<ImportRejection>> ListImportRejectionsAsync(Guid workspaceId, Guid importId, int afterRow, int take, CancellationToken ct = default);
}
