using System.Security.Claims;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Customers;

/// <summary>
/// The workspace's custom customer attributes: every agent reads the definitions (to show and fill them in); owners and
/// admins define them. A key and a type never change once defined: stored values and saved segments name them.
/// </summary>
public static class CustomerAttributesApi
{
    /// <summary>A definition to add (all but <see cref="Position"/> required) or to change (key from the route; type may be left out).</summary>
    public sealed record DefinitionRequest(string? Key, string? Label, string? Type, IReadOnlyList<string?>? Options, int? Position);

    public static IEndpointRouteBuilder MapCustomerAttributesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/customer-attributes").RequireAuthorization().WithTags("Customer attributes");
        api.MapGet("/", ListDefinitions);
        api.MapPost("/", AddDefinition);
        api.MapPut("/{key}", ChangeDefinition);
        api.MapDelete("/{key}", DeleteDefinition);
        return app;
    }

    public static async Task<Ok<IReadOnlyList<CustomerAttributeDefinition>>> ListDefinitions(ICustomerAttributeDefinitionStore definitions, ClaimsPrincipal user,
        CancellationToken ct)
        => TypedResults.Ok(await definitions.ListAttributeDefinitionsAsync(user.WorkspaceId(), ct));

    public static async Task<Results<Created<CustomerAttributeDefinition>, ValidationProblem, ProblemHttpResult>> AddDefinition(DefinitionRequest request,
        ICustomerAttributeDefinitionStore definitions, ClaimsPrincipal user, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(CustomerAttributesApi));
        if (AdminOnly.Refusal(user, "customer attributes", logger) is { } forbidden) return forbidden;
        var options = Trimmed(request.Options);
        var problems = CustomerAttributeRules.DefinitionProblems(request.Key, request.Label, request.Type, options, request.Position);
        if (problems.Count > 0) return Invalid(logger, problems);

        var workspaceId = user.WorkspaceId();
        var existing = await definitions.ListAttributeDefinitionsAsync(workspaceId, ct);
        if (existing.Count >= CustomerAttributeRules.MaxDefinitions)
            return Conflict(logger, "Too many attributes", $"A workspace has at most {CustomerAttributeRules.MaxDefinitions} attributes.");
        var definition = new CustomerAttributeDefinition(Guid.CreateVersion7(), workspaceId, request.Key!, request.Label!.Trim(), request.Type!, options,
            request.Position ?? (existing.Count == 0 ? 0 : Math.Min(existing.Max(d => d.Position) + 1, CustomerAttributeRules.MaxPosition)), clock.GetUtcNow());
        return await definitions.AddAttributeDefinitionAsync(definition, ct) is { } added
            ? TypedResults.Created($"/api/customer-attributes/{added.Key}", added)
            : Conflict(logger, "Key taken", $"The workspace already has an attribute \"{request.Key}\".");
    }

    public static async Task<Results<Ok<CustomerAttributeDefinition>, NotFound, ValidationProblem, ProblemHttpResult>> ChangeDefinition(string key,
        DefinitionRequest request, ICustomerAttributeDefinitionStore definitions, ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(CustomerAttributesApi));
        if (AdminOnly.Refusal(user, "customer attributes", logger) is { } forbidden) return forbidden;
        var workspaceId = user.WorkspaceId();
        if (await definitions.GetAttributeDefinitionAsync(workspaceId, key, ct) is not { } current) return NotFound(logger, key);
        if (request.Type is not null && request.Type != current.Type)
            return Conflict(logger, "Type cannot change",
                $"\"{current.Key}\" is a {current.Type} attribute; customers' values and saved segments depend on it. Define a new attribute instead.");
        if (request.Key is not null && !string.Equals(request.Key, current.Key, StringComparison.OrdinalIgnoreCase))
            return Conflict(logger, "Key cannot change", $"\"{current.Key}\" names customers' values and saved segments. Define a new attribute instead.");
        var options = Trimmed(request.Options);
        var problems = CustomerAttributeRules.DefinitionProblems(current.Key, request.Label, current.Type, options, request.Position);
        if (problems.Count > 0) return Invalid(logger, problems);

        var result = await definitions.UpdateAttributeDefinitionAsync(workspaceId, current.Key, request.Label!.Trim(), options,
            request.Position ?? current.Position, ct);
        return result.Outcome switch
        {
            DefinitionChangeOutcome.Changed => TypedResults.Ok(result.Definition!),
            DefinitionChangeOutcome.InUse => InUse(logger, "Option in use", result.HeldBy,
                string.Join("; ", result.HeldBy.Select(h => $"{Customers(h.Value)} hold the option \"{h.Key}\"")) + ": change their value first."),
            _ => NotFound(logger, key),
        };
    }

    /// <summary>
    /// Refused (409, with how many customers) while customers have a value for it, rather than archived or deleted with the
    /// values: a deleted definition would leave values nobody can see or edit, and an archive is a second state every
    /// screen, import and segment would have to understand. Clearing the values first (a bulk action) is explicit.
    /// </summary>
    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteDefinition(string key, ICustomerAttributeDefinitionStore definitions,
        ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(CustomerAttributesApi));
        if (AdminOnly.Refusal(user, "customer attributes", logger) is { } forbidden) return forbidden;
        var result = await definitions.DeleteAttributeDefinitionAsync(user.WorkspaceId(), key, ct);
        return result.Outcome switch
        {
            DefinitionChangeOutcome.Changed => TypedResults.NoContent(),
            DefinitionChangeOutcome.InUse => InUse(logger, "Attribute in use", result.HeldBy,
                $"{Customers(result.HeldBy.Values.Single())} have a value for \"{result.Definition!.Key}\": clear it first."),
            _ => NotFound(logger, key),
        };
    }

    private static List<string> Trimmed(IReadOnlyList<string?>? options) => options?.Select(o => o?.Trim() ?? "").ToList() ?? [];

    internal static string Customers(long count) => count == 1 ? "1 customer" : $"{count} customers";

    /// <summary>409 naming what customers still hold: <c>heldBy</c> is value -> number of customers, for the screen to show.</summary>
    internal static ProblemHttpResult InUse(ILogger logger, string title, IReadOnlyDictionary<string, long> heldBy, string detail)
    {
        logger.LogInformation("Refused a change customers depend on: {Title} ({Held})", title, string.Join(", ", heldBy.Select(h => $"{h.Key}={h.Value}")));
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: title,
            extensions: new Dictionary<string, object?> { ["heldBy"] = heldBy });
    }

    private static ProblemHttpResult Conflict(ILogger logger, string title, string detail)
    {
        logger.LogInformation("Refused an attribute definition: {Title}", title);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: title);
    }

    private static ValidationProblem Invalid(ILogger logger, Dictionary<string, string[]> problems)
    {
        logger.LogInformation("Refused an attribute definition: invalid {Fields}", string.Join(", ", problems.Keys));
        return TypedResults.ValidationProblem(problems);
    }

    /// <summary>Another workspace's attribute is as unknown as a made-up key.</summary>
    private static NotFound NotFound(ILogger logger, string key)
    {
        logger.LogInformation("Attribute {Key} not found in the caller's workspace", key.Length > 60 ? key[..60] : key);
        return TypedResults.NotFound();
    }
}
