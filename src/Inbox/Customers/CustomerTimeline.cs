using System.Security.Claims;
using Crm.Inbox.Assignment;
using Crm.Inbox.Storage;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Customers;

/// <summary>
/// One customer, one timeline: every message of every conversation of the customer (all channels, all business numbers),
/// newest first, each naming its conversation and channel. The conversation view stays per channel.
/// </summary>
public static class CustomerTimelineApi
{
    public static IEndpointRouteBuilder MapCustomerTimelineApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/customers").RequireAuthorization().WithTags("Customers").CountsAsActivity()
            .MapGet("/{customerId:guid}/timeline", ListTimeline);
        return app;
    }

    /// <summary>Newest first; pass <see cref="NextCursor"/> as <c>before</c> for the older page (null at the oldest).</summary>
    public sealed record CustomerTimelinePage(IReadOnlyList<CustomerTimelineItem> Items, string? NextCursor);

    public static async Task<Results<Ok<CustomerTimelinePage>, NotFound, ProblemHttpResult, JsonHttpResult<CustomerMergeApi.MergedAway>>> ListTimeline(
        Guid customerId, string? before, int? limit, ICustomerProfileStore profiles, ICustomerMergeStore merges, ClaimsPrincipal user, HttpContext http,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (CustomersApi.RefuseLimit(limit, loggers) is { } refused) return refused;
        PageCursor? cursor = null;
        if (before is not null && !PageCursor.TryParse(before, out cursor)) return CustomersApi.Refused(loggers, "before", "before is not a cursor this API returned.");
        var workspaceId = user.WorkspaceId();
        if (await profiles.GetProfileAsync(workspaceId, customerId, ct) is null) return CustomersApi.NotFound(loggers, customerId);
        if (await merges.GetMergedIntoAsync(workspaceId, customerId, ct) is { } survivor)
            return CustomerMergeApi.PointTo(http, survivor, $"/api/customers/{survivor}/timeline");

        var take = limit ?? 50;
        // One more than asked tells whether an older page exists.
        var items = await merges.ListCustomerTimelineAsync(workspaceId, customerId, cursor, take + 1, ct);
        var page = items.Take(take).ToList();
        return TypedResults.Ok(new CustomerTimelinePage(page,
            items.Count > take ? new PageCursor(page[^1].Message.CreatedAt, page[^1].Message.Id).Encode() : null));
    }
}
