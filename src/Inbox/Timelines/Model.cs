using Crm.Contracts;

namespace Crm.Inbox.Timelines;

/// <summary>How a customer is addressed on one channel: a phone number in E.164 for WhatsApp.</summary>
public record ChannelIdentity(string Channel, string Value);

public record Customer(Guid Id, string? DisplayName, IReadOnlyList<ChannelIdentity> Identities, DateTimeOffset CreatedAt)
{
    /// <summary>A customer belongs to one workspace: the same phone number writing to two workspaces is two customers.</summary>
    public Guid WorkspaceId { get; init; }
}

public static class ConversationStatuses
{
    public const string Open = "open";

    /// <summary>Waiting on the customer.</summary>
    public const string Pending = "pending";

    /// <summary>Out of the way until <see cref="Conversation.SnoozedUntil"/>, or until the customer writes.</summary>
    public const string Snoozed = "snoozed";

    public const string Resolved = "resolved";

    /// <summary>
    /// Emptied by a customer merge: its messages moved into the survivor's thread on the same channel and business number.
    /// Kept (undo gives it back) but in no list; not a status anyone sets.
    /// </summary>
    public const string Merged = "merged";

    public static readonly IReadOnlyList<string> All = [Open, Pending, Snoozed, Resolved];
}

public static class ConversationPriorities
{
    public const string None = "none";
    public const string Low = "low";
    public const string Medium = "medium";
    public const string High = "high";
    public const string Urgent = "urgent";

    public static readonly IReadOnlyList<string> All = [None, Low, Medium, High, Urgent];
}

/// <summary>
/// A thread with one customer on one channel, through one of the business's numbers.
/// <see cref="CustomerIdentity"/> is where replies go; <see cref="CustomerName"/> follows the customer's newest profile name.
/// </summary>
public record Conversation(
    Guid Id,
    Guid CustomerId,
    string Channel,
    string CustomerIdentity,
    string? CustomerName,
    string Status,
    Guid? AssigneeId,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastMessageAt,
    string? LastMessagePreview)
{
    /// <summary>
    /// The business's own address the customer wrote to (Twilio's <c>To</c>); a customer writing to two
    /// business numbers has two conversations. Null for conversations stored before it was recorded.
    /// </summary>
    public string? BusinessIdentity { get; init; }

    public Guid WorkspaceId { get; init; }

    /// <summary>The channel connection it came in on: replies go out through it. Null before connections were data.</summary>
    public Guid? ConnectionId { get; init; }

    public string Priority { get; init; } = ConversationPriorities.None;

    /// <summary>When a snoozed conversation opens again by itself; null unless snoozed.</summary>
    public DateTimeOffset? SnoozedUntil { get; init; }

    /// <summary>Since when the customer has been waiting for an answer: their first message since the last reply; null when answered.</summary>
    public DateTimeOffset? WaitingSince { get; init; }

    /// <summary>Ids of the workspace labels on it.</summary>
    public IReadOnlyList<Guid> Labels { get; init; } = [];

    /// <summary>The team its channel connection routes it to (or it was transferred to); null: the whole workspace.</summary>
    public Guid? TeamId { get; init; }

    /// <summary>When <see cref="AssigneeId"/> got it; null when nobody has it.</summary>
    public DateTimeOffset? AssignedAt { get; init; }

    /// <summary>
    /// Since when it has waited in its team's queue for an agent: set while it is open and nobody has it (to the
    /// customer's <see cref="WaitingSince"/> when that is earlier), null otherwise. The queue is served oldest first.
    /// </summary>
    public DateTimeOffset? QueuedAt { get; init; }

    /// <summary>The agent it was last taken from because they did not answer in time: it goes to someone else if anyone can take it.</summary>
    public Guid? ReturnedFrom { get; init; }
}

/// <summary>Which of a workspace's conversations a list shows, and in which order.</summary>
public sealed record ConversationListFilter(string? Status = null, string? Priority = null, Guid? ConnectionId = null,
    string Sort = ConversationSorts.LastActivity, Guid? LabelId = null)
{
    /// <summary>Only the conversations this agent has.</summary>
    public Guid? AssigneeId { get; init; }

    /// <summary>Only the conversations nobody has (any status; the queue is the open ones, <see cref="ConversationSorts.Queue"/>).</summary>
    public bool Unassigned { get; init; }

    public Guid? TeamId { get; init; }

    /// <summary>Only this customer's conversations (their other channels and business numbers).</summary>
    public Guid? CustomerId { get; init; }
}

public static class ConversationSorts
{
    /// <summary>Newest activity first; the cursor is (last message at, id).</summary>
    public const string LastActivity = "last-activity";

    /// <summary>Customers waiting for an answer, longest first; the cursor is (waiting since, id).</summary>
    public const string LongestWaiting = "longest-waiting";

    /// <summary>The queue: open conversations nobody has, in the order they get an agent (longest queued first); the cursor is (queued at, id).</summary>
    public const string Queue = "queue";

    public static readonly IReadOnlyList<string> All = [LastActivity, LongestWaiting, Queue];
}

/// <summary>
/// What changed on a conversation (a timeline activity entry): the kind, and the value before and after (names, as
/// agents read them then). <see cref="Reason"/> says why the system did it, e.g. <see cref="AssignmentReasons.AgentOffline"/>.
/// </summary>
public record ActivityEntry(string Kind, string? From, string? To)
{
    public string? Reason { get; init; }
}

public static class ActivityKinds
{
    public const string StatusChanged = "status-changed";
    public const string PriorityChanged = "priority-changed";
    public const string LabelAdded = "label-added";
    public const string LabelRemoved = "label-removed";

    /// <summary>An agent got a conversation nobody had (To: the agent); by the assignment engine when the actor is null.</summary>
    public const string Assigned = "assigned";

    /// <summary>From one agent to another.</summary>
    public const string Transferred = "transferred";

    /// <summary>Back to the queue (From: the agent who had it), with a <see cref="ActivityEntry.Reason"/> when the system did it.</summary>
    public const string Unassigned = "unassigned";

    /// <summary>To another team's queue (From/To: team names, null for the whole workspace).</summary>
    public const string TeamChanged = "team-changed";
}

/// <summary>Why the system took a conversation from an agent.</summary>
public static class AssignmentReasons
{
    /// <summary>The agent went offline (after the grace period) with the conversation open.</summary>
    public const string AgentOffline = "agent-offline";

    /// <summary>The customer waited longer than the team's reassignment time without an answer.</summary>
    public const string NoReply = "no-reply";

    public const string AgentDeactivated = "agent-deactivated";
}

/// <summary>A conversation after a change, with the timeline entries the change added (activity, notes).</summary>
public record ConversationChanged(Conversation Conversation, IReadOnlyList<TimelineMessage> Entries);

public static class Directions
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    /// <summary>A change to the conversation (status, priority…), with who made it: never sent to the customer.</summary>
    public const string Activity = "activity";

    /// <summary>A private note between agents: never sent to the customer.</summary>
    public const string Note = "note";

    /// <summary>Messages the customer sees; activity and notes do not move the conversation's last activity.</summary>
    public static bool IsConversation(string direction) => direction is Inbound or Outbound;
}

/// <summary>One entry of a customer's timeline, in either direction.</summary>
public record TimelineMessage(
    Guid Id,
    Guid ConversationId,
    Guid CustomerId,
    string Channel,
    string Direction,
    string? ChannelMessageId,
    string? Text,
    IReadOnlyList<MediaAttachment> Media,
    SharedLocation? Location,
    ButtonReply? Button,
    IReadOnlyDictionary<string, string> RawFields,
    string Status,
    string? ErrorCode,
    string? Agent,
    DateTimeOffset CreatedAt,
    DateTimeOffset StatusUpdatedAt)
{
    /// <summary>The business's address the message went to (inbound) or from; null when not recorded.</summary>
    public string? BusinessIdentity { get; init; }

    /// <summary>For a reply sent again by an agent: the failed (or unsure) reply it repeats.</summary>
    public Guid? ResendOf { get; init; }

    /// <summary>Its conversation's workspace, so a status change is pushed to that workspace's agents only.</summary>
    public Guid WorkspaceId { get; init; }

    /// <summary>For an <see cref="Directions.Activity"/> entry: what changed.</summary>
    public ActivityEntry? Activity { get; init; }

    /// <summary>For a note: the agents it @mentions (they are told).</summary>
    public IReadOnlyList<Guid> Mentions { get; init; } = [];

    /// <summary>For an inbound entry that is not a message: what the customer did (followed, tapped a menu, reacted…).</summary>
    public CustomerEvent? Event { get; init; }

    /// <summary>For a reply sent as a template of the connection's catalog: which, with what values (<see cref="Text"/> is its rendered words).</summary>
    public OutboundTemplate? Template { get; init; }

    /// <summary>The message tag the reply was sent with (Messenger's HUMAN_AGENT past the standard window).</summary>
    public string? Tag { get; init; }

    /// <summary>An outbound message the business sent from outside Crm (e.g. the Facebook page's own inbox), seen as an echo.</summary>
    public bool SentOutsideCrm { get; init; }

    /// <summary>A short line for conversation lists.</summary>
    public string Preview => Text is { Length: > 0 } text
        ? (text.Length <= 120 ? text : text[..120])
        : Media.Count > 0 ? "[media]"
        : Location is not null ? "[location]"
        : Button is not null ? Button.Text
        : Event is not null ? $"[{Event.Kind}]"
        : "";
}

/// <summary>The parts of a timeline entry that only some entries have, stored together as one JSON value.</summary>
public sealed record TimelineExtras(CustomerEvent? Event, OutboundTemplate? Template, string? Tag, bool SentOutsideCrm)
{
    public static TimelineExtras? Of(TimelineMessage message)
        => message.Event is null && message.Template is null && message.Tag is null && !message.SentOutsideCrm
            ? null
            : new TimelineExtras(message.Event, message.Template, message.Tag, message.SentOutsideCrm);

    public TimelineMessage ApplyTo(TimelineMessage message)
        => message with { Event = Event, Template = Template, Tag = Tag, SentOutsideCrm = SentOutsideCrm };
}

public static class TimelineExtrasReading
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The template of stored extras, if any.</summary>
    public static OutboundTemplate? TemplateOf(string json) => System.Text.Json.JsonSerializer.Deserialize<TimelineExtras>(json, Json)?.Template;

    /// <summary>The message with the extras stored as <paramref name="json"/> (null: none).</summary>
    public static TimelineMessage WithExtras(this TimelineMessage message, string? json)
        => json is null ? message : System.Text.Json.JsonSerializer.Deserialize<TimelineExtras>(json, Json)?.ApplyTo(message) ?? message;
}

/// <summary>An inbound message the store kept, with its conversation as it stood once the whole batch was stored.</summary>
public record StoredInbound(TimelineMessage Message, Conversation Conversation);

public static class InboundTimeline
{
    /// <summary>
    /// The workspaces where the batch put a conversation in the queue: opened by one of its messages, or reopened by one
    /// (the reopening is an activity entry of the batch). A message to a conversation that already waits changes nothing
    /// the assignment engine decides by, so it need not be woken for it: on a busy queue that is almost every message.
    /// </summary>
    public static IEnumerable<Guid> WorkspacesWhoseQueueGrew(IReadOnlyList<StoredInbound> stored)
        => stored.Where(entry => entry.Conversation.QueuedAt is not null
                                 && (entry.Message.Direction == Directions.Activity || entry.Conversation.CreatedAt == entry.Message.CreatedAt))
            .Select(entry => entry.Conversation.WorkspaceId)
            .Distinct();

    /// <summary>The conversation a customer's first message on a channel and business address opens: in the queue of its connection's team.</summary>
    public static Conversation NewConversation(InboundMessageReceived inbound, Guid customerId, string? customerName)
        => ConversationLifecycle.Queue(new Conversation(Guid.NewGuid(), customerId, inbound.Channel, inbound.CustomerIdentity, customerName,
            ConversationStatuses.Open, null, inbound.ReceivedAt, inbound.ReceivedAt, null)
        {
            BusinessIdentity = inbound.BusinessIdentity,
            WorkspaceId = inbound.WorkspaceId,
            ConnectionId = inbound.ConnectionId,
            TeamId = inbound.RoutingTeamId,
        }, inbound.ReceivedAt);

    /// <summary>
    /// The timeline entry for an inbound message, stamped with the time it arrived, not now: a conversation
    /// opened after the message's timestamp would look newer than its own first message.
    /// </summary>
    public static TimelineMessage ToTimelineMessage(InboundMessageReceived inbound, Guid id, Guid conversationId, Guid customerId) => new(
        Id: id,
        ConversationId: conversationId,
        CustomerId: customerId,
        Channel: inbound.Channel,
        Direction: inbound.SentByBusiness ? Directions.Outbound : Directions.Inbound,
        ChannelMessageId: inbound.ChannelMessageId,
        Text: inbound.Text,
        Media: inbound.Media,
        Location: inbound.Location,
        Button: inbound.Button,
        RawFields: inbound.RawFields,
        Status: inbound.SentByBusiness ? MessageStatuses.Sent : MessageStatuses.Received,
        ErrorCode: null,
        Agent: null,
        CreatedAt: inbound.ReceivedAt,
        StatusUpdatedAt: inbound.ReceivedAt)
    {
        BusinessIdentity = inbound.BusinessIdentity,
        Event = inbound.Event,
        SentOutsideCrm = inbound.SentByBusiness,
    };

    /// <summary>
    /// Whether the customer took a turn that wants an answer: a message, or an event that opens the reply window
    /// (following, scanning a code, tapping a menu, arriving from a referral). Such an arrival reopens the conversation and
    /// makes the customer wait; a reaction, an unfollow or the business's own message sent elsewhere does neither.
    /// </summary>
    public static bool IsCustomerTurn(InboundMessageReceived inbound)
        => !inbound.SentByBusiness && (inbound.Event is null || CustomerEventKinds.OpensReplyWindow(inbound.Event.Kind));
}

public static class TimelineIds
{
    /// <summary>
    /// A message id that sorts by creation time as text and as bytes (UUID version 7), so each new message lands at
    /// the end of the id index instead of on a random page: one index page written per batch, not one per message.
    /// </summary>
    public static Guid NewMessageId() => Guid.CreateVersion7();
}

/// <summary>Timeline entries that are not messages: what agents and the system did, and agents' private notes.</summary>
public static class TimelineEntries
{
    public static TimelineMessage Activity(Conversation conversation, ActivityEntry activity, string? actor, DateTimeOffset at)
        => Entry(conversation, Directions.Activity, null, actor, at) with { Activity = activity };

    public static TimelineMessage Note(Conversation conversation, string text, string actor, DateTimeOffset at, IReadOnlyList<Guid>? mentions = null)
        => Entry(conversation, Directions.Note, text, actor, at) with { Mentions = mentions ?? [] };

    private static TimelineMessage Entry(Conversation conversation, string direction, string? text, string? actor, DateTimeOffset at) => new(
        TimelineIds.NewMessageId(), conversation.Id, conversation.CustomerId, conversation.Channel, direction, null, text, [], null, null,
        new Dictionary<string, string>(), MessageStatuses.Received, null, actor, at, at)
    {
        BusinessIdentity = conversation.BusinessIdentity,
        WorkspaceId = conversation.WorkspaceId,
    };
}
