using Crm.Contracts;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Customers;

/// <summary>
/// What the system keeps about a customer's contact with the business, overall and per channel: agents never write it.
/// Inbound counts what the customer sent (messages and the events that reach out: following, scanning a code, tapping a
/// menu, a referral), never the business's own echoes; outbound counts the replies stored to be sent and the business's
/// echoes from outside Crm. An outbound with an agent moves <see cref="LastOutboundAgentAt"/>, one without (automation, a
/// campaign) <see cref="LastOutboundAutomationAt"/>. Times only move forward; <see cref="FirstSeenAt"/> only back.
/// </summary>
public sealed record CustomerBehaviour(
    DateTimeOffset? FirstSeenAt,
    DateTimeOffset? LastInboundAt,
    DateTimeOffset? LastOutboundAgentAt,
    DateTimeOffset? LastOutboundAutomationAt,
    string? LastChannel,
    long InboundCount,
    long OutboundCount,
    IReadOnlyList<ChannelBehaviour> Channels)
{
    public static readonly CustomerBehaviour None = new(null, null, null, null, null, 0, 0, []);
}

/// <summary>The same figures as <see cref="CustomerBehaviour"/>, for one channel.</summary>
public sealed record ChannelBehaviour(
    string Channel,
    DateTimeOffset? FirstSeenAt,
    DateTimeOffset? LastInboundAt,
    DateTimeOffset? LastOutboundAgentAt,
    DateTimeOffset? LastOutboundAutomationAt,
    long InboundCount,
    long OutboundCount);

/// <summary>
/// One customer channel identity as the profile shows it: the connection it first wrote through, and whether messages still
/// reach it. <see cref="UnreachableAt"/> is set by a permanent delivery failure and cleared by the customer writing again or
/// by an agent; an identity is never deleted.
/// </summary>
public sealed record IdentityDetail(string Channel, string Value, Guid? ConnectionId, string? UnreachableReason, DateTimeOffset? UnreachableAt)
{
    public bool Reachable => UnreachableAt is null;
}

/// <summary>
/// The behaviour a batch of stored messages adds for one customer on one channel, gathered in memory so the store writes it
/// once per customer and channel per batch, not once per message.
/// </summary>
public sealed class ActivityDelta(Guid workspaceId, Guid customerId, string channel)
{
    public Guid WorkspaceId { get; } = workspaceId;
    public Guid CustomerId { get; } = customerId;
    public string Channel { get; } = channel;
    public DateTimeOffset? FirstSeenAt { get; private set; }
    public DateTimeOffset? LastInboundAt { get; private set; }
    public DateTimeOffset? LastOutboundAgentAt { get; private set; }
    public DateTimeOffset? LastOutboundAutomationAt { get; private set; }
    public long InboundCount { get; private set; }
    public long OutboundCount { get; private set; }

    /// <summary>A reply stored to be sent: by an agent when it has one, else by automation.</summary>
    public static ActivityDelta ForReply(TimelineMessage reply)
    {
        var delta = new ActivityDelta(reply.WorkspaceId, reply.CustomerId, reply.Channel);
        delta.Outbound(reply.CreatedAt, byAgent: reply.Agent is not null);
        return delta;
    }

    /// <summary>
    /// A stored arrival from the channel: the customer's turn is inbound, the business's echo outbound by a person, anything
    /// else (a reaction, an unfollow) only shows the customer seen.
    /// </summary>
    public void Arrived(InboundMessageReceived inbound)
    {
        if (inbound.SentByBusiness) Outbound(inbound.ReceivedAt, byAgent: true);
        else if (InboundTimeline.IsCustomerTurn(inbound)) Inbound(inbound.ReceivedAt);
        else Seen(inbound.ReceivedAt);
    }

    /// <summary>Anything that arrived from the channel for the customer (even an unfollow) shows them seen.</summary>
    public void Seen(DateTimeOffset at) => FirstSeenAt = Earliest(FirstSeenAt, at);

    public void Inbound(DateTimeOffset at)
    {
        Seen(at);
        LastInboundAt = Latest(LastInboundAt, at);
        InboundCount++;
    }

    public void Outbound(DateTimeOffset at, bool byAgent)
    {
        if (byAgent) LastOutboundAgentAt = Latest(LastOutboundAgentAt, at);
        else LastOutboundAutomationAt = Latest(LastOutboundAutomationAt, at);
        OutboundCount++;
    }

    private static DateTimeOffset Earliest(DateTimeOffset? current, DateTimeOffset at) => current is { } c && c <= at ? c : at;
    private static DateTimeOffset Latest(DateTimeOffset? current, DateTimeOffset at) => current is { } c && c >= at ? c : at;
}
