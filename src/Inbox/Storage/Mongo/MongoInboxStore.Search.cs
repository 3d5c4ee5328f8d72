using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Crm.Inbox.Search;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// Full-text search: a text index on message text (compound with the workspace, so a search reads only the
/// caller's workspace), and escaped case-insensitive regexes on the customer's name and identity for partial
/// matches such as part of a phone number. Mongo keeps the text index up to date with each write itself.
/// </summary>
public sealed partial class MongoInboxStore
{
    private Task InitializeSearchAsync(CancellationToken ct)
        => messages.Indexes.CreateOneAsync(new CreateIndexModel<MessageDocument>(
            Builders<MessageDocument>.IndexKeys.Ascending(m => m.WorkspaceId).Text(m => m.Text),
            // No stemming: terms match as typed (and diacritics and case are ignored by text index version 3).
            new CreateIndexOptions { Name = "tx_messages_workspace_text", DefaultLanguage = "none" }), cancellationToken: ct);

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(Guid workspaceId, SearchQuery query, PageCursor? after, int take, CancellationToken ct = default)
    {
        if (query.IsEmpty || take <= 0) return [];
        var hits = new List<SearchHit>();

        // Customers first, then messages newest stored first (by id: UUIDv7, so creation order to the millisecond, as
        // SQLite's rowid order). A cursor on a message of this workspace continues the messages after it; any other
        // cursor (a conversation's) the customers after it.
        var afterMessage = after is { } cursor
            && await messages.Find(MessageFilter.Eq(m => m.Id, cursor.Id) & MessageFilter.Eq(m => m.WorkspaceId, workspaceId)).Limit(1).AnyAsync(ct);

        var terms = query.Terms.Where(term => term.Length >= 3).ToList();
        if (!afterMessage && terms.Count > 0)
        {
            var conversationFilter = ConversationFilter.Eq(c => c.WorkspaceId, workspaceId);
            foreach (var term in terms)
            {
                var pattern = new BsonRegularExpression(AccentInsensitivePattern(term), "i");
                conversationFilter &= ConversationFilter.Regex(c => c.CustomerName, pattern) | ConversationFilter.Regex(c => c.CustomerIdentity, pattern);
            }
            if (after is { } c)
                conversationFilter &= ConversationFilter.Lt(d => d.LastMessageAtTicks, c.At.UtcTicks)
                    | (ConversationFilter.Eq(d => d.LastMessageAtTicks, c.At.UtcTicks) & ConversationFilter.Lt(d => d.Id, c.Id));
            var matches = await conversations.Find(conversationFilter)
                .SortByDescending(d => d.LastMessageAtTicks).ThenByDescending(d => d.Id).Limit(take).ToListAsync(ct);
            hits.AddRange(matches.Select(d => new SearchHit(d.Id, d.CustomerName, d.Channel, null, null, new DateTimeOffset(d.LastMessageAtTicks, TimeSpan.Zero))));
        }
        if (hits.Count >= take) return hits;

        // Each term quoted: all must be there (unquoted $text terms are OR-ed); terms hold only letters and digits.
        var search = string.Join(" ", query.Terms.Select(term => $"\"{term}\""));
        var messageFilter = MessageFilter.Eq(m => m.WorkspaceId, workspaceId)
            & MessageFilter.Text(search, new TextSearchOptions { CaseSensitive = false, DiacriticSensitive = false })
            & MessageFilter.Ne(m => m.Direction, Directions.Activity);
        if (afterMessage) messageFilter &= MessageFilter.Lt(m => m.Id, after!.Value.Id);
        var found = await messages.Find(messageFilter).SortByDescending(m => m.Id).Limit(take - hits.Count).ToListAsync(ct);
        var names = (await conversations.Find(ConversationFilter.In(c => c.Id, found.Select(m => m.ConversationId).Distinct()))
            .ToListAsync(ct)).ToDictionary(c => c.Id);
        foreach (var message in found)
        {
            names.TryGetValue(message.ConversationId, out var conversation);
            hits.Add(new SearchHit(message.ConversationId, conversation?.CustomerName, message.Channel, message.Id, Snippet(message.Text),
                new DateTimeOffset(message.CreatedAtTicks, TimeSpan.Zero)));
        }
        return hits;
    }

    /// <summary>Latin letters and the accented forms customers' names carry, so "zoe" finds "Zoë" (regexes know no collation).</summary>
    private static readonly Dictionary<char, string> AccentedForms = new()
    {
        ['a'] = "aàáâãäåā", ['c'] = "cçćč", ['e'] = "eèéêëēėęě", ['i'] = "iìíîïī", ['n'] = "nñń", ['o'] = "oòóôõöøō",
        ['u'] = "uùúûüū", ['y'] = "yýÿ", ['s'] = "sśš", ['z'] = "zźżž",
    };

    /// <summary>The term as a literal regex in which each letter also matches its accented forms (any case, with the "i" option).</summary>
    private static string AccentInsensitivePattern(string term)
    {
        var folded = new string(term.Normalize(NormalizationForm.FormD)
            .Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark).ToArray()).ToLowerInvariant();
        var pattern = new StringBuilder();
        foreach (var c in folded)
            pattern.Append(AccentedForms.TryGetValue(c, out var forms) ? $"[{forms}]" : Regex.Escape(c.ToString()));
        return pattern.ToString();
    }

    private const int SnippetLength = 120;

    private static string? Snippet(string? text)
        => text is null || text.Length <= SnippetLength ? text : text[..SnippetLength] + "…";
}
