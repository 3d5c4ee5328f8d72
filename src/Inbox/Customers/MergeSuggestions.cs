using System.Buffers.Text;
using System.Security.Claims;
using System.Text;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Customers;

/// <summary>
/// Customers that may be one person: the same verified phone or email, or two spellings of one WhatsApp number (profile
/// phones and WhatsApp identities compared in the canonical form of <see cref="Crm.Contracts.WhatsAppPhoneVariants"/>).
/// Suggestions only: an agent merges. Automatic merges (<see cref="AfterProfileWriteAsync"/>) take exact verified matches only.
/// </summary>
public static class MergeSuggestions
{
    public sealed record Suggestion(CustomerProfile Customer, IReadOnlyList<MatchReason> Reasons);

    public sealed record SuggestionList(IReadOnlyList<Suggestion> Items);

    public sealed record PairSuggestion(CustomerProfile First, CustomerProfile Second, IReadOnlyList<MatchReason> Reasons);

    public sealed record PairPage(IReadOnlyList<PairSuggestion> Items, string? NextCursor);

    public static async Task<Results<Ok<SuggestionList>, NotFound>> ForCustomer(Guid customerId, ICustomerMergeStore merges, ICustomerProfileStore profiles,
        ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        var workspaceId = user.WorkspaceId();
        if (await profiles.GetProfileAsync(workspaceId, customerId, ct) is null)
        {
            loggers.CreateLogger(typeof(MergeSuggestions)).LogInformation("Customer {CustomerId} not found in the caller's workspace", customerId);
            return TypedResults.NotFound();
        }
        var items = new List<Suggestion>();
        foreach (var (id, reasons) in await CandidatesAsync(merges, workspaceId, customerId, ct))
            if (await profiles.GetProfileAsync(workspaceId, id, ct) is { } other) items.Add(new Suggestion(other, reasons));
        return TypedResults.Ok(new SuggestionList(items));
    }

    /// <summary>The workspace's likely duplicates, a page of shared phones and emails at a time (a pair sharing two shows once per page).</summary>
    public static async Task<Results<Ok<PairPage>, ProblemHttpResult>> ForWorkspace(string? cursor, int? limit, ICustomerMergeStore merges,
        ICustomerProfileStore profiles, ClaimsPrincipal user, ILoggerFactory loggers, CancellationToken ct)
    {
        string? after = null;
        if (limit is < 1 or > CustomersApi.MaxPageSize || (cursor is not null && (after = DecodeCursor(cursor)) is null))
        {
            loggers.CreateLogger(typeof(MergeSuggestions)).LogInformation("Refused a merge suggestion request: invalid {Parameter}", limit is < 1 or > CustomersApi.MaxPageSize ? "limit" : "cursor");
            return TypedResults.Problem($"limit must be between 1 and {CustomersApi.MaxPageSize}, cursor one this API returned.", statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid request");
        }
        var workspaceId = user.WorkspaceId();
        var take = limit ?? 50;
        var shared = await merges.ListSharedMatchKeysAsync(workspaceId, after, take + 1, ct);
        var pairs = new Dictionary<(Guid, Guid), List<MatchReason>>();
        foreach (var (_, _, holders) in shared.Take(take))
        {
            var byCustomer = holders.GroupBy(h => h.CustomerId).OrderBy(g => g.Key).ToList();
            for (var i = 0; i < byCustomer.Count; i++)
            for (var j = i + 1; j < byCustomer.Count; j++)
            {
                var reasons = CustomerMergeRules.Reasons(byCustomer[i].Select(h => h.Key), byCustomer[j].Select(h => h.Key));
                if (reasons.Count == 0) continue;
                var key = (byCustomer[i].Key, byCustomer[j].Key);
                if (!pairs.TryGetValue(key, out var list)) pairs[key] = list = [];
                list.AddRange(reasons.Except(list));
            }
        }
        var items = new List<PairSuggestion>();
        foreach (var ((first, second), reasons) in pairs)
        {
            if (await profiles.GetProfileAsync(workspaceId, first, ct) is { } a && await profiles.GetProfileAsync(workspaceId, second, ct) is { } b)
                items.Add(new PairSuggestion(a, b, reasons));
        }
        var next = shared.Count > take ? EncodeCursor(shared[take - 1].Kind + " " + shared[take - 1].Value) : null;
        return TypedResults.Ok(new PairPage(items, next));
    }

    /// <summary>
    /// When the workspace merges automatically: after a profile write, every other customer that now shares an exact verified
    /// phone or email the write added is merged with this one (the older survives). Returns the customer the profile now lives in.
    /// </summary>
    public static async Task<Guid> AfterProfileWriteAsync(CustomerMerging merging, ICustomerMergeStore merges, CustomerProfile before, CustomerProfile after,
        DateTimeOffset now, CancellationToken ct)
    {
        if (!await merges.GetAutoMergeAsync(after.WorkspaceId, ct)) return after.Id;
        var had = CustomerMergeRules.MatchKeys(before.Fields, before.Identities).Where(k => k.Verified).Select(k => (k.Kind, k.Raw)).ToHashSet();
        var added = CustomerMergeRules.MatchKeys(after.Fields, after.Identities).Where(k => k.Verified && !had.Contains((k.Kind, k.Raw))).Select(k => k.Raw).ToHashSet();
        if (added.Count == 0) return after.Id;

        var current = after.Id;
        foreach (var (other, reasons) in await CandidatesAsync(merges, after.WorkspaceId, after.Id, ct))
        {
            if (!CustomerMergeRules.AllowsAutomaticMerge(reasons.Where(r => added.Contains(r.Value)))) continue;
            if (await merging.MergeAutomaticallyAsync(after.WorkspaceId, current, other, now, ct) is { } merge) current = merge.SurvivorId;
        }
        return current;
    }

    private static async Task<IReadOnlyList<(Guid CustomerId, IReadOnlyList<MatchReason> Reasons)>> CandidatesAsync(ICustomerMergeStore merges, Guid workspaceId,
        Guid customerId, CancellationToken ct)
    {
        var keys = await merges.FindMatchKeysAsync(workspaceId, customerId, ct);
        var mine = keys.Where(k => k.CustomerId == customerId).SelectMany(k => k.Keys).ToList();
        return keys.Where(k => k.CustomerId != customerId)
            .Select(k => (k.CustomerId, CustomerMergeRules.Reasons(mine, k.Keys)))
            .Where(c => c.Item2.Count > 0).OrderBy(c => c.CustomerId).ToList();
    }

    private static string EncodeCursor(string key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key));

    private static string? DecodeCursor(string cursor)
    {
        if (cursor.Length > 1024) return null;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return null;
        }
    }
}
