using System.Security.Claims;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Customers;

/// <summary>The workspace's lifecycle stages, in order: every agent reads them (to pick one); owners and admins set them.</summary>
public static class LifecycleStagesApi
{
    public sealed record StagesBody(IReadOnlyList<string?>? Stages);

    public static IEndpointRouteBuilder MapLifecycleStagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/customer-lifecycle-stages").RequireAuthorization().WithTags("Customer attributes");
        api.MapGet("/", GetStages);
        api.MapPut("/", SetStages);
        return app;
    }

    public static async Task<Ok<StagesBody>> GetStages(ILifecycleStageStore stages, ClaimsPrincipal user, CancellationToken ct)
        => TypedResults.Ok(new StagesBody(await stages.GetLifecycleStagesAsync(user.WorkspaceId(), ct)));

    /// <summary>
    /// Replaces the list. Dropping a stage customers are in is refused (409, with how many), not applied with their stage
    /// left dangling or cleared: moving them elsewhere first is the agent's decision, not a side effect.
    /// </summary>
    public static async Task<Results<Ok<StagesBody>, ValidationProblem, ProblemHttpResult>> SetStages(StagesBody body, ILifecycleStageStore stages,
        ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(LifecycleStagesApi));
        if (AdminOnly.Refusal(user, "lifecycle stages", logger) is { } forbidden) return forbidden;
        var (list, problem) = CustomerAttributeRules.Stages(body.Stages);
        if (list is null)
        {
            logger.LogInformation("Refused lifecycle stages: {Problem}", problem);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["stages"] = [problem!] });
        }
        var change = await stages.SetLifecycleStagesAsync(user.WorkspaceId(), list, clock.GetUtcNow(), ct);
        return change.Changed
            ? TypedResults.Ok(new StagesBody(change.Stages))
            : CustomerAttributesApi.InUse(logger, "Stage in use", change.HeldBy,
                string.Join("; ", change.HeldBy.Select(h => $"{CustomerAttributesApi.Customers(h.Value)} are in \"{h.Key}\"")) + ": move them first.");
    }
}
