using System.Security.Claims;
using Crm.Inbox.Agents;
using Crm.Inbox.Assignment;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Customers;

public sealed class CustomerMergeOptions
{
    public const string Section = "Crm:Customers";

    /// <summary>How long after a merge it can still be undone.</summary>
    public TimeSpan MergeUndoGrace { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>
/// Merges customers (by an agent's hand or automatically) and undoes them, telling the workspace's agents: their
/// conversation lists and open profiles show the moved conversations.
/// </summary>
public sealed class CustomerMerging(ICustomerMergeStore store, ICustomerProfileStore profiles, AgentNotifier agents, IOptions<CustomerMergeOptions> options,
    ILogger<CustomerMerging> logger)
{
    public TimeSpan UndoGrace => options.Value.MergeUndoGrace;

    public async Task<MergeResult> MergeAsync(MergeRequest request, CancellationToken ct)
    {
        var result = await store.MergeCustomersAsync(request, ct);
        if (result.Outcome == MergeOutcome.Merged)
        {
            var merge = result.Merge!;
            logger.LogInformation("Merged customer {MergedId} into {SurvivorId} ({Kind}; merge {MergeId})", merge.MergedId, merge.SurvivorId,
                merge.Automatic ? "automatic" : "by an agent", merge.Id);
            await PushAsync(request.WorkspaceId, Push(merge, undone: false));
        }
        return result;
    }

    public async Task<UndoResult> UndoAsync(Guid workspaceId, Guid mergeId, Guid? by, DateTimeOffset now, CancellationToken ct)
    {
        var result = await store.UndoMergeAsync(workspaceId, mergeId, by, now, UndoGrace, ct);
        if (result.Outcome == UndoOutcome.Undone)
        {
            logger.LogInformation("Undid merge {MergeId}: customer {MergedId} is apart from {SurvivorId} again", mergeId, result.Merge!.MergedId, result.Merge.SurvivorId);
            await PushAsync(workspaceId, Push(result.Merge, undone: true));
        }
        return result;
    }

    /// <summary>
    /// The merge the rules make when the workspace merges automatically: the older customer survives and keeps its own value
    /// of every conflicting field (nobody chose otherwise). Null when either changed meanwhile or is merged away already.
    /// </summary>
    public async Task<CustomerMerge?> MergeAutomaticallyAsync(Guid workspaceId, Guid first, Guid second, DateTimeOffset now, CancellationToken ct)
    {
        var a = await profiles.GetProfileAsync(workspaceId, first, ct);
        var b = await profiles.GetProfileAsync(workspaceId, second, ct);
        if (a is null || b is null) return null;
        var (survivor, merged) = (a.CreatedAt, a.Id) .CompareTo((b.CreatedAt, b.Id)) <= 0 ? (a, b) : (b, a);
        var conflicts = CustomerMergeRules.Conflicts(survivor.Fields, merged.Fields);
        var choices = conflicts.ToDictionary(c => c.Field, _ => MergeChoices.Survivor);
        var result = await MergeAsync(new MergeRequest(workspaceId, survivor.Id, merged.Id, survivor.Version, merged.Version, choices, null, true, now), ct);
        return result.Outcome == MergeOutcome.Merged ? result.Merge : null;
    }

    /// <summary>The merge is stored: a push that fails must not fail the request (agents see it on their next read).</summary>
    private async Task PushAsync(Guid workspaceId, CustomersMergedPush push)
    {
        try
        {
            await agents.CustomersMergedAsync(workspaceId, push);
        }
        catch (Exception error)
        {
            logger.LogWarning(error, "Could not push merge {MergeId} to agents", push.MergeId);
        }
    }

    private static CustomersMergedPush Push(CustomerMerge merge, bool undone) => new(merge.Id, merge.SurvivorId, merge.MergedId,
        merge.MovedConversationIds.Concat(merge.JoinedConversations.SelectMany(j => new[] { j.From, j.Into })).Distinct().ToList(), merge.Automatic, undone);
}

public static class CustomerMergeApi
{
    public static IEndpointRouteBuilder MapCustomerMergeApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/customers").RequireAuthorization().WithTags("Customers").CountsAsActivity();
        api.MapGet("/{survivorId:guid}/merge-preview", Preview);
        api.MapPost("/{survivorId:guid}/merge", Merge);
        api.MapGet("/{customerId:guid}/merges", ListMerges);
        api.MapPost("/merges/{mergeId:guid}/undo", Undo);
        api.MapGet("/{customerId:guid}/merge-suggestions", MergeSuggestions.ForCustomer);
        api.MapGet("/merge-suggestions", MergeSuggestions.ForWorkspace);
        var settings = app.MapGroup("/api/customer-settings").RequireAuthorization().WithTags("Customers").CountsAsActivity();
        settings.MapGet("/", GetSettings);
        settings.MapPut("/", ChangeSettings);
        return app;
    }

    /// <summary>What a merged-away customer's address answers: where the customer lives now.</summary>
    public sealed record MergedAway(Guid MergedInto, string Location);

    /// <summary>307 to the survivor: clients that follow redirects get the survivor, others read <see cref="MergedAway"/>.</summary>
    internal static JsonHttpResult<MergedAway> PointTo(HttpContext http, Guid survivorId, string location)
    {
        http.Response.Headers.Location = location;
        return TypedResults.Json(new MergedAway(survivorId, location), statusCode: StatusCodes.Status307TemporaryRedirect);
    }

    public sealed record SharedThread(string Channel, string? BusinessIdentity);

    public sealed record MergePreview(CustomerProfile Survivor, CustomerProfile Merged, long SurvivorVersion, long MergedVersion,
        IReadOnlyList<MergeConflict> Conflicts, IReadOnlyList<SharedThread> SharedThreads);

    public sealed record MergeBody(Guid? MergedId, Dictionary<string, string>? Choices, long? SurvivorVersion, long? MergedVersion);

    public sealed record MergeView(Guid Id, Guid SurvivorId, Guid MergedId, Guid? MergedBy, bool Automatic, DateTimeOffset MergedAt, DateTimeOffset UndoUntil,
        DateTimeOffset? UndoneAt, IReadOnlyList<Guid> MovedConversationIds, IReadOnlyList<JoinedConversation> JoinedConversations);

    public sealed record MergeDone(Guid MergeId, Guid SurvivorId, Guid MergedId, DateTimeOffset UndoUntil, IReadOnlyList<Guid> MovedConversationIds,
        IReadOnlyList<JoinedConversation> JoinedConversations, CustomersApi.CustomerDetails Customer);

    public sealed record MergeList(IReadOnlyList<MergeView> Items);

    public sealed record UndoDone(Guid MergeId, CustomersApi.CustomerDetails Survivor, CustomersApi.CustomerDetails Restored);

    public sealed record CustomerSettings(bool AutoMerge);

    public sealed record CustomerSettingsBody(bool? AutoMerge);

    public static async Task<Results<Ok<MergePreview>, NotFound, ProblemHttpResult>> Preview(Guid survivorId, Guid? with, ICustomerProfileStore profiles,
        ICustomerMergeStore merges, Storage.IInboxStore inbox, ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        if (with is not { } mergedId || mergedId == survivorId)
            return CustomersApi.Refused(loggers, "with", "with must be the id of the other customer, not this one.");
        var workspaceId = user.WorkspaceId();
        var survivor = await profiles.GetProfileAsync(workspaceId, survivorId, ct);
        var merged = await profiles.GetProfileAsync(workspaceId, mergedId, ct);
        if (survivor is null || merged is null) return CustomersApi.NotFound(loggers, survivor is null ? survivorId : mergedId);
        if (await MergedAwayProblem(merges, loggers, workspaceId, survivorId, mergedId, ct) is { } problem) return problem;

        var conflicts = CustomerMergeRules.Conflicts(survivor.Fields, merged.Fields);
        // ix_conversations_customer: a customer has a handful of threads.
        async Task<IReadOnlyList<Conversation>> ThreadsOf(Guid id) => await inbox.ListConversationsAsync(workspaceId, null, CustomersApi.MaxPageSize,
            new ConversationListFilter { CustomerId = id }, ct);
        var mine = (await ThreadsOf(survivorId)).Select(c => new SharedThread(c.Channel, c.BusinessIdentity)).ToHashSet();
        var shared = (await ThreadsOf(mergedId)).Select(c => new SharedThread(c.Channel, c.BusinessIdentity)).Where(mine.Contains).Distinct().ToList();
        return TypedResults.Ok(new MergePreview(survivor, merged, survivor.Version, merged.Version, conflicts, shared));
    }

    /// <summary>
    /// Merges <c>mergedId</c> into the survivor with the agent's choices for the conflicting fields, at the versions the agent
    /// saw (both required: a merge made against a stale preview is refused). The same merge again answers as the first did.
    /// </summary>
    public static async Task<Results<Ok<MergeDone>, NotFound, ValidationProblem, ProblemHttpResult>> Merge(Guid survivorId, MergeBody? body,
        CustomerMerging merging, ICustomerProfileStore profiles, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(CustomerMergeApi));
        var problems = new Dictionary<string, string[]>();
        if (body?.MergedId is not { } mergedId) problems["mergedId"] = ["The id of the customer to merge into this one is required."];
        else if (mergedId == survivorId) problems["mergedId"] = ["A customer cannot be merged with itself."];
        if (body?.SurvivorVersion is null) problems["survivorVersion"] = ["The survivor's version from the preview is required."];
        if (body?.MergedVersion is null) problems["mergedVersion"] = ["The merged customer's version from the preview is required."];
        foreach (var (field, choice) in body?.Choices ?? [])
            if (choice is not (MergeChoices.Survivor or MergeChoices.Merged)) problems[$"choices.{field}"] = ["Choose \"survivor\" or \"merged\"."];
        if (problems.Count > 0)
        {
            logger.LogInformation("Refused a merge into customer {CustomerId}: invalid {Fields}", survivorId, string.Join(", ", problems.Keys));
            return TypedResults.ValidationProblem(problems);
        }

        var workspaceId = user.WorkspaceId();
        var request = new MergeRequest(workspaceId, survivorId, body!.MergedId!.Value, body.SurvivorVersion!.Value, body.MergedVersion!.Value,
            body.Choices ?? [], user.AgentIdOf(), false, clock.GetUtcNow());
        var result = await merging.MergeAsync(request, ct);
        switch (result.Outcome)
        {
            case MergeOutcome.Merged or MergeOutcome.AlreadyMerged when result.Merge is { } merge:
                var survivor = await profiles.GetProfileAsync(workspaceId, survivorId, ct);
                return TypedResults.Ok(new MergeDone(merge.Id, merge.SurvivorId, merge.MergedId, merge.MergedAt + merging.UndoGrace, merge.MovedConversationIds,
                    merge.JoinedConversations, CustomersApi.Details(survivor!, clock)));
            case MergeOutcome.ChoicesMissing:
                logger.LogInformation("Refused a merge into customer {CustomerId}: no choice for {Fields}", survivorId, string.Join(", ", result.MissingChoices.Select(c => c.Field)));
                return TypedResults.ValidationProblem(result.MissingChoices.ToDictionary(c => $"choices.{c.Field}",
                    c => new[] { $"Both customers have a {c.Field} (\"{c.Survivor}\" and \"{c.Merged}\"): choose \"survivor\" or \"merged\"." }));
            case MergeOutcome.Stale or MergeOutcome.MergedAway:
                logger.LogInformation("Refused a merge of {MergedId} into customer {CustomerId}: {Outcome}", request.MergedId, survivorId, result.Outcome);
                return TypedResults.Problem(result.Detail, statusCode: StatusCodes.Status409Conflict, title: "The merge cannot be made");
            default:
                return CustomersApi.NotFound(loggers, survivorId);
        }
    }

    public static async Task<Results<Ok<MergeList>, NotFound>> ListMerges(Guid customerId, ICustomerMergeStore merges, ICustomerProfileStore profiles,
        CustomerMerging merging, ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        if (await profiles.GetProfileAsync(workspaceId, customerId, ct) is null) return CustomersApi.NotFound(loggers, customerId);
        var items = await merges.ListMergesAsync(workspaceId, customerId, ct);
        return TypedResults.Ok(new MergeList(items.Select(m => View(m, merging.UndoGrace)).ToList()));
    }

    /// <summary>Gives both customers back as they were, within the grace period and while nothing changed since; 409 says why not.</summary>
    public static async Task<Results<Ok<UndoDone>, NotFound, ProblemHttpResult>> Undo(Guid mergeId, CustomerMerging merging, ICustomerProfileStore profiles,
        ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        var result = await merging.UndoAsync(workspaceId, mergeId, user.AgentIdOf(), clock.GetUtcNow(), ct);
        switch (result.Outcome)
        {
            case UndoOutcome.Undone:
                var survivor = await profiles.GetProfileAsync(workspaceId, result.Merge!.SurvivorId, ct);
                var restored = await profiles.GetProfileAsync(workspaceId, result.Merge.MergedId, ct);
                return TypedResults.Ok(new UndoDone(mergeId, CustomersApi.Details(survivor!, clock), CustomersApi.Details(restored!, clock)));
            case UndoOutcome.Refused:
                loggers.CreateLogger(typeof(CustomerMergeApi)).LogInformation("Refused to undo merge {MergeId}: {Count} reason(s)", mergeId, result.Reasons.Count);
                return TypedResults.Problem(string.Join(" ", result.Reasons), statusCode: StatusCodes.Status409Conflict, title: "The merge cannot be undone",
                    extensions: new Dictionary<string, object?> { ["reasons"] = result.Reasons });
            default:
                loggers.CreateLogger(typeof(CustomerMergeApi)).LogInformation("Merge {MergeId} not found in the caller's workspace", mergeId);
                return TypedResults.NotFound();
        }
    }

    public static async Task<Ok<CustomerSettings>> GetSettings(ICustomerMergeStore merges, ClaimsPrincipal user, CancellationToken ct)
        => TypedResults.Ok(new CustomerSettings(await merges.GetAutoMergeAsync(user.WorkspaceId(), ct)));

    public static async Task<Results<Ok<CustomerSettings>, ValidationProblem>> ChangeSettings(CustomerSettingsBody? body, ICustomerMergeStore merges,
        ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        if (body?.AutoMerge is not { } autoMerge)
        {
            loggers.CreateLogger(typeof(CustomerMergeApi)).LogInformation("Refused a customer settings change: invalid {Fields}", "autoMerge");
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["autoMerge"] = ["true or false is required."] });
        }
        await merges.SetAutoMergeAsync(user.WorkspaceId(), autoMerge, ct);
        return TypedResults.Ok(new CustomerSettings(autoMerge));
    }

    private static MergeView View(CustomerMerge m, TimeSpan grace) => new(m.Id, m.SurvivorId, m.MergedId, m.MergedBy, m.Automatic, m.MergedAt, m.MergedAt + grace,
        m.UndoneAt, m.MovedConversationIds, m.JoinedConversations);

    private static async Task<ProblemHttpResult?> MergedAwayProblem(ICustomerMergeStore merges, ILoggerFactory loggers, Guid workspaceId, Guid survivorId, Guid mergedId,
        CancellationToken ct)
    {
        foreach (var id in new[] { survivorId, mergedId })
        {
            if (await merges.GetMergedIntoAsync(workspaceId, id, ct) is { } into)
            {
                loggers.CreateLogger(typeof(CustomerMergeApi)).LogInformation("Refused a merge preview: customer {CustomerId} is merged away", id);
                return TypedResults.Problem($"Customer {id} is merged into customer {into} already.", statusCode: StatusCodes.Status409Conflict,
                    title: "The merge cannot be made");
            }
        }
        return null;
    }
}
