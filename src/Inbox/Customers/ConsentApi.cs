using System.Security.Claims;
using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Assignment;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Customers;

/// <summary>What agents record about a customer's consent per channel, and clearing an identity marked unreachable.</summary>
public static class ConsentApi
{
    public const int MaxNoteLength = 500;

    public static IEndpointRouteBuilder MapConsentApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/customers").RequireAuthorization().WithTags("Customers").CountsAsActivity();
        api.MapPut("/{customerId:guid}/consent/{channel}", SetConsent);
        api.MapDelete("/{customerId:guid}/identities/{channel}/{value}/unreachable", ClearUnreachable);
        return app;
    }

    /// <summary><see cref="State"/>: <c>opted-in</c> or <c>opted-out</c>; <see cref="Note"/>: why, in the agent's words (optional).</summary>
    public sealed record ConsentRequest(string? State, string? Note);

    /// <summary>
    /// The agent records the customer's choice for <paramref name="channel"/> (e.g. said on the phone). The same choice again
    /// changes nothing. The body is nullable so an empty one is a 400 naming the field, not a binding failure.
    /// </summary>
    public static async Task<Results<Ok<CustomersApi.CustomerDetails>, NotFound, ValidationProblem>> SetConsent(
        Guid customerId, string channel, ConsentRequest? request, ICustomerConsentStore consent, ICustomerProfileStore profiles, AgentNotifier notifier,
        ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var problems = new Dictionary<string, string[]>();
        if (!Channels.All.Contains(channel)) problems["channel"] = [$"channel must be one of {string.Join(", ", Channels.All)}."];
        if (!ConsentStates.IsKnown(request?.State)) problems["state"] = [$"state must be {ConsentStates.OptedIn} or {ConsentStates.OptedOut}."];
        var note = string.IsNullOrWhiteSpace(request?.Note) ? null : request.Note.Trim();
        if (note?.Length > MaxNoteLength) problems["note"] = [$"note is longer than {MaxNoteLength} characters."];
        if (problems.Count > 0)
        {
            loggers.CreateLogger(typeof(ConsentApi)).LogInformation("Refused a consent change for customer {CustomerId}: invalid {Fields}",
                customerId, string.Join(", ", problems.Keys));
            return TypedResults.ValidationProblem(problems);
        }

        if (await profiles.GetProfileAsync(user.WorkspaceId(), customerId, ct) is not { } before) return CustomersApi.NotFound(loggers, customerId);
        var result = await consent.SetConsentAsync(user.WorkspaceId(), customerId, channel,
            new ConsentChange(request!.State!, ConsentSources.Agent, note, user.AgentIdOf()), clock.GetUtcNow(), ct);
        return await AnswerAsync(result, before, notifier, clock, loggers);
    }

    /// <summary>The agent knows the identity works again (the customer unblocked the business, installed WhatsApp…).</summary>
    public static async Task<Results<Ok<CustomersApi.CustomerDetails>, NotFound, ValidationProblem>> ClearUnreachable(
        Guid customerId, string channel, string value, ICustomerConsentStore consent, ICustomerProfileStore profiles, AgentNotifier notifier,
        ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await profiles.GetProfileAsync(user.WorkspaceId(), customerId, ct) is not { } before) return CustomersApi.NotFound(loggers, customerId);
        var result = await consent.ClearUnreachableAsync(user.WorkspaceId(), customerId, new ChannelIdentity(channel, value), user.AgentIdOf(),
            clock.GetUtcNow(), ct);
        return await AnswerAsync(result, before, notifier, clock, loggers);
    }

    private static async Task<Results<Ok<CustomersApi.CustomerDetails>, NotFound, ValidationProblem>> AnswerAsync(ProfileUpdateResult result,
        CustomerProfile before, AgentNotifier notifier, TimeProvider clock, ILoggerFactory loggers)
    {
        if (result.Outcome == ProfileUpdateOutcome.NotFound)
        {
            loggers.CreateLogger(typeof(ConsentApi)).LogInformation("Customer {CustomerId} has no such identity", before.Id);
            return TypedResults.NotFound();
        }
        // Every change is a new version; a request that changed nothing has nothing to push.
        if (result.Profile!.Version != before.Version) await CustomersApi.AnnounceChangeAsync(notifier, result.Profile!, loggers);
        return TypedResults.Ok(CustomersApi.Details(result.Profile!, clock));
    }
}
