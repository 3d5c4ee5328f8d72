using Crm.Contracts;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Customers;

/// <summary>A customer's choice about being messaged on a channel. Values are stored, so never rename one.</summary>
public static class ConsentStates
{
    public const string OptedIn = "opted-in";
    public const string OptedOut = "opted-out";

    public static bool IsKnown(string? state) => state is OptedIn or OptedOut;
}

/// <summary>How a consent choice was recorded. Values are stored, so never rename one.</summary>
public static class ConsentSources
{
    /// <summary>The customer sent an opt-out or opt-in keyword (<see cref="ConsentKeywords"/>).</summary>
    public const string Keyword = "keyword";

    /// <summary>The channel reported it: a WeChat follow or unfollow.</summary>
    public const string ChannelEvent = "channel-event";

    /// <summary>An agent recorded it (what the customer said on the phone, in a shop…).</summary>
    public const string Agent = "agent";

    /// <summary>A CSV import carried it.</summary>
    public const string Import = "import";
}

/// <summary>
/// The recorded choice for one channel. No record means the customer never said: not opted out.
/// <see cref="Detail"/> says what exactly (the keyword sent, the event, an agent's note); <see cref="ChangedBy"/> is the agent, if any.
/// </summary>
public sealed record ChannelConsent(string Channel, string State, DateTimeOffset ChangedAt, string Source, string? Detail, Guid? ChangedBy);

/// <summary>A consent choice to record: what, how, and who (null: the customer or the system).</summary>
public sealed record ConsentChange(string State, string Source, string? Detail, Guid? ChangedBy = null);

/// <summary>
/// The words a customer sends, alone, to stop or restart messages. A whole message (trimmed, any case) must be the word:
/// "please stop the music" is a conversation, not an opt-out. The English words are the carrier convention every US
/// short code and Twilio's Advanced Opt-Out honour (CTIA guidelines), so customers already know them; 退订 (unsubscribe) and
/// TD (its pinyin initials) are what Chinese SMS rules (MIIT) require a business to accept, 订阅 their opposite.
/// Keep this the one list: the inbox and any campaign must agree on what an opt-out is.
/// </summary>
public static class ConsentKeywords
{
    public static readonly IReadOnlySet<string> OptOut = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "退订", "TD" };

    public static readonly IReadOnlySet<string> OptIn = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        { "START", "UNSTOP", "SUBSCRIBE", "订阅" };

    /// <summary>
    /// The consent an arrival records: a keyword as the whole text of the customer's own message, or a follow/unfollow
    /// event; null for anything else (including the business's own echoes: those are not the customer's words).
    /// </summary>
    public static ConsentChange? ChangeFrom(InboundMessageReceived inbound)
    {
        if (inbound.SentByBusiness) return null;
        if (inbound.Event is { } happened)
        {
            return happened.Kind switch
            {
                CustomerEventKinds.Unsubscribed => new ConsentChange(ConsentStates.OptedOut, ConsentSources.ChannelEvent, happened.Kind),
                CustomerEventKinds.Subscribed => new ConsentChange(ConsentStates.OptedIn, ConsentSources.ChannelEvent, happened.Kind),
                _ => null,
            };
        }
        var word = inbound.Text?.Trim();
        if (string.IsNullOrEmpty(word) || word.Length > 16) return null;
        if (OptOut.Contains(word)) return new ConsentChange(ConsentStates.OptedOut, ConsentSources.Keyword, word);
        if (OptIn.Contains(word)) return new ConsentChange(ConsentStates.OptedIn, ConsentSources.Keyword, word);
        return null;
    }

    /// <summary>The history field a channel's consent changes are audited under.</summary>
    public static string HistoryField(string channel) => "consent." + channel;

    /// <summary>The history field an identity's reachability changes are audited under.</summary>
    public static string ReachabilityField(string channel, string value) => $"reachability.{channel}:{value}";
}

/// <summary>
/// Consent per channel and reachability per identity, scoped by workspace. Behaviour has no writes here: the inbox keeps it
/// inside its own message writes (the inbound batch, the reply outbox). Every change is a new profile version with an
/// audit entry (<see cref="ConsentKeywords.HistoryField"/>, <see cref="ConsentKeywords.ReachabilityField"/>).
/// </summary>
public interface ICustomerConsentStore
{
    /// <summary>
    /// Records <paramref name="change"/> for <paramref name="channel"/> at <paramref name="at"/> (source agent or import;
    /// keywords and channel events are written by the inbound batch). A choice equal to the recorded one, or older than
    /// it, changes nothing (no version, no entry). NotFound when the workspace has no such customer.
    /// </summary>
    Task<ProfileUpdateResult> SetConsentAsync(Guid workspaceId, Guid customerId, string channel, ConsentChange change, DateTimeOffset at,
        CancellationToken ct = default);

    /// <summary>
    /// The identity the reply <paramref name="messageId"/> went to is unreachable for <paramref name="reason"/> (a permanent
    /// delivery failure). Idempotent; a failure older than the customer's last inbound on that channel changes nothing
    /// (they wrote since). True when it changed something.
    /// </summary>
    Task<bool> MarkUnreachableAsync(Guid messageId, string reason, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>An agent says the identity is reachable again. NotFound when the customer or the identity is not the workspace's.</summary>
    Task<ProfileUpdateResult> ClearUnreachableAsync(Guid workspaceId, Guid customerId, ChannelIdentity identity, Guid? changedBy, DateTimeOffset at,
        CancellationToken ct = default);

    /// <summary>
    /// Whether a bulk send (a campaign, a segment action) may message the customer on <paramref name="channel"/>: never when
    /// they opted out there, nor when none of their identities on it is reachable; no recorded choice is not an opt-out.
    /// One-to-one replies to a customer who wrote are not bulk and are not asked about here.
    /// </summary>
    Task<bool> MayMessageInBulkAsync(Guid workspaceId, Guid customerId, string channel, CancellationToken ct = default);
}
