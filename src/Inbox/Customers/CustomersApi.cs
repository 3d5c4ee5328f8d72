using System.Security.Claims;
using System.Text.Json;
using Crm.Inbox.Agents;
using Crm.Inbox.Assignment;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using TimeZoneConverter;

namespace Crm.Inbox.Customers;

public static class CustomersApi
{
    public const int MaxPageSize = 200;

    public static IEndpointRouteBuilder MapCustomersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/customers").RequireAuthorization().WithTags("Customers").CountsAsActivity();
        api.MapGet("/", ListCustomers);
        api.MapGet("/{customerId:guid}", GetCustomer);
        api.MapPatch("/{customerId:guid}", ChangeCustomer);
        api.MapGet("/{customerId:guid}/history", ListHistory);
        return app;
    }

    /// <summary>A profile as agents see it: <see cref="Age"/> is worked out from the birthday on the customer's own date.</summary>
    public sealed record CustomerDetails(CustomerProfile Profile, int? Age);

    /// <summary>A page of the customer list, by name; pass <see cref="NextCursor"/> as <c>cursor</c> for the next one (null at the end).</summary>
    public sealed record CustomerPage(IReadOnlyList<CustomerProfile> Items, string? NextCursor);

    /// <summary>A page of a profile's history, newest first; pass <see cref="NextCursor"/> as <c>after</c> for older entries (null at the end).</summary>
    public sealed record CustomerHistory(IReadOnlyList<CustomerProfileChange> Items, string? NextCursor);

    public static async Task<Results<Ok<CustomerPage>, ProblemHttpResult>> ListCustomers(
        ICustomerProfileStore store, ClaimsPrincipal user, string? cursor, int? limit, ILoggerFactory loggers, CancellationToken ct)
    {
        if (RefuseLimit(limit, loggers) is { } refused) return refused;
        CustomerPageCursor? after = null;
        if (cursor is not null && !CustomerPageCursor.TryParse(cursor, out after)) return Refused(loggers, "cursor", "cursor is not a cursor this API returned.");
        var take = limit ?? 50;
        // One more than asked tells whether a next page exists, so the last page says so instead of leading to an empty one.
        var items = await store.ListProfilesAsync(user.WorkspaceId(), after, take + 1, ct);
        var page = items.Take(take).ToList();
        return TypedResults.Ok(new CustomerPage(page,
            items.Count > take ? new CustomerPageCursor(page[^1].Fields.Name ?? "", page[^1].Id).Encode() : null));
    }

    /// <summary>A merged-away customer's address points at the survivor (307 with <see cref="CustomerMergeApi.MergedAway"/>).</summary>
    public static async Task<Results<Ok<CustomerDetails>, NotFound, JsonHttpResult<CustomerMergeApi.MergedAway>>> GetCustomer(
        ICustomerProfileStore store, ICustomerMergeStore merges, ClaimsPrincipal user, Guid customerId, TimeProvider clock, HttpContext http, ILoggerFactory loggers,
        CancellationToken ct)
    {
        if (await store.GetProfileAsync(user.WorkspaceId(), customerId, ct) is not { } profile) return NotFound(loggers, customerId);
        if (await merges.GetMergedIntoAsync(user.WorkspaceId(), customerId, ct) is { } survivor)
            return CustomerMergeApi.PointTo(http, survivor, $"/api/customers/{survivor}");
        return TypedResults.Ok(Details(profile, clock));
    }

    /// <summary>
    /// Changes only the fields in the body (null clears one). <c>version</c> is the one the agent read: if someone changed
    /// the profile since, nothing is changed and the answer is 409 with the current profile, to show and retry from.
    /// The body is nullable because ASP.NET Core fails (500) binding an empty body to a non-nullable <see cref="JsonElement"/>.
    /// </summary>
    /// <remarks>
    /// A merged-away customer is not changed (409 naming the survivor). When the workspace merges automatically and the change
    /// adds a verified phone or email another customer has too, they are merged and the answer is the survivor.
    /// </remarks>
    public static async Task<Results<Ok<CustomerDetails>, NotFound, ValidationProblem, Conflict<CustomerDetails>, ProblemHttpResult>> ChangeCustomer(
        Guid customerId, JsonElement? change, ICustomerProfileStore store, IAgentStore agents, ICustomerAttributeDefinitionStore definitions,
        ILifecycleStageStore stages, ICustomerMergeStore merges, CustomerMerging merging, AgentNotifier notifier, ClaimsPrincipal user,
        TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(CustomersApi));
        var workspaceId = user.WorkspaceId();
        if (await store.GetProfileAsync(workspaceId, customerId, ct) is not { } current) return NotFound(loggers, customerId);
        if (await merges.GetMergedIntoAsync(workspaceId, customerId, ct) is { } survivor)
        {
            logger.LogInformation("Refused a change to customer {CustomerId}: merged into {SurvivorId}", customerId, survivor);
            return TypedResults.Problem($"This customer is merged into customer {survivor}: change that one.", statusCode: StatusCodes.Status409Conflict,
                title: "Customer merged away", extensions: new Dictionary<string, object?> { ["mergedInto"] = survivor });
        }

        // The latest date anywhere on earth (UTC+14): a birthday after it is in the future for everyone.
        var latestToday = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime.AddHours(14));
        // Attributes and the stage are checked against the workspace's own definitions and stages, read now.
        var schema = new CustomerSchema(await definitions.ListAttributeDefinitionsAsync(workspaceId, ct), await stages.GetLifecycleStagesAsync(workspaceId, ct));
        var (fields, version, problems) = CustomerProfileRules.Apply(current.Fields, change ?? default, latestToday, schema);
        // The owner must be one of the workspace's agents; an agent of another workspace is as unknown as a made-up id.
        if (fields?.OwnerAgentId is { } owner && owner != current.Fields.OwnerAgentId
            && (await agents.GetAsync(owner, ct) is not { } agent || agent.WorkspaceId != workspaceId))
        {
            problems["ownerAgentId"] = ["Not an agent of this workspace."];
            fields = null;
        }
        if (fields is null)
        {
            logger.LogInformation("Refused a change to customer {CustomerId}: invalid {Fields}", customerId, string.Join(", ", problems.Keys));
            return TypedResults.ValidationProblem(problems);
        }

        var result = await store.UpdateProfileAsync(workspaceId, customerId, version, fields, user.AgentIdOf(), clock.GetUtcNow(), ct);
        switch (result.Outcome)
        {
            case ProfileUpdateOutcome.Updated:
                if (result.Profile!.Version != current.Version) await AnnounceChangeAsync(notifier, result.Profile, loggers);
                var livesIn = await MergeSuggestions.AfterProfileWriteAsync(merging, merges, current, result.Profile, clock.GetUtcNow(), ct);
                return TypedResults.Ok(Details(livesIn == customerId ? result.Profile : (await store.GetProfileAsync(workspaceId, livesIn, ct))!, clock));
            case ProfileUpdateOutcome.Conflict:
                logger.LogInformation("Refused a change to customer {CustomerId} made at version {Version}: it is at {Current}",
                    customerId, version, result.Profile!.Version);
                return TypedResults.Conflict(Details(result.Profile, clock));
            default:
                return NotFound(loggers, customerId);
        }
    }

    /// <summary>Newest first, <paramref name="limit"/> at a time; <paramref name="after"/> (a <c>nextCursor</c>) continues with older entries.</summary>
    public static async Task<Results<Ok<CustomerHistory>, NotFound, ProblemHttpResult>> ListHistory(
        ICustomerProfileStore store, ClaimsPrincipal user, Guid customerId, string? after, int? limit, ILoggerFactory loggers, CancellationToken ct)
    {
        if (RefuseLimit(limit, loggers) is { } refused) return refused;
        ProfileChangeCursor? cursor = null;
        if (after is not null && !ProfileChangeCursor.TryParse(after, out cursor)) return Refused(loggers, "after", "after is not a cursor this API returned.");
        var workspaceId = user.WorkspaceId();
        if (await store.GetProfileAsync(workspaceId, customerId, ct) is null) return NotFound(loggers, customerId);
        var take = limit ?? 100;
        // One more than asked tells whether older entries exist, so the last page says so instead of leading to an empty one.
        var items = await store.ListProfileChangesAsync(workspaceId, customerId, cursor, take + 1, ct);
        var page = items.Take(take).ToList();
        return TypedResults.Ok(new CustomerHistory(page, items.Count > take ? ProfileChangeCursor.Of(page[^1]).Encode() : null));
    }

    /// <summary>Tells the workspace's agents the profile changed. The change is stored: a failed push must not fail the request.</summary>
    internal static async Task AnnounceChangeAsync(AgentNotifier notifier, CustomerProfile profile, ILoggerFactory loggers)
    {
        try
        {
            await notifier.CustomerChangedAsync(profile);
        }
        catch (Exception error)
        {
            loggers.CreateLogger(typeof(CustomersApi)).LogWarning(error, "Could not push the change to customer {CustomerId} to agents", profile.Id);
        }
    }

    internal static CustomerDetails Details(CustomerProfile profile, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        // A birthday comes at midnight where the customer lives; without a known zone, UTC.
        var local = profile.Fields.TimeZone is { } zone && TZConvert.TryGetTimeZoneInfo(zone, out var info) ? TimeZoneInfo.ConvertTime(now, info) : now;
        return new CustomerDetails(profile, profile.AgeOn(DateOnly.FromDateTime(local.DateTime)));
    }

    /// <summary>Another workspace's customer is as unknown as a made-up id.</summary>
    internal static NotFound NotFound(ILoggerFactory loggers, Guid customerId)
    {
        loggers.CreateLogger(typeof(CustomersApi)).LogInformation("Customer {CustomerId} not found in the caller's workspace", customerId);
        return TypedResults.NotFound();
    }

    /// <summary>Every page of customers (the list, a profile's history, its timeline) takes 1 to <see cref="MaxPageSize"/>.</summary>
    internal static ProblemHttpResult? RefuseLimit(int? limit, ILoggerFactory loggers)
        => limit is < 1 or > MaxPageSize ? Refused(loggers, "limit", $"limit must be between 1 and {MaxPageSize}.") : null;

    internal static ProblemHttpResult Refused(ILoggerFactory loggers, string parameter, string detail)
    {
        loggers.CreateLogger(typeof(CustomersApi)).LogInformation("Refused a customer request: invalid {Parameter}", parameter);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");
    }
}
