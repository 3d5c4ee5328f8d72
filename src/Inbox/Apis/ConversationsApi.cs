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

    public static async Task<Results<Ok<IReadOnlyList<Conversation>>, ProblemHttpResult>> ListConversations(
        IInboxStore store, int? skip, int? limit, CancellationToken ct)
    {
        if (skip < 0) return InvalidParameter("skip must not be negative.");
        if (PageSizeProblem(limit) is { } problem) return problem;
        return TypedResults.Ok(await store.ListConversationsAsync(skip ?? 0, limit ?? 50, ct));
    }

    public static async Task<Results<Ok<Conversation>, NotFound>> GetConversation(IInboxStore store, Guid conversationId, CancellationToken ct)
        => await store.GetConversationAsync(conversationId, ct) is { } conversation ? TypedResults.Ok(conversation) : TypedResults.NotFound();

    /// <summary>A page of a timeline, oldest first; pass <see cref="OlderCursor"/> as <c>before</c> for the page above it.</summary>
    public sealed record MessagePage(IReadOnlyList<TimelineMessage> Items, Guid? OlderCursor);

    public static async Task<Results<Ok<MessagePage>, NotFound, ProblemHttpResult>> ListMessages(
        IInboxStore store, Guid conversationId, Guid? before, int? limit, CancellationToken ct)
    {
        if (PageSizeProblem(limit) is { } problem) return problem;
        if (await store.GetConversationAsync(conversationId, ct) is null) return TypedResults.NotFound();
        var take = limit ?? 50;
        var items = await store.ListMessagesAsync(conversationId, before, take, ct);
        return TypedResults.Ok(new MessagePage(items, items.Count == take ? items[0].Id : null));
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

    private static ProblemHttpResult? PageSizeProblem(int? limit)
        => limit is < 1 or > MaxPageSize ? InvalidParameter($"limit must be between 1 and {MaxPageSize}.") : null;

    private static ProblemHttpResult InvalidParameter(string detail)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");
}
