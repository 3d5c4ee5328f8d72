using System.Security.Claims;
using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Assignment;
using Crm.Inbox.Apis;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Replies;

/// <summary>The template catalog of a conversation's channel connection; the host answers from the connectors (the inbox knows no connections).</summary>
public interface IConnectionTemplates
{
    Task<IReadOnlyList<MessageTemplate>> ForConnectionAsync(Guid workspaceId, Guid connectionId, CancellationToken ct);
}

/// <summary>
/// What may be sent to a customer now: free text inside the channel's reply window (<see cref="ReplyWindows"/>), a
/// template of the connection's catalog at any time. A free-text reply outside the window is refused here, up front,
/// with a 409 that names the window, rather than sent to fail at the provider.
/// </summary>
public static class ReplyWindowsApi
{
    public const int MaxVariableLength = 1024;

    public static IEndpointRouteBuilder MapReplyWindowsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations").RequireAuthorization().WithTags("Conversations").CountsAsActivity();
        api.MapGet("/{conversationId:guid}/reply-window", GetReplyWindow);
        api.MapGet("/{conversationId:guid}/templates", ListTemplates);
        api.MapPost("/{conversationId:guid}/templates", SendTemplate);
        return app;
    }

    /// <summary>
    /// The window as it stands for a human agent: whether free text can be sent, until when, with which tag (Messenger's
    /// HUMAN_AGENT past 24 h), how many replies are left (WeChat), or why not, in words. Channels without a window can always.
    /// </summary>
    public sealed record ReplyWindowView(string Channel, bool CanSendFreeText, DateTimeOffset? Until, string? Tag, string? Refusal, int? RepliesLeft,
        string? WindowName, DateTimeOffset? LastCustomerTurnAt);

    public static async Task<Results<Ok<ReplyWindowView>, NotFound>> GetReplyWindow(Guid conversationId, ClaimsPrincipal user, IInboxStore store,
        TimeProvider clock, CancellationToken ct)
    {
        if (await ConversationsApi.FindAsync(store, user, conversationId, ct) is not { } conversation) return TypedResults.NotFound();
        var (window, facts, state) = await EvaluateAsync(store, conversation, clock, ct);
        return TypedResults.Ok(new ReplyWindowView(conversation.Channel, state.CanSendFreeText, state.Until, state.Tag, state.Refusal, state.RepliesLeft,
            window?.Name, facts.LastCustomerTurnAt));
    }

    /// <summary>The conversation's window for a human agent's reply now (always open on a channel without one).</summary>
    public static async Task<(ReplyWindow? Window, ReplyWindowFacts Facts, ReplyWindowState State)> EvaluateAsync(IInboxStore store, Conversation conversation,
        TimeProvider clock, CancellationToken ct)
    {
        var window = ReplyWindows.For(conversation.Channel);
        var facts = await store.ReplyWindowFactsAsync(conversation.Id, ct);
        var state = facts.Unfollowed
            ? new ReplyWindowState(false, null, null, $"The customer unfollowed the {ReplyWindows.ChannelName(conversation.Channel)} account: nothing reaches them until they follow it again.")
            : window?.Evaluate(facts.LastCustomerTurnAt, facts.RepliesSince, clock.GetUtcNow(), byHumanAgent: true)
              ?? new ReplyWindowState(true, null, null, null);
        return (window, facts, state);
    }

    /// <summary>The 409 for free text outside the window; one log line says which conversation and window.</summary>
    public static ProblemHttpResult WindowClosed(ILogger logger, Conversation conversation, ReplyWindowState state)
    {
        logger.LogInformation("Refused a free-text reply in conversation {ConversationId}: {Reason}", conversation.Id, state.Refusal);
        return TypedResults.Problem(state.Refusal, statusCode: StatusCodes.Status409Conflict, title: "Reply window closed");
    }

    public sealed record TemplateList(IReadOnlyList<MessageTemplate> Templates);

    public static async Task<Results<Ok<TemplateList>, NotFound>> ListTemplates(Guid conversationId, ClaimsPrincipal user, IInboxStore store,
        IConnectionTemplates catalog, CancellationToken ct)
    {
        if (await ConversationsApi.FindAsync(store, user, conversationId, ct) is not { } conversation) return TypedResults.NotFound();
        return TypedResults.Ok(new TemplateList(conversation.ConnectionId is { } connectionId
            ? await catalog.ForConnectionAsync(conversation.WorkspaceId, connectionId, ct)
            : []));
    }

    public sealed record TemplateRequest(string? TemplateId, string? Language, Dictionary<string, string>? Variables);

    /// <summary>
    /// Sends a template of the conversation's connection with the agent's values, at any time (it is how a business
    /// writes first, or again after the window closed). Stored and dispatched like a reply; its text is what the customer reads.
    /// </summary>
    public static async Task<Results<Accepted<TimelineMessage>, NotFound, ValidationProblem, ProblemHttpResult>> SendTemplate(
        Guid conversationId, TemplateRequest request, HttpContext http, IInboxStore store, IConnectionTemplates catalog, IReplyOutbox outbox,
        AgentNotifier agents, ReplyDispatchSignal dispatcher, IOptions<ReplyOutboxOptions> options, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken ct)
    {
        if (await ConversationsApi.FindAsync(store, http.User, conversationId, ct) is not { } conversation) return TypedResults.NotFound();
        var logger = loggers.CreateLogger(typeof(ReplyWindowsApi));
        // Not even a template reaches a customer who unfollowed (WeChat answers 43004): say so now, not minutes later.
        var (_, facts, window) = await EvaluateAsync(store, conversation, clock, ct);
        if (facts.Unfollowed) return WindowClosed(logger, conversation, window);
        if (string.IsNullOrWhiteSpace(request.TemplateId))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["templateId"] = ["templateId is required."] });

        var templates = conversation.ConnectionId is { } connectionId ? await catalog.ForConnectionAsync(conversation.WorkspaceId, connectionId, ct) : [];
        var matches = templates.Where(t => t.Id == request.TemplateId && (request.Language is null || t.Language == request.Language)).ToList();
        if (matches.Count != 1)
        {
            logger.LogInformation("Refused template {TemplateId} ({Language}) in conversation {ConversationId}: {Count} catalog matches",
                request.TemplateId, request.Language, conversation.Id, matches.Count);
            return matches.Count == 0
                ? TypedResults.Problem("The conversation's channel connection has no such template (see its catalog).",
                    statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unknown template")
                : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["language"] = ["The template exists in several languages: say which."] });
        }

        var template = matches[0];
        var values = request.Variables ?? [];
        var errors = new Dictionary<string, string[]>();
        foreach (var missing in template.Missing(values)) errors[$"variables.{missing}"] = [$"A value for {{{{{missing}}}}} is required."];
        foreach (var (name, value) in values)
        {
            if (!template.Variables.Contains(name)) errors[$"variables.{name}"] = ["The template has no such variable."];
            else if (value.Length > MaxVariableLength || value.Any(c => c is '\n' or '\r' or '\t' || char.IsControl(c)))
                errors[$"variables.{name}"] = [$"At most {MaxVariableLength} characters, on one line (providers refuse line breaks and tabs in parameters)."];
        }
        if (errors.Count > 0)
        {
            logger.LogInformation("Refused template {TemplateId} in conversation {ConversationId}: {Fields}", template.Id, conversation.Id, string.Join(", ", errors.Keys));
            return TypedResults.ValidationProblem(errors);
        }

        var used = template.Variables.ToDictionary(name => name, name => values[name].Trim());
        var reply = ConversationsApi.NewReply(conversation, template.Render(used), http, clock) with
        {
            Template = new OutboundTemplate(template.Id, template.Language, used),
        };
        await outbox.AppendReplyAsync(reply, ConversationsApi.OutboundFor(conversation, reply, options.Value), ct);
        await ConversationsApi.AnnounceAsync(reply, store, agents, dispatcher, loggers);
        return TypedResults.Accepted($"/api/conversations/{conversation.Id}/messages", reply);
    }
}
