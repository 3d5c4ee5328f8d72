using System.Security.Claims;
using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Assignment;
using Crm.Inbox.Conversations;
using Crm.Inbox.Replies;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Apis;

public static class ConversationsApi
{
    public const int MaxPageSize = 200;

    /// <summary>WhatsApp's limit for one message body; longer replies are refused rather than cut.</summary>
    public const int MaxReplyLength = 1600;

    public static IEndpointRouteBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations").RequireAuthorization().WithTags("Conversations").CountsAsActivity();
        api.MapGet("/", ListConversations);
        api.MapGet("/{conversationId:guid}", GetConversation);
        api.MapGet("/{conversationId:guid}/messages", ListMessages);
        api.MapPost("/{conversationId:guid}/messages", PostReply);
        api.MapPost("/{conversationId:guid}/messages/{messageId:guid}/resend", ResendReply);
        api.MapPost("/{conversationId:guid}/status", ChangeStatus);
        api.MapPost("/{conversationId:guid}/priority", ChangePriority);
        api.MapPost("/{conversationId:guid}/notes", AddNote);
        api.MapPost("/{conversationId:guid}/read", MarkRead);
        api.MapPost("/{conversationId:guid}/labels", AddLabel);
        api.MapDelete("/{conversationId:guid}/labels/{labelId:guid}", RemoveLabel);
        return app;
    }

    /// <summary>A page of the conversation list; pass <see cref="NextCursor"/> as <c>cursor</c> for the next one (null at the end).</summary>
    public sealed record ConversationPage(IReadOnlyList<Conversation> Items, string? NextCursor)
    {
        /// <summary>Per conversation of the page: the caller's unread customer messages, counted up to <see cref="UnreadCap"/>.</summary>
        public IReadOnlyDictionary<Guid, int> Unread { get; init; } = new Dictionary<Guid, int>();
    }

    /// <summary>Beyond this an unread count reads "99+": counting further would read a long history for nothing.</summary>
    public const int UnreadCap = 100;

    /// <summary>
    /// The workspace's conversations, optionally only those with a <paramref name="status"/>, <paramref name="priority"/>,
    /// channel <paramref name="connection"/>, <paramref name="label"/>, <paramref name="team"/> or <paramref name="customer"/>, and whose
    /// <paramref name="assignee"/> is <c>me</c>, <c>unassigned</c> or an agent's id; <paramref name="sort"/> is
    /// <c>last-activity</c> (default), <c>longest-waiting</c> (customers waiting for an answer, longest first) or
    /// <c>queue</c> (open conversations nobody has, in the order they get an agent).
    /// </summary>
    public static async Task<Results<Ok<ConversationPage>, ProblemHttpResult>> ListConversations(
        IInboxStore store, ClaimsPrincipal user, string? cursor, int? limit, string? status, string? priority, Guid? connection, Guid? label,
        string? assignee, Guid? team, Guid? customer, string? sort, ILoggerFactory loggers, CancellationToken ct)
    {
        if (PageSizeProblem(limit) is { } problem) return problem;
        PageCursor? after = null;
        if (cursor is not null && !PageCursor.TryParse(cursor, out after)) return MalformedCursor(loggers, "cursor");
        if (status is not null && !ConversationStatuses.All.Contains(status))
            return InvalidParameter($"status must be one of {string.Join(", ", ConversationStatuses.All)}.");
        if (priority is not null && !ConversationPriorities.All.Contains(priority))
            return InvalidParameter($"priority must be one of {string.Join(", ", ConversationPriorities.All)}.");
        sort ??= ConversationSorts.LastActivity;
        if (!ConversationSorts.All.Contains(sort)) return InvalidParameter($"sort must be one of {string.Join(", ", ConversationSorts.All)}.");
        Guid? assigneeId = null;
        if (assignee is "me") assigneeId = user.AgentIdOf();
        else if (assignee is not (null or "unassigned"))
        {
            if (!Guid.TryParse(assignee, out var agentId)) return InvalidParameter("assignee must be me, unassigned or an agent's id.");
            assigneeId = agentId;
        }
        var filter = new ConversationListFilter(status, priority, connection, sort, label) { AssigneeId = assigneeId, Unassigned = assignee == "unassigned", TeamId = team, CustomerId = customer };
        var take = limit ?? 50;
        // One more than asked tells whether a next page exists, so the last page says so instead of leading to an empty one.
        var items = await store.ListConversationsAsync(user.WorkspaceId(), after, take + 1, filter, ct);
        var page = items.Take(take).ToList();
        var unread = await store.UnreadCountsAsync(user.AgentIdOf(), page.Select(c => c.Id).ToList(), UnreadCap, ct);
        if (items.Count <= take) return TypedResults.Ok(new ConversationPage(page, null) { Unread = unread });
        var last = page[^1];
        var at = sort switch
        {
            ConversationSorts.LongestWaiting => last.WaitingSince!.Value,
            ConversationSorts.Queue => last.QueuedAt!.Value,
            _ => last.LastMessageAt,
        };
        return TypedResults.Ok(new ConversationPage(page, new PageCursor(at, last.Id).Encode()) { Unread = unread });
    }

    public static async Task<Results<Ok<Conversation>, NotFound>> GetConversation(IInboxStore store, ClaimsPrincipal user, Guid conversationId, CancellationToken ct)
        => await FindAsync(store, user, conversationId, ct) is { } conversation ? TypedResults.Ok(conversation) : TypedResults.NotFound();

    /// <summary>The conversation if it is the caller's workspace's: another workspace's id is as unknown as a made-up one.</summary>
    internal static async Task<Conversation?> FindAsync(IInboxStore store, ClaimsPrincipal user, Guid conversationId, CancellationToken ct)
        => await store.GetConversationAsync(conversationId, ct) is { } conversation && conversation.WorkspaceId == user.WorkspaceId() ? conversation : null;

    /// <summary>A page of a timeline, oldest first; pass <see cref="OlderCursor"/> as <c>before</c> for the page above it.</summary>
    public sealed record MessagePage(IReadOnlyList<TimelineMessage> Items, string? OlderCursor);

    public static async Task<Results<Ok<MessagePage>, NotFound, ProblemHttpResult>> ListMessages(
        IInboxStore store, ClaimsPrincipal user, Guid conversationId, string? before, int? limit, ILoggerFactory loggers, CancellationToken ct)
    {
        if (PageSizeProblem(limit) is { } problem) return problem;
        PageCursor? cursor = null;
        if (before is not null && !PageCursor.TryParse(before, out cursor)) return MalformedCursor(loggers, "before");
        if (await FindAsync(store, user, conversationId, ct) is null) return TypedResults.NotFound();
        var take = limit ?? 50;
        // Oldest first: with one more than asked, an extra (oldest) message means there is a page above this one.
        var items = await store.ListMessagesAsync(conversationId, cursor, take + 1, ct);
        if (items.Count <= take) return TypedResults.Ok(new MessagePage(items, null));
        var page = items.Skip(1).ToList();
        return TypedResults.Ok(new MessagePage(page, new PageCursor(page[0].CreatedAt, page[0].Id).Encode()));
    }

    public sealed record ReplyRequest(string? Text);

    /// <summary>
    /// Stores the reply and its dispatch in one write and answers at once: the dispatcher hands it to the bus,
    /// so a bus that is down delays the reply (it stays <c>pending</c>) but never loses or falsely fails it.
    /// </summary>
    public static async Task<Results<Accepted<TimelineMessage>, NotFound, ProblemHttpResult>> PostReply(
        Guid conversationId, ReplyRequest request, HttpContext http, IInboxStore store, IReplyOutbox outbox, AgentNotifier agents,
        ReplyDispatchSignal dispatcher, IOptions<ReplyOutboxOptions> options, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var text = request.Text?.Trim();
        if (string.IsNullOrEmpty(text)) return InvalidParameter("text is required.");
        if (text.Length > MaxReplyLength) return InvalidParameter($"text is longer than {MaxReplyLength} characters.");
        if (await FindAsync(store, http.User, conversationId, ct) is not { } conversation) return TypedResults.NotFound();
        var (_, _, window) = await ReplyWindowsApi.EvaluateAsync(store, conversation, clock, ct);
        if (!window.CanSendFreeText) return ReplyWindowsApi.WindowClosed(loggers.CreateLogger(typeof(ConversationsApi)), conversation, window);

        var reply = NewReply(conversation, text, http, clock) with { Tag = window.Tag };
        await outbox.AppendReplyAsync(reply, OutboundFor(conversation, reply, options.Value), ct);
        await AnnounceAsync(reply, store, agents, dispatcher, loggers);
        return TypedResults.Accepted($"/api/conversations/{conversation.Id}/messages", reply);
    }

    /// <summary>
    /// Sends a reply that did not (or may not have) reached the customer again, as a new reply linked to it.
    /// Only the agent's explicit choice resends: "unknown-outcome" means the customer may already have it.
    /// </summary>
    public static async Task<Results<Accepted<TimelineMessage>, NotFound, ProblemHttpResult>> ResendReply(
        Guid conversationId, Guid messageId, HttpContext http, IInboxStore store, IReplyOutbox outbox, AgentNotifier agents,
        ReplyDispatchSignal dispatcher, IOptions<ReplyOutboxOptions> options, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await FindAsync(store, http.User, conversationId, ct) is not { } conversation) return TypedResults.NotFound();
        if (await store.GetMessageAsync(messageId, ct) is not { } original || original.ConversationId != conversationId) return TypedResults.NotFound();

        var logger = loggers.CreateLogger(typeof(ConversationsApi));
        if (original.Direction != Directions.Outbound || string.IsNullOrEmpty(original.Text))
            return Conflict(logger, messageId, "Only replies can be resent.");
        if (original.Status is not (MessageStatuses.Failed or MessageStatuses.Undelivered or MessageStatuses.UnknownOutcome))
            return Conflict(logger, messageId, $"This reply is {original.Status}; only failed, undelivered or unknown-outcome replies can be resent.");
        if (await outbox.FindResendAsync(messageId, ct) is { } earlier)
            return Conflict(logger, messageId, $"This reply was already resent as {earlier.Id}.");
        // A template goes out again as the same template; free text only inside the window.
        var (_, _, window) = await ReplyWindowsApi.EvaluateAsync(store, conversation, clock, ct);
        if (original.Template is null && !window.CanSendFreeText) return ReplyWindowsApi.WindowClosed(logger, conversation, window);

        var reply = NewReply(conversation, original.Text, http, clock) with
        {
            ResendOf = original.Id, Template = original.Template, Tag = original.Template is null ? window.Tag : null,
        };
        // Two agents (or a double click) racing past the check above: the store keeps one resend.
        if (!await outbox.AppendReplyAsync(reply, OutboundFor(conversation, reply, options.Value), ct))
            return Conflict(logger, messageId, "This reply was already resent.");
        await AnnounceAsync(reply, store, agents, dispatcher, loggers);
        return TypedResults.Accepted($"/api/conversations/{conversation.Id}/messages", reply);
    }

    public sealed record StatusRequest(string? Status, DateTimeOffset? SnoozedUntil);

    /// <summary>Open, pending (waiting on the customer), snoozed until a time, or resolved; recorded on the timeline.</summary>
    public static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> ChangeStatus(
        Guid conversationId, StatusRequest request, HttpContext http, IInboxStore store, AgentNotifier agents, AssignmentSignal assignment,
        TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (request.Status is not { } status || !ConversationStatuses.All.Contains(status))
            return InvalidParameter($"status must be one of {string.Join(", ", ConversationStatuses.All)}.");
        if (status == ConversationStatuses.Snoozed && (request.SnoozedUntil is not { } until || until <= now || until > now.AddYears(1)))
            return InvalidParameter("snoozedUntil must be a time in the coming year to snooze a conversation.");
        if (status != ConversationStatuses.Snoozed && request.SnoozedUntil is not null)
            return InvalidParameter("snoozedUntil only goes with status snoozed.");
        if (await FindAsync(store, http.User, conversationId, ct) is null) return TypedResults.NotFound();

        var changed = await store.ChangeConversationAsync(conversationId, status, request.SnoozedUntil, null, http.User.Identity?.Name, now, ct);
        // Resolved or snoozed: its agent has room for the next in the queue. Reopened: it may be in the queue itself.
        if (changed is { Entries.Count: > 0 }) assignment.Wake(changed.Conversation.WorkspaceId);
        return await ChangedAsync(changed, agents);
    }

    public sealed record PriorityRequest(string? Priority);

    public static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> ChangePriority(
        Guid conversationId, PriorityRequest request, HttpContext http, IInboxStore store, AgentNotifier agents, TimeProvider clock, CancellationToken ct)
    {
        if (request.Priority is not { } priority || !ConversationPriorities.All.Contains(priority))
            return InvalidParameter($"priority must be one of {string.Join(", ", ConversationPriorities.All)}.");
        if (await FindAsync(store, http.User, conversationId, ct) is null) return TypedResults.NotFound();

        var changed = await store.ChangeConversationAsync(conversationId, null, null, priority, http.User.Identity?.Name, clock.GetUtcNow(), ct);
        return await ChangedAsync(changed, agents);
    }

    /// <summary>Pushes what a change added (nothing when nothing changed) and answers with the conversation as it now is.</summary>
    private static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> ChangedAsync(ConversationChanged? changed, AgentNotifier agents)
    {
        if (changed is null) return TypedResults.NotFound();
        if (changed.Entries.Count > 0) await agents.MessagesAddedAsync(changed.Entries.Select(entry => new StoredInbound(entry, changed.Conversation)).ToList());
        return TypedResults.Ok(changed.Conversation);
    }

    public sealed record LabelRequest(Guid? LabelId);

    public static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> AddLabel(Guid conversationId, LabelRequest request,
        HttpContext http, IInboxStore store, ILabelStore labels, AgentNotifier agents, TimeProvider clock, CancellationToken ct)
    {
        if (request.LabelId is not { } labelId) return InvalidParameter("labelId is required.");
        return await LabelAsync(conversationId, labelId, add: true, http, store, labels, agents, clock, ct);
    }

    public static Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> RemoveLabel(Guid conversationId, Guid labelId,
        HttpContext http, IInboxStore store, ILabelStore labels, AgentNotifier agents, TimeProvider clock, CancellationToken ct)
        => LabelAsync(conversationId, labelId, add: false, http, store, labels, agents, clock, ct);

    private static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> LabelAsync(Guid conversationId, Guid labelId, bool add,
        HttpContext http, IInboxStore store, ILabelStore labels, AgentNotifier agents, TimeProvider clock, CancellationToken ct)
    {
        if (await FindAsync(store, http.User, conversationId, ct) is null) return TypedResults.NotFound();
        // Only the workspace's own labels: another workspace's label id is as unknown as a made-up one.
        if (await labels.GetLabelAsync(http.User.WorkspaceId(), labelId, ct) is not { } label)
            return TypedResults.Problem("No such label in this workspace.", statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unknown label");
        var changed = await store.LabelConversationAsync(conversationId, label, add, http.User.Identity?.Name, clock.GetUtcNow(), ct);
        return await ChangedAsync(changed, agents);
    }

    /// <summary>The caller has read the conversation up to now; their other tabs and devices hear it.</summary>
    public static async Task<Results<Ok<ConversationReadPush>, NotFound>> MarkRead(Guid conversationId, HttpContext http, IInboxStore store,
        AgentNotifier agents, TimeProvider clock, CancellationToken ct)
    {
        if (await FindAsync(store, http.User, conversationId, ct) is null) return TypedResults.NotFound();
        var agent = http.User.AgentIdOf();
        var push = new ConversationReadPush(conversationId, await store.MarkReadAsync(agent, conversationId, clock.GetUtcNow(), ct));
        await agents.ConversationReadAsync(agent, push);
        return TypedResults.Ok(push);
    }

    public const int MaxNoteLength = 4000;

    public sealed record NoteRequest(string? Text);

    /// <summary>
    /// A private note on the timeline: agents see it, the customer never does. <c>@ann</c> (an agent's email name, or
    /// their name without spaces) mentions an active agent of the workspace, who gets a <c>Mentioned</c> push.
    /// </summary>
    public static async Task<Results<Created<TimelineMessage>, NotFound, ProblemHttpResult>> AddNote(
        Guid conversationId, NoteRequest request, HttpContext http, IInboxStore store, IAgentStore agentStore, AgentNotifier agents,
        TimeProvider clock, CancellationToken ct)
    {
        var text = request.Text?.Trim();
        if (string.IsNullOrEmpty(text)) return InvalidParameter("text is required.");
        if (text.Length > MaxNoteLength) return InvalidParameter($"text is longer than {MaxNoteLength} characters.");
        if (await FindAsync(store, http.User, conversationId, ct) is not { } conversation) return TypedResults.NotFound();

        var mentions = Mentions.In(text, await agentStore.ListAsync(conversation.WorkspaceId, ct));
        var note = TimelineEntries.Note(conversation, text, http.User.Identity?.Name ?? "", clock.GetUtcNow(), mentions);
        await store.AppendMessageAsync(note, ct);
        await agents.MessagesAddedAsync([new StoredInbound(note, conversation)]);
        await agents.MentionedAsync(mentions.Where(id => id != http.User.AgentIdOf()), note);
        return TypedResults.Created($"/api/conversations/{conversation.Id}/messages", note);
    }

    internal static TimelineMessage NewReply(Conversation conversation, string text, HttpContext http, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return new TimelineMessage(TimelineIds.NewMessageId(), conversation.Id, conversation.CustomerId, conversation.Channel,
            Directions.Outbound, null, text, [], null, null, new Dictionary<string, string>(), MessageStatuses.Pending, null,
            http.User.Identity?.Name, now, now)
        {
            BusinessIdentity = conversation.BusinessIdentity,
            WorkspaceId = conversation.WorkspaceId,
        };
    }

    // From: the business number the conversation came in on; null (not recorded) means the connector's default.
    internal static OutboundReply OutboundFor(Conversation conversation, TimelineMessage reply, ReplyOutboxOptions settings)
        => new(conversation.CustomerIdentity, From: conversation.BusinessIdentity, NotAfter: reply.CreatedAt + settings.SendDeadline);

    /// <summary>Tells agents, then wakes the dispatcher. The reply is stored: a failed push must not fail the request.</summary>
    internal static async Task AnnounceAsync(TimelineMessage reply, IInboxStore store, AgentNotifier agents, ReplyDispatchSignal dispatcher, ILoggerFactory loggers)
    {
        try
        {
            await agents.MessageAddedAsync(reply, await store.GetConversationAsync(reply.ConversationId, CancellationToken.None));
        }
        catch (Exception error)
        {
            loggers.CreateLogger(typeof(ConversationsApi)).LogWarning(error, "Could not push new reply {MessageId} to agents", reply.Id);
        }
        dispatcher.Wake();
    }

    private static ProblemHttpResult Conflict(ILogger logger, Guid messageId, string detail)
    {
        logger.LogInformation("Resend of {MessageId} refused: {Reason}", messageId, detail);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Cannot resend this message");
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
