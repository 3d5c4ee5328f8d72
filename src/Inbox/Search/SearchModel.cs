using System.Text;
using System.Text.Json.Serialization;
using Crm.Inbox.Storage;

namespace Crm.Inbox.Search;

/// <summary>
/// One search result: the conversation it belongs to and, when message text matched, that message. A match on the
/// customer's name or identity has no message; its time is the conversation's last activity.
/// Results list customer matches first (latest activity first), then message matches newest stored first: in the order
/// the store received them, which is what a keyset over the full-text index can stream without sorting every match.
/// Stored order is creation order to the millisecond, but not always <see cref="At"/> order: inbound messages carry
/// the provider's time, so one delivered late lists above newer-stamped ones stored before it.
/// </summary>
public sealed record SearchHit(Guid ConversationId, string? CustomerName, string Channel, Guid? MessageId, string? Snippet, DateTimeOffset At)
{
    /// <summary>
    /// Where the next page starts: after this message in stored order, or after this customer match in (time, id)
    /// descending order and then from the newest message. The store tells the two apart by the id.
    /// </summary>
    [JsonIgnore]
    public PageCursor Cursor => new(At, MessageId ?? ConversationId);
}

/// <summary>
/// What an agent typed, as literal terms: no character of it is ever read as query syntax by a store
/// (quotes, *, NEAR(, AND, regex characters are all just text).
/// </summary>
public sealed record SearchQuery(IReadOnlyList<string> Terms)
{
    public const int MaxLength = 200;

    /// <summary>Terms are runs of letters and digits; everything else separates them.</summary>
    public static SearchQuery Parse(string text)
    {
        var terms = new List<string>();
        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c)) current.Append(c);
            else if (current.Length > 0) { terms.Add(current.ToString()); current.Clear(); }
        }
        if (current.Length > 0) terms.Add(current.ToString());
        return new SearchQuery(terms);
    }

    public bool IsEmpty => Terms.Count == 0;
}
