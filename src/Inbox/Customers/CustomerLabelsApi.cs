using System.Security.Claims;
using Crm.Inbox.Assignment;
using Crm.Inbox.Conversations;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Customers;

/// <summary>
/// The workspace's labels (<c>/api/labels</c>, the same as conversations') on customers: any agent puts them on and takes
/// them off. Both are idempotent (PUT and DELETE of the same pair again change nothing) and answer with the profile.
/// </summary>
public static class CustomerLabelsApi
{
    public static IEndpointRouteBuilder MapCustomerLabelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/customers/{customerId:guid}/labels").RequireAuthorization().WithTags("Customers").CountsAsActivity();
        api.MapPut("/{labelId:guid}", AddLabel);
        api.MapDelete("/{labelId:guid}", RemoveLabel);
        return app;
    }

    public static Task<Results<Ok<CustomersApi.CustomerDetails>, NotFound>> AddLabel(Guid customerId, Guid labelId, ICustomerLabelStore customers,
        ILabelStore labels, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
        => LabelAsync(customerId, labelId, add: true, customers, labels, user, clock, loggers, ct);

    public static Task<Results<Ok<CustomersApi.CustomerDetails>, NotFound>> RemoveLabel(Guid customerId, Guid labelId, ICustomerLabelStore customers,
        ILabelStore labels, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
        => LabelAsync(customerId, labelId, add: false, customers, labels, user, clock, loggers, ct);

    private static async Task<Results<Ok<CustomersApi.CustomerDetails>, NotFound>> LabelAsync(Guid customerId, Guid labelId, bool add,
        ICustomerLabelStore customers, ILabelStore labels, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(CustomerLabelsApi));
        var workspaceId = user.WorkspaceId();
        // Only the workspace's own labels and customers: another workspace's id is as unknown as a made-up one.
        if (await labels.GetLabelAsync(workspaceId, labelId, ct) is not { } label)
        {
            logger.LogInformation("Label {LabelId} not found in the caller's workspace", labelId);
            return TypedResults.NotFound();
        }
        var result = await customers.LabelCustomerAsync(workspaceId, customerId, label, add, user.AgentIdOf(), clock.GetUtcNow(), ct);
        if (result.Outcome == ProfileUpdateOutcome.NotFound)
        {
            logger.LogInformation("Customer {CustomerId} not found in the caller's workspace", customerId);
            return TypedResults.NotFound();
        }
        return TypedResults.Ok(CustomersApi.Details(result.Profile!, clock));
    }
}
