using System.Security.Claims;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Conversations;

/// <summary>The workspace's labels: every agent lists them; owners and admins define them.</summary>
public static class LabelsApi
{
    public sealed record LabelRequest(string? Name, string? Color);

    public static IEndpointRouteBuilder MapLabelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/labels").RequireAuthorization().WithTags("Labels");
        api.MapGet("/", ListLabels);
        api.MapPost("/", AddLabel);
        api.MapPatch("/{labelId:guid}", UpdateLabel);
        api.MapDelete("/{labelId:guid}", DeleteLabel);
        return app;
    }

    public static async Task<Ok<IReadOnlyList<Label>>> ListLabels(ILabelStore labels, ClaimsPrincipal user, CancellationToken ct)
        => TypedResults.Ok(await labels.ListLabelsAsync(user.WorkspaceId(), ct));

    public static async Task<Results<Created<Label>, ProblemHttpResult>> AddLabel(LabelRequest request, ILabelStore labels, ClaimsPrincipal user,
        TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        if (Refusal(user, request, loggers) is { } refused) return refused;
        var label = new Label(Guid.CreateVersion7(), user.WorkspaceId(), request.Name!.Trim(), request.Color!, clock.GetUtcNow());
        return await labels.AddLabelAsync(label, ct) is { } added
            ? TypedResults.Created($"/api/labels/{added.Id}", added)
            : NameTaken(request.Name!);
    }

    public static async Task<Results<Ok<Label>, NotFound, ProblemHttpResult>> UpdateLabel(Guid labelId, LabelRequest request, ILabelStore labels,
        ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        if (Refusal(user, request, loggers) is { } refused) return refused;
        if (await labels.GetLabelAsync(user.WorkspaceId(), labelId, ct) is null) return TypedResults.NotFound();
        return await labels.UpdateLabelAsync(user.WorkspaceId(), labelId, request.Name!.Trim(), request.Color!, ct) is { } updated
            ? TypedResults.Ok(updated)
            : NameTaken(request.Name!);
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteLabel(Guid labelId, ILabelStore labels, ClaimsPrincipal user,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (Forbidden(user, loggers) is { } forbidden) return forbidden;
        return await labels.DeleteLabelAsync(user.WorkspaceId(), labelId, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static ProblemHttpResult? Refusal(ClaimsPrincipal user, LabelRequest request, ILoggerFactory loggers)
        => Forbidden(user, loggers)
           ?? (LabelRules.Problem(request.Name, request.Color) is { } problem
               ? TypedResults.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request")
               : null);

    private static ProblemHttpResult? Forbidden(ClaimsPrincipal user, ILoggerFactory loggers)
        => AdminOnly.Refusal(user, "labels", loggers.CreateLogger(typeof(LabelsApi)));

    private static ProblemHttpResult NameTaken(string name)
        => TypedResults.Problem($"The workspace already has a label named \"{name.Trim()}\".", statusCode: StatusCodes.Status409Conflict, title: "Name taken");
}
