using System.Text.Json;

namespace Crm.Inbox.Customers;

/// <summary>Which side's value a conflicting field keeps.</summary>
public static class MergeChoices
{
    public const string Survivor = "survivor";
    public const string Merged = "merged";

}

/// <summary>A field both customers have set, differently: the agent chooses which value stays.</summary>
public sealed record MergeConflict(string Field, string? Survivor, string? Merged);

/// <summary>Two threads on the same channel and business number: the merged customer's messages move into the survivor's.</summary>
public sealed record JoinedConversation(Guid From, Guid Into);

/// <summary>
/// One merge, as recorded: <see cref="MergedId"/> went into <see cref="SurvivorId"/>. <see cref="MergedBy"/> is the agent (null
/// for an automatic merge). The conversations that moved whole, and the threads that were joined, are listed for the hub push
/// and for undo.
/// </summary>
public sealed record CustomerMerge(Guid Id, Guid WorkspaceId, Guid SurvivorId, Guid MergedId, Guid? MergedBy, bool Automatic, DateTimeOffset MergedAt,
    IReadOnlyList<Guid> MovedConversationIds, IReadOnlyList<JoinedConversation> JoinedConversations)
{
    public DateTimeOffset? UndoneAt { get; init; }
    public Guid? UndoneBy { get; init; }
}

/// <summary>What a merge asks: both customers at the versions the agent saw, and a choice for every conflicting field.</summary>
public sealed record MergeRequest(Guid WorkspaceId, Guid SurvivorId, Guid MergedId, long SurvivorVersion, long MergedVersion,
    IReadOnlyDictionary<string, string> Choices, Guid? By, bool Automatic, DateTimeOffset Now);

public enum MergeOutcome
{
    Merged,

    /// <summary>The same merge was done before: nothing done again, <see cref="MergeResult.Merge"/> is that one.</summary>
    AlreadyMerged,

    NotFound,

    /// <summary>One of the two is merged into another customer already (or the survivor is): <see cref="MergeResult.Detail"/> says which.</summary>
    MergedAway,

    /// <summary>One of the two changed since the versions the agent saw.</summary>
    Stale,

    /// <summary>A conflicting field has no choice: <see cref="MergeResult.MissingChoices"/>.</summary>
    ChoicesMissing,
}

public sealed record MergeResult(MergeOutcome Outcome, CustomerMerge? Merge, string? Detail = null)
{
    public IReadOnlyList<MergeConflict> MissingChoices { get; init; } = [];
}

public enum UndoOutcome
{
    Undone,
    NotFound,

    /// <summary>Undo would not give back the customers as they were: <see cref="UndoResult.Reasons"/> says why.</summary>
    Refused,
}

public sealed record UndoResult(UndoOutcome Outcome, CustomerMerge? Merge, IReadOnlyList<string> Reasons);

/// <summary>One message of a customer's cross-channel timeline, with the conversation (channel, business number) it belongs to.</summary>
public sealed record CustomerTimelineItem(Guid ConversationId, string Channel, string? BusinessIdentity, Timelines.TimelineMessage Message);

/// <summary>Why two customers may be one person.</summary>
public static class MatchKinds
{
    /// <summary>Both have the same phone number, verified on both (a WhatsApp number counts as verified: WhatsApp proved it).</summary>
    public const string VerifiedPhone = "verified-phone";

    public const string VerifiedEmail = "verified-email";

    /// <summary>Two spellings of one WhatsApp number (Mexico +521/+52, Argentina +549/+54, Brazil's ninth digit).</summary>
    public const string WhatsAppVariant = "whatsapp-variant";
}

/// <summary>A reason: <see cref="Value"/> of the one customer matches <see cref="OtherValue"/> of the other.</summary>
public sealed record MatchReason(string Kind, string Value, string OtherValue);

/// <summary>Another customer that shares a match key with the one asked about.</summary>
public sealed record MergeCandidate(Guid CustomerId, IReadOnlyList<MatchReason> Reasons);

/// <summary>Two customers of the workspace that may be one person; <see cref="First"/> sorts before <see cref="Second"/>.</summary>
public sealed record MergePair(Guid First, Guid Second, IReadOnlyList<MatchReason> Reasons);

/// <summary>A phone or email a customer can be matched by: the number in canonical WhatsApp form, or the lowercase email.</summary>
public sealed record MatchKey(string Kind, string Value, string Raw, bool Verified, string Source)
{
    public const string Phone = "phone";
    public const string Email = "email";
    public const string FromIdentity = "identity";
    public const string FromProfile = "profile";
}

/// <summary>
/// The rules of a merge, kept out of the stores so both combine the same way: scalar fields set on one side only are
/// kept, set differently on both are the agent's choice; phones and emails are united (verified if either side verified);
/// custom attributes likewise, keyed <c>attribute.&lt;key&gt;</c> (as the history keys them).
/// </summary>
public static class CustomerMergeRules
{
    private static readonly string[] ListFields = ["phones", "emails"];

    /// <summary>Fields both customers have set to different values, in the profile's field order, then attributes by key.</summary>
    public static IReadOnlyList<MergeConflict> Conflicts(CustomerProfileFields survivor, CustomerProfileFields merged)
    {
        var theirs = merged.AsText();
        return survivor.AsText()
            .Where(f => !ListFields.Contains(f.Key) && f.Value is not null && theirs.GetValueOrDefault(f.Key) is { } other && other != f.Value)
            .Select(f => new MergeConflict(f.Key, f.Value, theirs[f.Key])).ToList();
    }

    /// <summary>The conflicts without a valid choice in <paramref name="choices"/>.</summary>
    public static IReadOnlyList<MergeConflict> Unchosen(IReadOnlyList<MergeConflict> conflicts, IReadOnlyDictionary<string, string> choices)
        => conflicts.Where(c => !choices.TryGetValue(c.Field, out var choice) || choice is not (MergeChoices.Survivor or MergeChoices.Merged)).ToList();

    /// <summary>The survivor's fields after the merge. Every conflict must have a choice (see <see cref="Unchosen"/>).</summary>
    public static CustomerProfileFields Combine(CustomerProfileFields survivor, CustomerProfileFields merged, IReadOnlyDictionary<string, string> choices)
    {
        bool TakeTheirs(string field) => choices.GetValueOrDefault(field) == MergeChoices.Merged;

        T Pick<T>(string field, T mine, T theirs)
        {
            if (mine is null) return theirs;
            if (theirs is null || EqualityComparer<T>.Default.Equals(mine, theirs)) return mine;
            return TakeTheirs(field) ? theirs : mine;
        }

        var attributes = new Dictionary<string, JsonElement>(survivor.Attributes);
        foreach (var (key, value) in merged.Attributes)
            if (!attributes.ContainsKey(key) || TakeTheirs(CustomerProfileFields.AttributeFieldPrefix + key)) attributes[key] = value;

        return new CustomerProfileFields
        {
            Name = Pick("name", survivor.Name, merged.Name),
            Language = Pick("language", survivor.Language, merged.Language),
            TimeZone = Pick("timeZone", survivor.TimeZone, merged.TimeZone),
            Birthday = Pick("birthday", survivor.Birthday, merged.Birthday),
            Company = Pick("company", survivor.Company, merged.Company),
            Notes = Pick("notes", survivor.Notes, merged.Notes),
            Phones = survivor.Phones.Concat(merged.Phones).GroupBy(p => p.Number, StringComparer.Ordinal)
                .Select(g => new ContactPhone(g.Key, g.Any(p => p.Verified))).ToList(),
            Emails = survivor.Emails.Concat(merged.Emails).GroupBy(e => e.Address, StringComparer.OrdinalIgnoreCase)
                .Select(g => new ContactEmail(g.First().Address, g.Any(e => e.Verified))).ToList(),
            LifecycleStage = Pick("lifecycleStage", survivor.LifecycleStage, merged.LifecycleStage),
            OwnerAgentId = Pick("ownerAgentId", survivor.OwnerAgentId, merged.OwnerAgentId),
            ValueTier = Pick("valueTier", survivor.ValueTier, merged.ValueTier),
            Attributes = attributes,
        };
    }

    /// <summary>The phones and emails a customer can be matched by, from its identities and profile.</summary>
    public static IReadOnlyList<MatchKey> MatchKeys(CustomerProfileFields fields, IEnumerable<Timelines.ChannelIdentity> identities)
    {
        var keys = new List<MatchKey>();
        foreach (var identity in identities)
        {
            // WhatsApp numbers are E.164 identities; business-scoped ids and addresses are not phones.
            if (identity.Channel == Crm.Contracts.Channels.WhatsApp && IsE164(identity.Value))
                keys.Add(new MatchKey(MatchKey.Phone, Crm.Contracts.WhatsAppPhoneVariants.Canonical(identity.Value), identity.Value, true, MatchKey.FromIdentity));
        }
        foreach (var phone in fields.Phones.Where(p => IsE164(p.Number)))
            keys.Add(new MatchKey(MatchKey.Phone, Crm.Contracts.WhatsAppPhoneVariants.Canonical(phone.Number), phone.Number, phone.Verified, MatchKey.FromProfile));
        foreach (var email in fields.Emails)
            keys.Add(new MatchKey(MatchKey.Email, email.Address.Trim().ToLowerInvariant(), email.Address.Trim().ToLowerInvariant(), email.Verified, MatchKey.FromProfile));
        // One row per kind, spelling and source: the same number twice in a profile is one key.
        return keys.GroupBy(k => (k.Kind, k.Raw, k.Source)).Select(g => g.OrderByDescending(k => k.Verified).First()).ToList();
    }

    /// <summary>
    /// Why two customers' keys match, if they do: the same verified phone or email exactly, or two spellings of one WhatsApp
    /// number. Two same but unverified phones are not a reason: anyone can type a number.
    /// </summary>
    public static IReadOnlyList<MatchReason> Reasons(IEnumerable<MatchKey> mine, IEnumerable<MatchKey> theirs)
    {
        var reasons = new List<MatchReason>();
        var other = theirs.ToList();
        foreach (var key in mine)
        {
            foreach (var candidate in other.Where(o => o.Kind == key.Kind && o.Value == key.Value))
            {
                var reason = key.Raw == candidate.Raw
                    ? key.Verified && candidate.Verified ? key.Kind == MatchKey.Email ? MatchKinds.VerifiedEmail : MatchKinds.VerifiedPhone : null
                    : key.Kind == MatchKey.Phone ? MatchKinds.WhatsAppVariant : null;
                if (reason is not null) reasons.Add(new MatchReason(reason, key.Raw, candidate.Raw));
            }
        }
        return reasons.Distinct().OrderBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.Value, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the reasons allow an automatic merge: an exact verified phone or email.</summary>
    public static bool AllowsAutomaticMerge(IEnumerable<MatchReason> reasons)
        => reasons.Any(r => r.Kind is MatchKinds.VerifiedPhone or MatchKinds.VerifiedEmail);

    private static bool IsE164(string value) => value.Length is > 3 and <= 16 && value[0] == '+' && !value.AsSpan(1).ContainsAnyExceptInRange('0', '9');

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>
/// Merging customers, undoing a merge, the cross-channel timeline and merge suggestions, scoped by workspace. A merge is one
/// transaction; the merged-away customer is kept (pointing at the survivor) and a journal of what moved makes undo exact.
/// </summary>
public interface ICustomerMergeStore
{
    /// <summary>
    /// Every message of every conversation of the customer, newest first, strictly before <paramref name="before"/>
    /// (created_at, id). Empty for another workspace's customer.
    /// </summary>
    Task<IReadOnlyList<CustomerTimelineItem>> ListCustomerTimelineAsync(Guid workspaceId, Guid customerId, Storage.PageCursor? before, int take,
        CancellationToken ct = default);

    /// <summary>The survivor a merged-away customer points at (null when it is not merged away, or unknown).</summary>
    Task<Guid?> GetMergedIntoAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default);

    /// <summary>Merges in one transaction, recording a journal; repeating a done merge returns it (<see cref="MergeOutcome.AlreadyMerged"/>).</summary>
    Task<MergeResult> MergeCustomersAsync(MergeRequest request, CancellationToken ct = default);

    /// <summary>
    /// Puts both customers back as they were before the merge, if that is still true: refused (with reasons) when the
    /// grace period is over, it was undone already, or either customer or a joined thread changed since.
    /// </summary>
    Task<UndoResult> UndoMergeAsync(Guid workspaceId, Guid mergeId, Guid? by, DateTimeOffset now, TimeSpan grace, CancellationToken ct = default);

    Task<CustomerMerge?> GetMergeAsync(Guid workspaceId, Guid mergeId, CancellationToken ct = default);

    /// <summary>The merges the customer took part in (as survivor or merged-away), newest first.</summary>
    Task<IReadOnlyList<CustomerMerge>> ListMergesAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default);

    /// <summary>The customer's match keys and those of every other (not merged-away) customer sharing one of them.</summary>
    Task<IReadOnlyList<(Guid CustomerId, IReadOnlyList<MatchKey> Keys)>> FindMatchKeysAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default);

    /// <summary>Match keys that at least two customers share, with their customers, by key after <paramref name="afterValue"/>.</summary>
    Task<IReadOnlyList<(string Kind, string Value, IReadOnlyList<(Guid CustomerId, MatchKey Key)> Holders)>> ListSharedMatchKeysAsync(Guid workspaceId,
        string? afterValue, int take, CancellationToken ct = default);

    Task<bool> GetAutoMergeAsync(Guid workspaceId, CancellationToken ct = default);

    Task SetAutoMergeAsync(Guid workspaceId, bool on, CancellationToken ct = default);
}
