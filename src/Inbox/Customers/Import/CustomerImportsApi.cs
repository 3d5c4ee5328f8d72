using System.Security.Claims;
using System.Text.Json;
using Crm.Inbox.Agents;
using Crm.Inbox.Assignment;
using Crm.Inbox.Workspaces;
using CsvHelper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Customers.Import;

/// <summary>
/// The CSV import wizard: upload a file, map its columns, start it, watch it (also pushed live) and download the rows it
/// refused. The file is kept in the store, so whichever inbox process claims the job can run or resume it.
/// </summary>
public static class CustomerImportsApi
{
    public const long MaxFileBytes = 50L * 1024 * 1024;
    public const int MaxListed = 100;

    /// <summary>The multipart envelope around the file: boundaries and part headers.</summary>
    private const long EnvelopeBytes = 64 * 1024;

    private const int ReportPage = 1000;

    public static IEndpointRouteBuilder MapCustomerImportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/customers/imports").RequireAuthorization().WithTags("Customer imports").CountsAsActivity();
        // The file is read by hand (size checked as it streams), not bound as IFormFile: no antiforgery token to ask of API clients.
        api.MapPost("/", Upload).DisableAntiforgery();
        api.MapGet("/", List);
        api.MapGet("/{importId:guid}", Get);
        api.MapPut("/{importId:guid}/mapping", SaveMapping);
        api.MapPost("/{importId:guid}/start", Start);
        api.MapPost("/{importId:guid}/cancel", Cancel);
        api.MapGet("/{importId:guid}/rejected.csv", RejectedRows);
        return app;
    }

    /// <summary>An import as the wizard shows it.</summary>
    public sealed record CustomerImportView(
        Guid Id, string Status, string FileName, long SizeBytes, string Delimiter, IReadOnlyList<string> Headers,
        IReadOnlyList<IReadOnlyList<string>> Preview, IReadOnlyDictionary<string, string?> SuggestedMapping, ImportMapping? Mapping,
        int Total, int Processed, int Created, int Updated, int Skipped, int Rejected,
        Guid? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Failure)
    {
        public static CustomerImportView Of(CustomerImport i) => new(i.Id, i.Status, i.FileName, i.SizeBytes, i.Delimiter, i.Headers, i.Preview,
            i.SuggestedMapping, i.Mapping, i.Total, i.Counters.Processed, i.Counters.Created, i.Counters.Updated, i.Counters.Skipped,
            i.Counters.Rejected, i.CreatedBy, i.CreatedAt, i.StartedAt, i.FinishedAt, i.Failure);
    }

    public sealed record CustomerImportList(IReadOnlyList<CustomerImportView> Items);

    public static async Task<Results<Created<CustomerImportView>, ProblemHttpResult>> Upload(
        HttpRequest request, ICustomerImportStore store, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        // Kestrel's default body limit (30 MB) is below the file limit: this endpoint allows the file plus its envelope.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxFileBytes + EnvelopeBytes;
        if (request.ContentLength > MaxFileBytes + EnvelopeBytes) return TooLarge(loggers);
        if (!request.HasFormContentType) return Refused(loggers, "file", "Send the CSV as multipart/form-data, one file part.");

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(loggers);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return Refused(loggers, "file", "The multipart body could not be read.");
        }
        if (form.Files.Count != 1) return Refused(loggers, "file", "Send exactly one CSV file.");
        var upload = form.Files[0];
        if (upload.Length > MaxFileBytes) return TooLarge(loggers);

        byte[] file;
        await using (var stream = upload.OpenReadStream())
        using (var copy = new MemoryStream((int)upload.Length))
        {
            await stream.CopyToAsync(copy, ct);
            file = copy.ToArray();
        }
        var (inspection, problem) = CustomerImportCsv.Inspect(file);
        if (inspection is null) return Refused(loggers, "file", problem!);

        var fileName = Path.GetFileName(upload.FileName) is { Length: > 0 and <= 200 } name ? name : "customers.csv";
        var import = new CustomerImport(Guid.NewGuid(), user.WorkspaceId(), user.AgentIdOf(), clock.GetUtcNow(), fileName, file.Length,
            inspection.Delimiter, inspection.Headers, inspection.Preview, CustomerImportMapping.Suggest(inspection.Headers), inspection.Total,
            ImportStatuses.Mapping, null, 1, ImportCounters.Zero, null, null, null);
        await store.CreateImportAsync(import, file, ct);
        return TypedResults.Created($"/api/customers/imports/{import.Id}", CustomerImportView.Of(import));
    }

    public static async Task<Ok<CustomerImportList>> List(ICustomerImportStore store, ClaimsPrincipal user, CancellationToken ct)
        => TypedResults.Ok(new CustomerImportList((await store.ListImportsAsync(user.WorkspaceId(), MaxListed, ct)).Select(CustomerImportView.Of).ToList()));

    public static async Task<Results<Ok<CustomerImportView>, NotFound>> Get(Guid importId, ICustomerImportStore store, ClaimsPrincipal user,
        ILoggerFactory loggers, CancellationToken ct)
        => await store.GetImportAsync(user.WorkspaceId(), importId, ct) is { } import ? TypedResults.Ok(CustomerImportView.Of(import)) : NotFound(loggers, importId);

    /// <summary>The body is nullable because ASP.NET Core fails (500) binding an empty body to a non-nullable <see cref="JsonElement"/>.</summary>
    public static async Task<Results<Ok<CustomerImportView>, ValidationProblem, NotFound, Conflict<CustomerImportView>>> SaveMapping(
        Guid importId, JsonElement? body, ICustomerImportStore store, CustomerImportWorkspace workspace, ClaimsPrincipal user, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        if (await store.GetImportAsync(workspaceId, importId, ct) is not { } import) return NotFound(loggers, importId);
        var (mapping, problems) = CustomerImportMapping.Read(body ?? default, import.Headers, await workspace.MappingFactsAsync(workspaceId, ct));
        if (mapping is null)
        {
            loggers.CreateLogger(typeof(CustomerImportsApi)).LogInformation("Refused the mapping of import {ImportId}: invalid {Fields}", importId,
                string.Join(", ", problems.Keys));
            return TypedResults.ValidationProblem(problems);
        }
        var result = await store.SaveImportMappingAsync(workspaceId, importId, mapping, ct);
        return result.Outcome switch
        {
            ImportChangeOutcome.Changed => TypedResults.Ok(CustomerImportView.Of(result.Import!)),
            ImportChangeOutcome.WrongStatus => Conflict(loggers, result.Import!, "map"),
            _ => NotFound(loggers, importId),
        };
    }

    public static async Task<Results<Accepted<CustomerImportView>, NotFound, Conflict<CustomerImportView>>> Start(
        Guid importId, ICustomerImportStore store, CustomerImportSignal signal, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var result = await store.StartImportAsync(user.WorkspaceId(), importId, clock.GetUtcNow(), ct);
        switch (result.Outcome)
        {
            case ImportChangeOutcome.Changed:
                signal.Queued();
                return TypedResults.Accepted($"/api/customers/imports/{importId}", CustomerImportView.Of(result.Import!));
            case ImportChangeOutcome.WrongStatus:
                return Conflict(loggers, result.Import!, "start");
            default:
                return NotFound(loggers, importId);
        }
    }

    /// <summary>Stops the import: the chunks of rows already applied stay applied (each was committed on its own), the rest is not.</summary>
    public static async Task<Results<Ok<CustomerImportView>, NotFound, Conflict<CustomerImportView>>> Cancel(
        Guid importId, ICustomerImportStore store, AgentNotifier notifier, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var result = await store.CancelImportAsync(user.WorkspaceId(), importId, clock.GetUtcNow(), ct);
        if (result.Outcome == ImportChangeOutcome.Changed)
        {
            try
            {
                // Other agents watching it learn now, even if no worker had claimed it yet.
                await notifier.CustomerImportProgressedAsync(result.Import!.WorkspaceId, CustomerImportProgressPush.Of(result.Import));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                loggers.CreateLogger(typeof(CustomerImportsApi)).LogWarning(e, "Could not push the cancellation of customer import {ImportId}", importId);
            }
        }
        return result.Outcome switch
        {
            ImportChangeOutcome.Changed => TypedResults.Ok(CustomerImportView.Of(result.Import!)),
            ImportChangeOutcome.WrongStatus => Conflict(loggers, result.Import!, "cancel"),
            _ => NotFound(loggers, importId),
        };
    }

    /// <summary>
    /// The refused rows as CSV: row number, reasons, then the file's own columns. UTF-8 with a byte order mark, so Excel reads
    /// Chinese names right; cells a spreadsheet would run as a formula (= + - @) get a leading apostrophe.
    /// </summary>
    public static async Task<Results<PushStreamHttpResult, NotFound>> RejectedRows(Guid importId, ICustomerImportStore store, ClaimsPrincipal user,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        if (await store.GetImportAsync(workspaceId, importId, ct) is not { } import) return NotFound(loggers, importId);
        var name = $"{Path.GetFileNameWithoutExtension(import.FileName)}-rejected.csv";
        return TypedResults.Stream(async body =>
        {
            await using var writer = CsvWriter.Create(body, SpreadsheetCsv.Options, leaveOpen: true);
            await writer.WriteRecordAsync(["Row", "Reasons", .. import.Headers], ct);
            var after = 0;
            while (true)
            {
                var page = await store.ListImportRejectionsAsync(workspaceId, importId, after, ReportPage, ct);
                foreach (var rejection in page)
                {
                    var cells = Enumerable.Range(0, Math.Max(import.Headers.Count, rejection.Cells.Count))
                        .Select(i => i < rejection.Cells.Count ? rejection.Cells[i] : "");
                    await writer.WriteRecordAsync([rejection.RowNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        string.Join("; ", rejection.Reasons), .. cells], ct);
                }
                if (page.Count < ReportPage) break;
                after = page[^1].RowNumber;
            }
            await writer.FlushAsync(ct);
        }, "text/csv; charset=utf-8", name);
    }

    private static NotFound NotFound(ILoggerFactory loggers, Guid importId)
    {
        // Another workspace's import is as unknown as a made-up id.
        loggers.CreateLogger(typeof(CustomerImportsApi)).LogInformation("Customer import {ImportId} not found in the caller's workspace", importId);
        return TypedResults.NotFound();
    }

    private static Conflict<CustomerImportView> Conflict(ILoggerFactory loggers, CustomerImport import, string action)
    {
        loggers.CreateLogger(typeof(CustomerImportsApi)).LogInformation("Refused to {Action} import {ImportId}: it is {Status}", action, import.Id, import.Status);
        return TypedResults.Conflict(CustomerImportView.Of(import));
    }

    private static ProblemHttpResult TooLarge(ILoggerFactory loggers)
    {
        loggers.CreateLogger(typeof(CustomerImportsApi)).LogInformation("Refused a customer import: the file is over {Limit} bytes", MaxFileBytes);
        return TypedResults.Problem($"The file must be at most {MaxFileBytes / 1024 / 1024} MB.", statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "File too large");
    }

    private static ProblemHttpResult Refused(ILoggerFactory loggers, string field, string detail)
    {
        loggers.CreateLogger(typeof(CustomerImportsApi)).LogInformation("Refused a customer import: invalid {Field}", field);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid file",
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [detail] } });
    }
}
