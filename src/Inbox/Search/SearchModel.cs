using System.Text;
using System.Text.Json.Serialization;
using Crm.Inbox.Storage;

namespace Crm.Inbox.Search;

/// <summary>
/// One search result: the conversation it belongs to and, when message text matched, that message. A match on the
/// customer's name or identity has no message; its time is the conversation's last activity.
/// </summary>
public sealed record SearchHit(Guid ConversationId, string? CustomerName, string Channel, Guid? MessageId, string? Snippet, DateTimeOffset At)
{
    /// <summary>Where the next page starts: results sort by (time, id) descending, the id being the message's or else the conversation's.</summary>
    [JsonIgnore]
    public PageCursor Cursor => new(At, MessageId ?? ConversationId);

    /// <summary>Newest first, ties by id descending compared as the stores compare them (the id's text).</summary>
    public static int NewestFirst(SearchHit a, SearchHit b)
    {
        var byTime = b.At.CompareTo(a.At);
        return byTime != 0 ? byTime : string.CompareOrdinal(b.Cursor.Id.ToString(), a.Cursor.Id.ToString());
    }

    public static bool IsAfter(SearchHit hit, PageCursor? cursor)
        => cursor is not { } c || hit.At < c.At || (hit.At == c.At && string.CompareOrdinal(hit.Cursor.Id.ToString(), c.Id.ToString()) < 0);
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
