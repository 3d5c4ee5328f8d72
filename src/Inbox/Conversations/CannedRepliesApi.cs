using System.Security.Claims;
using Crm.Inbox.Storage;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Crm.Inbox.Conversations;

/// <summary>The workspace's shared canned replies: every agent can use, add and edit them; rendering fills the variables.</summary>
public static class CannedRepliesApi
{
    public sealed record CannedReplyRequest(string? Shortcut, string? Content);

    public sealed record RenderedReply(string Text);

    public static IEndpointRouteBuilder MapCannedRepliesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/canned-replies").RequireAuthorization().WithTags("Canned replies");
        api.MapGet("/", List);
        api.MapPost("/", Add);
        api.MapPatch("/{id:guid}", Update);
        api.MapDelete("/{id:guid}", Delete);
        app.MapPost("/api/conversations/{conversationId:guid}/canned-replies/{id:guid}/render", Render).RequireAuthorization().WithTags("Canned replies");
        return app;
    }

    /// <summary>All of them, or those whose shortcut starts with <paramref name="search"/> (what follows the agent's <c>/</c>).</summary>
    public static async Task<Ok<IReadOnlyList<CannedReply>>> List(ICannedReplyStore replies, ClaimsPrincipal user, string? search, CancellationToken ct)
        => TypedResults.Ok(await replies.ListCannedRepliesAsync(user.WorkspaceId(), search, ct));

    public static async Task<Results<Created<CannedReply>, ProblemHttpResult>> Add(CannedReplyRequest request, ICannedReplyStore replies,
        ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        if (CannedReplyTemplates.Problem(request.Shortcut, request.Content) is { } problem) return Invalid(problem);
        var reply = new CannedReply(Guid.CreateVersion7(), user.WorkspaceId(), request.Shortcut!, request.Content!, clock.GetUtcNow());
        return await replies.AddCannedReplyAsync(reply, ct) is { } added
            ? TypedResults.Created($"/api/canned-replies/{added.Id}", added)
            : ShortcutTaken(request.Shortcut!);
    }

    public static async Task<Results<Ok<CannedReply>, NotFound, ProblemHttpResult>> Update(Guid id, CannedReplyRequest request, ICannedReplyStore replies,
        ClaimsPrincipal user, CancellationToken ct)
    {
        if (CannedReplyTemplates.Problem(request.Shortcut, request.Content) is { } problem) return Invalid(problem);
        if (await replies.GetCannedReplyAsync(user.WorkspaceId(), id, ct) is null) return TypedResults.NotFound();
        return await replies.UpdateCannedReplyAsync(user.WorkspaceId(), id, request.Shortcut!, request.Content!, ct) is { } updated
            ? TypedResults.Ok(updated)
            : ShortcutTaken(request.Shortcut!);
    }

    public static async Task<Results<NoContent, NotFound>> Delete(Guid id, ICannedReplyStore replies, ClaimsPrincipal user, CancellationToken ct)
        => await replies.DeleteCannedReplyAsync(user.WorkspaceId(), id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>The canned reply's text for this conversation, variables filled; the agent edits and sends it as any reply.</summary>
    public static async Task<Results<Ok<RenderedReply>, NotFound>> Render(Guid conversationId, Guid id, ICannedReplyStore replies, IInboxStore store,
        ClaimsPrincipal user, CancellationToken ct)
    {
        if (await store.GetConversationAsync(conversationId, ct) is not { } conversation || conversation.WorkspaceId != user.WorkspaceId())
            return TypedResults.NotFound();
        if (await replies.GetCannedReplyAsync(user.WorkspaceId(), id, ct) is not { } reply) return TypedResults.NotFound();

        var text = await CannedReplyTemplates.RenderAsync(reply.Content,
            customer: new() { ["name"] = conversation.CustomerName, ["identity"] = conversation.CustomerIdentity },
            agent: new() { ["name"] = user.Identity?.Name, ["email"] = user.FindFirst(AgentClaims.Email)?.Value },
            business: new() { ["number"] = conversation.BusinessIdentity });
        return TypedResults.Ok(new RenderedReply(text));
    }

    private static ProblemHttpResult Invalid(string problem)
        => TypedResults.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");

    private static ProblemHttpResult ShortcutTaken(string shortcut)
        => TypedResults.Problem($"The workspace already has a canned reply /{shortcut}.", statusCode: StatusCodes.Status409Conflict, title: "Shortcut taken");
}
