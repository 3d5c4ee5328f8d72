namespace Crm.Contracts;

/// <summary>
/// How long after a customer's last message the business may answer with free text, per channel. Outside it only
/// an approved template goes out (WhatsApp, WeChat), or on Messenger a human agent's reply tagged HUMAN_AGENT for
/// up to <see cref="ReplyWindow.HumanAgentFor"/>. Every side (the inbox refusing up front, the web app's composer,
/// automation, the connectors choosing a Messenger tag) reads these, so the rules live only here.
/// </summary>
public sealed record ReplyWindow(string Channel, TimeSpan OpenFor, int? MaxReplies, TimeSpan? HumanAgentFor)
{
    /// <summary>In words for an agent, e.g. "WhatsApp's 24-hour reply window".</summary>
    public string Name => $"{ReplyWindows.ChannelName(Channel)}'s {OpenFor.TotalHours:0}-hour reply window";

    /// <summary>
    /// Whether free text may be sent at <paramref name="now"/> to a customer whose last message was at
    /// <paramref name="lastInboundAt"/> (null: never wrote), after <paramref name="repliesSinceInbound"/> replies
    /// since then, by a human agent or by automation.
    /// </summary>
    public ReplyWindowState Evaluate(DateTimeOffset? lastInboundAt, int repliesSinceInbound, DateTimeOffset now, bool byHumanAgent)
    {
        if (lastInboundAt is not { } last) return new ReplyWindowState(false, null, null, $"The customer has not written yet: outside {Name} only a template can be sent.");
        var closesAt = last + OpenFor;
        var repliesLeft = MaxReplies is { } max ? Math.Max(0, max - repliesSinceInbound) : (int?)null;
        if (now < closesAt && repliesLeft is not 0) return new ReplyWindowState(true, closesAt, null, null) { RepliesLeft = repliesLeft };
        if (now < closesAt)
            return new ReplyWindowState(false, closesAt, null,
                $"{MaxReplies} replies have been sent since the customer's last message, the most {Name} allows until they write again.");
        if (byHumanAgent && HumanAgentFor is { } human && now < last + human)
            return new ReplyWindowState(true, last + human, MetaMessageTags.HumanAgent, null);
        return new ReplyWindowState(false, closesAt, null, $"{Name} closed at {closesAt:yyyy-MM-dd HH:mm} UTC: only a template can be sent now.");
    }
}

/// <summary>
/// The window as it stands: <see cref="CanSendFreeText"/> until <see cref="Until"/>; <see cref="Tag"/> is the
/// message tag the send needs (Messenger's HUMAN_AGENT past the standard window); <see cref="Refusal"/> says in words why not.
/// </summary>
public sealed record ReplyWindowState(bool CanSendFreeText, DateTimeOffset? Until, string? Tag, string? Refusal)
{
    /// <summary>On channels that count replies (WeChat), how many more may be sent before the customer writes again.</summary>
    public int? RepliesLeft { get; init; }
}

/// <summary>Meta's message tags that Crm uses; only a human agent's own reply may carry HUMAN_AGENT, never automation.</summary>
public static class MetaMessageTags
{
    public const string HumanAgent = "HUMAN_AGENT";
}

public static class ReplyWindows
{
    /// <summary>24 hours since the customer's last message; after that only templates.</summary>
    public static readonly ReplyWindow WhatsApp = new(Channels.WhatsApp, TimeSpan.FromHours(24), null, null);

    /// <summary>24 hours; a human agent may answer until 7 days with the HUMAN_AGENT tag.</summary>
    public static readonly ReplyWindow Messenger = new(Channels.Messenger, TimeSpan.FromHours(24), null, TimeSpan.FromDays(7));

    /// <summary>48 hours and at most 5 customer-service messages per customer message; after that template messages.</summary>
    public static readonly ReplyWindow WeChat = new(Channels.WeChat, TimeSpan.FromHours(48), 5, null);

    /// <summary>The channel's window; null for a channel without one.</summary>
    public static ReplyWindow? For(string channel) => channel switch
    {
        Channels.WhatsApp => WhatsApp,
        Channels.Messenger => Messenger,
        Channels.WeChat => WeChat,
        _ => null,
    };

    public static string ChannelName(string channel) => channel switch
    {
        Channels.WhatsApp => "WhatsApp",
        Channels.Messenger => "Messenger",
        Channels.WeChat => "WeChat",
        _ => channel,
    };
}
