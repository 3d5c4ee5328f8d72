using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Apis;

public static class ConversationsApi
{
    public const int MaxPageSize = 200;

    /// <summary>WhatsApp's limit for one message body; longer replies are refused rather than cut.</summary>
    public const int MaxReplyLength = 1600;

    public static IEndpointRouteBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations").RequireAuthorization().WithTags("Conversations");
        api.MapGet("/", ListConversations);
        api.MapGet("/{conversationId:guid}", GetConversation);
        api.MapGet("/{conversationId:guid}/messages", ListMessages);
        api.MapPost("/{conversationId:guid}/messages", PostReply);
        return app;
    }

    /// <summary>A page of the conversation list; pass <see cref="NextCursor"/> as <c>cursor</c> for the next one (null at the end).</summary>
    public sealed record ConversationPage(IReadOnlyList<Conversation> Items, string? NextCursor);

    public static async Task<Results<Ok<ConversationPage>, ProblemHttpResult>> ListConversations(
        IInboxStore store, string? cursor, int? limit, ILoggerFactory loggers, CancellationToken ct)
    {
        if (PageSizeProblem(limit) is { } problem) return problem;
        PageCursor? after = null;
        if (cursor is not null && !PageCursor.TryParse(cursor, out after)) return MalformedCursor(loggers, "cursor");
        var take = limit ?? 50;
        // One more than asked tells whether a next page exists, so the last page says so instead of leading to an empty one.
        var items = await store.ListConversationsAsync(after, take + 1, ct);
        if (items.Count <= take) return TypedResults.Ok(new ConversationPage(items, null));
        var page = items.Take(take).ToList();
        return TypedResults.Ok(new ConversationPage(page, new PageCursor(page[^1].LastMessageAt, page[^1].Id).Encode()));
    }

    public static async Task<Results<Ok<Conversation>, NotFound>> GetConversation(IInboxStore store, Guid conversationId, CancellationToken ct)
        => await store.GetConversationAsync(conversationId, ct) is { } conversation ? TypedResults.Ok(conversation) : TypedResults.NotFound();

    /// <summary>A page of a timeline, oldest first; pass <see cref="OlderCursor"/> as <c>before</c> for the page above it.</summary>
    public sealed record MessagePage(IReadOnlyList<TimelineMessage> Items, string? OlderCursor);

    public static async Task<Results<Ok<MessagePage>, NotFound, ProblemHttpResult>> ListMessages(
        IInboxStore store, Guid conversationId, string? before, int? limit, ILoggerFactory loggers, CancellationToken ct)
    {
        if (PageSizeProblem(limit) is { } problem) return problem;
        PageCursor? cursor = null;
        if (before is not null && !PageCursor.TryParse(before, out cursor)) return MalformedCursor(loggers, "before");
        if (await store.GetConversationAsync(conversationId, ct) is null) return TypedResults.NotFound();
        var take = limit ?? 50;
        // Oldest first: with one more than asked, an extra (oldest) message means there is a page above this one.
        var items = await store.ListMessagesAsync(conversationId, cursor, take + 1, ct);
        if (items.Count <= take) return TypedResults.Ok(new MessagePage(items, null));
        var page = items.Skip(1).ToList();
        return TypedResults.Ok(new MessagePage(page, new PageCursor(page[0].CreatedAt, page[0].Id).Encode()));
    }

    public sealed record ReplyRequest(string? Text);

    public static async Task<Results<Accepted<TimelineMessage>, NotFound, ProblemHttpResult>> PostReply(
        Guid conversationId, ReplyRequest request, HttpContext http, IInboxStore store, AgentNotifier agents,
        ISendEndpointProvider sendEndpoints, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var text = request.Text?.Trim();
        if (string.IsNullOrEmpty(text)) return InvalidParameter("text is required.");
        if (text.Length > MaxReplyLength) return InvalidParameter($"text is longer than {MaxReplyLength} characters.");
        if (await store.GetConversationAsync(conversationId, ct) is not { } conversation) return TypedResults.NotFound();

        var now = clock.GetUtcNow();
        var message = new TimelineMessage(NewId.NextGuid(), conversation.Id, conversation.CustomerId, conversation.Channel,
            Directions.Outbound, null, text, [], null, null, new Dictionary<string, string>(), MessageStatuses.Pending, null,
            http.User.Identity?.Name, now, now);
        await store.AppendMessageAsync(message, ct);
        await agents.MessageAddedAsync(message, await store.GetConversationAsync(conversation.Id, ct));

        try
        {
            var endpoint = await sendEndpoints.GetSendEndpoint(CommandQueues.For(conversation.Channel));
            await endpoint.Send(new SendOutboundMessage(message.Id, conversation.Id, conversation.Channel, conversation.CustomerIdentity, text,
                From: null, Attempt: 1, NotAfter: now.AddMinutes(10)), ct);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // The reply is kept on the timeline, marked failed, so the agent sees it did not go out and can resend.
            loggers.CreateLogger(typeof(ConversationsApi)).LogError(error, "Could not queue reply {MessageId}", message.Id);
            if (await store.ApplyStatusAsync(message.Id, MessageStatuses.Failed, "not-queued", null, clock.GetUtcNow(), CancellationToken.None) is { } failed)
                await agents.MessageStatusChangedAsync(failed);
            return TypedResults.Problem("The reply was saved but could not be queued for sending.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return TypedResults.Accepted($"/api/conversations/{conversation.Id}/messages", message);
    }

    private static ProblemHttpResult MalformedCursor(ILoggerFactory loggers, string parameter)
    {
        loggers.CreateLogger(typeof(ConversationsApi)).LogInformation("Refused a malformed {Parameter} cursor", parameter);
        return InvalidParameter($"{parameter} is not a cursor this API returned.");
    }

    private static ProblemHttpResult? PageSizeProblem(int? limit)
        => limit is < 1 or > MaxPageSize ? InvalidParameter($"limit must be between 1 and {MaxPageSize}.") : null;

    private static ProblemHttpResult InvalidParameter(string detail)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");
}
