using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Crm.Inbox.Assignment;
using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Segments;

/// <summary>
/// Segments over the API: saved filters (with the built-ins every workspace has), their live count and customers, a preview
/// for the filter builder, CSV export and bulk actions on every matching customer. All scoped to the agent's workspace.
/// </summary>
public static class SegmentsApi
{
    public const int MaxNameLength = 100;

    public static IEndpointRouteBuilder MapSegmentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/segments").RequireAuthorization().WithTags("Segments").CountsAsActivity();
        api.MapGet("/", ListSegments);
        api.MapPost("/", AddSegment);
        api.MapGet("/{segmentId:guid}", GetSegment);
        api.MapPut("/{segmentId:guid}", ChangeSegment);
        api.MapDelete("/{segmentId:guid}", DeleteSegment);
        api.MapGet("/{segmentId:guid}/customers", ListSegmentCustomers);
        api.MapPost("/preview", Preview);
        api.MapGet("/{segmentId:guid}/export", ExportSegment);
        api.MapPost("/preview/export", ExportPreview);
        api.MapPost("/{segmentId:guid}/actions", RunSegmentAction);
        api.MapPost("/preview/actions", RunPreviewAction);
        api.MapGet("/jobs/{jobId:guid}", GetJob);
        return app;
    }

    public sealed record SegmentRequest(string? Name, JsonElement? Filter);

    public sealed record PreviewRequest(JsonElement? Filter, string? After, int? Limit);

    /// <summary>A bulk action; <see cref="Filter"/> only for <c>/preview/actions</c> (a filter not saved).</summary>
    public sealed record BulkActionRequest(string? Action, Guid? LabelId, Guid? OwnerAgentId, string? Key, JsonElement? Value, JsonElement? Filter);

    public sealed record SegmentView(Guid Id, string Name, JsonElement Filter, bool BuiltIn, Guid? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    /// <summary>How many customers match now, and a page of them by name; pass <see cref="NextCursor"/> as <c>after</c> for the next.</summary>
    public sealed record SegmentPage(long Count, IReadOnlyList<CustomerProfile> Customers, string? NextCursor);

    public static async Task<Ok<IReadOnlyList<SegmentView>>> ListSegments(ISegmentStore store, ClaimsPrincipal user, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        var saved = await store.ListSegmentsAsync(workspaceId, ct);
        // Built-ins first, in their fixed order (the workspace's version where it saved one), then the workspace's own by name.
        var builtIns = BuiltInSegments.All.Select(b => saved.FirstOrDefault(s => s.Id == b.Id) ?? BuiltInSegments.Default(workspaceId, b.Id));
        IReadOnlyList<SegmentView> views = [.. builtIns.Select(View), .. saved.Where(s => !BuiltInSegments.IsBuiltIn(s.Id)).Select(View)];
        return TypedResults.Ok(views);
    }

    public static async Task<Results<Created<SegmentView>, ValidationProblem>> AddSegment(SegmentRequest request, ISegmentStore store,
        ICustomerAttributeDefinitionStore definitions, ILabelStore labels, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        var (name, filter, problems) = await ReadSegmentAsync(request, workspaceId, definitions, labels, ct);
        if (problems is not null) return Invalid(loggers, problems);
        var now = clock.GetUtcNow();
        var saved = await store.SaveSegmentAsync(new Segment(Guid.NewGuid(), workspaceId, name!, filter!, false, user.AgentIdOf(), now, now), ct);
        return TypedResults.Created($"/api/segments/{saved.Id}", View(saved));
    }

    public static async Task<Results<Ok<SegmentView>, NotFound>> GetSegment(Guid segmentId, ISegmentStore store, ClaimsPrincipal user, ILoggerFactory loggers,
        CancellationToken ct)
        => await FindAsync(store, user.WorkspaceId(), segmentId, ct) is { } segment ? TypedResults.Ok(View(segment)) : NotFound(loggers, segmentId);

    /// <summary>Renames it and replaces its filter. On a built-in, saves the workspace's own version of it (still built in).</summary>
    public static async Task<Results<Ok<SegmentView>, NotFound, ValidationProblem>> ChangeSegment(Guid segmentId, SegmentRequest request, ISegmentStore store,
        ICustomerAttributeDefinitionStore definitions, ILabelStore labels, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        if (await FindAsync(store, workspaceId, segmentId, ct) is not { } current) return NotFound(loggers, segmentId);
        var (name, filter, problems) = await ReadSegmentAsync(request, workspaceId, definitions, labels, ct);
        if (problems is not null) return Invalid(loggers, problems);
        var now = clock.GetUtcNow();
        var createdAt = current.CreatedAt == DateTimeOffset.UnixEpoch ? now : current.CreatedAt;
        var saved = await store.SaveSegmentAsync(current with { Name = name!, FilterJson = filter!, CreatedBy = current.CreatedBy ?? user.AgentIdOf(),
            CreatedAt = createdAt, UpdatedAt = now }, ct);
        return TypedResults.Ok(View(saved));
    }

    /// <summary>Deletes a segment; on a built-in, drops the workspace's version so the default is back (a built-in stays).</summary>
    public static async Task<Results<NoContent, NotFound>> DeleteSegment(Guid segmentId, ISegmentStore store, ClaimsPrincipal user, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var deleted = await store.DeleteSegmentAsync(user.WorkspaceId(), segmentId, ct);
        return deleted || BuiltInSegments.IsBuiltIn(segmentId) ? TypedResults.NoContent() : NotFound(loggers, segmentId);
    }

    public static async Task<Results<Ok<SegmentPage>, NotFound, ProblemHttpResult>> ListSegmentCustomers(Guid segmentId, string? after, int? limit,
        ISegmentStore store, ICustomerAttributeDefinitionStore definitions, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        if (await FindAsync(store, workspaceId, segmentId, ct) is not { } segment) return NotFound(loggers, segmentId);
        var (filter, broken) = await EvaluableAsync(segment, definitions, loggers, ct);
        if (broken is not null) return broken;
        var (page, refused) = await PageAsync(store, workspaceId, filter!, after, limit, clock, loggers, ct);
        return page is not null ? TypedResults.Ok(page) : refused!;
    }

    /// <summary>The filter builder's live count and first page, for a filter not saved (or a following page with <c>after</c>).</summary>
    public static async Task<Results<Ok<SegmentPage>, ValidationProblem, ProblemHttpResult>> Preview(PreviewRequest request, ISegmentStore store,
        ICustomerAttributeDefinitionStore definitions, ILabelStore labels, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        var (filter, problems) = await ReadFilterAsync(request.Filter, workspaceId, definitions, labels, ct);
        if (problems is not null) return Invalid(loggers, problems);
        var (page, refused) = await PageAsync(store, workspaceId, filter!, request.After, request.Limit, clock, loggers, ct);
        return page is not null ? TypedResults.Ok(page) : refused!;
    }

    public static async Task<Results<PushStreamHttpResult, NotFound, ProblemHttpResult>> ExportSegment(Guid segmentId, ISegmentStore store,
        ICustomerAttributeDefinitionStore definitions, ILabelStore labels, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        if (await FindAsync(store, workspaceId, segmentId, ct) is not { } segment) return NotFound(loggers, segmentId);
        var (filter, broken) = await EvaluableAsync(segment, definitions, loggers, ct);
        if (broken is not null) return broken;
        return await ExportAsync(store, workspaceId, filter!, FileName(segment.Name), definitions, labels, clock, ct);
    }

    public static async Task<Results<PushStreamHttpResult, ValidationProblem>> ExportPreview(PreviewRequest request, ISegmentStore store,
        ICustomerAttributeDefinitionStore definitions, ILabelStore labels, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        var (filter, problems) = await ReadFilterAsync(request.Filter, workspaceId, definitions, labels, ct);
        if (problems is not null) return Invalid(loggers, problems);
        return await ExportAsync(store, workspaceId, filter!, "customers.csv", definitions, labels, clock, ct);
    }

    public static async Task<Results<Ok<BulkJob>, Accepted<BulkJob>, NotFound, ValidationProblem, ProblemHttpResult>> RunSegmentAction(Guid segmentId,
        BulkActionRequest request, ISegmentStore store, ICustomerAttributeDefinitionStore definitions, ILabelStore labels, IAgentStore agents,
        SegmentBulkJobs jobs, ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        if (await FindAsync(store, workspaceId, segmentId, ct) is not { } segment) return NotFound(loggers, segmentId);
        var (filter, broken) = await EvaluableAsync(segment, definitions, loggers, ct);
        if (broken is not null) return broken;
        return await StartActionAsync(segmentId, filter!, request, workspaceId, definitions, labels, agents, jobs, user, loggers, ct);
    }

    public static async Task<Results<Ok<BulkJob>, Accepted<BulkJob>, NotFound, ValidationProblem, ProblemHttpResult>> RunPreviewAction(
        BulkActionRequest request, ICustomerAttributeDefinitionStore definitions, ILabelStore labels, IAgentStore agents, SegmentBulkJobs jobs,
        ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        var (filter, problems) = await ReadFilterAsync(request.Filter, workspaceId, definitions, labels, ct);
        if (problems is not null) return Invalid(loggers, problems);
        return await StartActionAsync(null, filter!, request, workspaceId, definitions, labels, agents, jobs, user, loggers, ct);
    }

    public static Results<Ok<BulkJob>, NotFound> GetJob(Guid jobId, SegmentBulkJobs jobs, ClaimsPrincipal user)
        => jobs.Get(user.WorkspaceId(), jobId) is { } job ? TypedResults.Ok(job) : TypedResults.NotFound();

    private static async Task<Results<Ok<BulkJob>, Accepted<BulkJob>, NotFound, ValidationProblem, ProblemHttpResult>> StartActionAsync(Guid? segmentId,
        SegmentGroup filter, BulkActionRequest request, Guid workspaceId, ICustomerAttributeDefinitionStore definitions, ILabelStore labels,
        IAgentStore agents, SegmentBulkJobs jobs, ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        var (action, problems) = await ReadActionAsync(request, workspaceId, definitions, labels, agents, ct);
        if (action is null) return Invalid(loggers, problems);
        var (job, done) = await jobs.StartAsync(workspaceId, segmentId, filter, action, user.AgentIdOf(), ct);
        return done ? TypedResults.Ok(job) : TypedResults.Accepted($"/api/segments/jobs/{job.Id}", job);
    }

    /// <summary>The action with its target checked against the workspace (its label, its agent, its attribute and a valid value).</summary>
    private static async Task<(BulkAction? Action, Dictionary<string, string[]> Problems)> ReadActionAsync(BulkActionRequest request, Guid workspaceId,
        ICustomerAttributeDefinitionStore definitions, ILabelStore labels, IAgentStore agents, CancellationToken ct)
    {
        var problems = new Dictionary<string, string[]>();
        switch (request.Action)
        {
            case BulkAction.AddLabel or BulkAction.RemoveLabel:
                if (request.LabelId is not { } labelId || await labels.GetLabelAsync(workspaceId, labelId, ct) is null)
                    problems["labelId"] = ["Not a label of this workspace."];
                else return (new BulkAction(request.Action, LabelId: labelId), problems);
                break;
            case BulkAction.SetOwner:
                // null takes the owner off; anyone else must be the workspace's agent.
                if (request.OwnerAgentId is { } owner && (await agents.GetAsync(owner, ct) is not { } agent || agent.WorkspaceId != workspaceId))
                    problems["ownerAgentId"] = ["Not an agent of this workspace."];
                else return (new BulkAction(request.Action, OwnerAgentId: request.OwnerAgentId), problems);
                break;
            case BulkAction.SetAttribute:
                if (string.IsNullOrEmpty(request.Key) || await definitions.GetAttributeDefinitionAsync(workspaceId, request.Key, ct) is not { } definition)
                {
                    problems["key"] = ["Not an attribute this workspace defines."];
                    break;
                }
                // The same validation as a profile change: the stored value is the canonical one, null clears it.
                var (value, problem) = request.Value is { } given ? CustomerAttributeRules.Value(definition, given) : (null, null);
                if (problem is not null) problems["value"] = [problem];
                else return (new BulkAction(request.Action, AttributeKey: definition.Key, AttributeValue: value), problems);
                break;
            default:
                problems["action"] = [$"Must be one of: {BulkAction.AddLabel}, {BulkAction.RemoveLabel}, {BulkAction.SetOwner}, {BulkAction.SetAttribute}."];
                break;
        }
        return (null, problems);
    }

    private static async Task<(SegmentPage? Page, ProblemHttpResult? Refused)> PageAsync(ISegmentStore store, Guid workspaceId, SegmentGroup filter,
        string? after, int? limit, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        // A segment's page is a page of customers: the same bound as the customer list.
        if (limit is < 1 or > CustomersApi.MaxPageSize) return (null, Refused(loggers, "limit", $"limit must be between 1 and {CustomersApi.MaxPageSize}."));
        CustomerPageCursor? cursor = null;
        if (after is not null && !CustomerPageCursor.TryParse(after, out cursor)) return (null, Refused(loggers, "after", "after is not a cursor this API returned."));
        var take = limit ?? 50;
        var now = clock.GetUtcNow();
        var count = await store.CountSegmentAsync(workspaceId, filter, now, ct);
        // One more than asked tells whether a next page exists.
        var items = await store.ListSegmentAsync(workspaceId, filter, now, cursor, take + 1, ct);
        var page = items.Take(take).ToList();
        return (new SegmentPage(count, page, items.Count > take ? new CustomerPageCursor(page[^1].Fields.Name ?? "", page[^1].Id).Encode() : null), null);
    }

    private static async Task<PushStreamHttpResult> ExportAsync(ISegmentStore store, Guid workspaceId, SegmentGroup filter, string fileName,
        ICustomerAttributeDefinitionStore definitions, ILabelStore labels, TimeProvider clock, CancellationToken ct)
    {
        var defined = await definitions.ListAttributeDefinitionsAsync(workspaceId, ct);
        var labelNames = (await labels.ListLabelsAsync(workspaceId, ct)).ToDictionary(l => l.Id, l => l.Name);
        var now = clock.GetUtcNow();
        return TypedResults.Stream(stream => SegmentExport.WriteAsync(stream, store, workspaceId, filter, now, labelNames, defined, ct),
            "text/csv; charset=utf-8", fileName);
    }

    /// <summary>The segment as saved, or the built-in's default; null when the workspace has no such segment.</summary>
    private static async Task<Segment?> FindAsync(ISegmentStore store, Guid workspaceId, Guid segmentId, CancellationToken ct)
        => await store.GetSegmentAsync(workspaceId, segmentId, ct)
            ?? (BuiltInSegments.IsBuiltIn(segmentId) ? BuiltInSegments.Default(workspaceId, segmentId) : null);

    /// <summary>
    /// A saved filter, read against the workspace's attributes as they are now: one that names an attribute deleted since
    /// cannot be evaluated (409, saying which condition), and is fixed by saving the segment again.
    /// </summary>
    private static async Task<(SegmentGroup? Filter, ProblemHttpResult? Broken)> EvaluableAsync(Segment segment,
        ICustomerAttributeDefinitionStore definitions, ILoggerFactory loggers, CancellationToken ct)
    {
        var schema = SegmentSchema.From(await definitions.ListAttributeDefinitionsAsync(segment.WorkspaceId, ct));
        var (filter, problems) = SegmentFilterParser.Parse(JsonDocument.Parse(segment.FilterJson).RootElement, schema);
        if (problems is null) return (filter, null);
        loggers.CreateLogger(typeof(SegmentsApi)).LogInformation("Segment {SegmentId} no longer fits its workspace: {Paths}", segment.Id,
            string.Join(", ", problems.Keys));
        return (null, TypedResults.Problem(
            $"The segment's filter refers to something that no longer exists ({string.Join("; ", problems.Select(p => $"{p.Key}: {string.Join(" ", p.Value)}"))}). Save it again with a valid filter.",
            statusCode: StatusCodes.Status409Conflict, title: "Segment filter out of date"));
    }

    private static async Task<(string? Name, string? FilterJson, Dictionary<string, string[]>? Problems)> ReadSegmentAsync(SegmentRequest request,
        Guid workspaceId, ICustomerAttributeDefinitionStore definitions, ILabelStore labels, CancellationToken ct)
    {
        var (_, problems) = await ReadFilterAsync(request.Filter, workspaceId, definitions, labels, ct);
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
            (problems ??= [])["name"] = [$"name must be 1 to {MaxNameLength} characters."];
        if (problems is not null) return (null, null, problems);
        // Kept as sent (validated), compacted: what is read again on every use.
        return (name, JsonSerializer.Serialize(request.Filter!.Value), null);
    }

    /// <summary>The filter checked against the workspace: its attribute definitions and its labels.</summary>
    private static async Task<(SegmentGroup? Filter, Dictionary<string, string[]>? Problems)> ReadFilterAsync(JsonElement? json, Guid workspaceId,
        ICustomerAttributeDefinitionStore definitions, ILabelStore labels, CancellationToken ct)
    {
        if (json is not { ValueKind: JsonValueKind.Object } filterJson) return (null, new() { ["filter"] = ["filter is required: {\"op\", \"conditions\"}."] });
        var schema = SegmentSchema.From(await definitions.ListAttributeDefinitionsAsync(workspaceId, ct));
        var (filter, problems) = SegmentFilterParser.Parse(filterJson, schema);
        if (problems is not null) return (null, problems);
        var labelIds = LabelIdsIn(filter!).ToList();
        if (labelIds.Count > 0)
        {
            var known = (await labels.ListLabelsAsync(workspaceId, ct)).Select(l => l.Id.ToString()).ToHashSet();
            if (labelIds.FirstOrDefault(id => !known.Contains(id)) is { } unknown)
                return (null, new() { ["filter"] = [$"Label {unknown} is not a label of this workspace."] });
        }
        return (filter, null);
    }

    private static IEnumerable<string> LabelIdsIn(SegmentNode node) => node switch
    {
        SegmentGroup group => group.Conditions.SelectMany(LabelIdsIn),
        SegmentCondition { Field: "labels" } condition => condition.Texts,
        _ => [],
    };

    private static SegmentView View(Segment s)
        => new(s.Id, s.Name, JsonDocument.Parse(s.FilterJson).RootElement.Clone(), s.BuiltIn, s.CreatedBy, s.CreatedAt, s.UpdatedAt);

    /// <summary>The segment's name as a download name: letters, digits, spaces and - _ only.</summary>
    private static string FileName(string name)
    {
        var safe = new StringBuilder();
        foreach (var ch in name) safe.Append(char.IsLetterOrDigit(ch) || ch is ' ' or '-' or '_' ? ch : '-');
        return (safe.Length == 0 ? "segment" : safe.ToString().Trim()) + ".csv";
    }

    private static ValidationProblem Invalid(ILoggerFactory loggers, Dictionary<string, string[]> problems)
    {
        loggers.CreateLogger(typeof(SegmentsApi)).LogInformation("Refused a segment request: invalid {Fields}", string.Join(", ", problems.Keys));
        return TypedResults.ValidationProblem(problems);
    }

    private static NotFound NotFound(ILoggerFactory loggers, Guid segmentId)
    {
        loggers.CreateLogger(typeof(SegmentsApi)).LogInformation("Segment {SegmentId} not found in the caller's workspace", segmentId);
        return TypedResults.NotFound();
    }

    private static ProblemHttpResult Refused(ILoggerFactory loggers, string parameter, string detail)
    {
        loggers.CreateLogger(typeof(SegmentsApi)).LogInformation("Refused a segment request: invalid {Parameter}", parameter);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");
    }
}
