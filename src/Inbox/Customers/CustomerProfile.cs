using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Customers;

/// <summary>A phone number in E.164, and whether the business has confirmed it belongs to the customer.</summary>
public sealed record ContactPhone(string Number, bool Verified);

/// <summary>An email address, and whether the business has confirmed it belongs to the customer.</summary>
public sealed record ContactEmail(string Address, bool Verified);

/// <summary>
/// What agents keep about a customer. <see cref="Name"/> is the customer's display name (the same one the channels set).
/// The birthday is kept, never the age: an age stored once is wrong a year later.
/// </summary>
public sealed record CustomerProfileFields
{
    public string? Name { get; init; }

    /// <summary>A BCP-47 tag, e.g. <c>zh-Hans-CN</c>.</summary>
    public string? Language { get; init; }

    /// <summary>An IANA time zone id, e.g. <c>Asia/Shanghai</c>.</summary>
    public string? TimeZone { get; init; }

    public DateOnly? Birthday { get; init; }
    public string? Company { get; init; }
    public string? Notes { get; init; }
    public IReadOnlyList<ContactPhone> Phones { get; init; } = [];
    public IReadOnlyList<ContactEmail> Emails { get; init; } = [];

    /// <summary>One of the workspace's stages (<see cref="ILifecycleStageStore"/>), in its spelling.</summary>
    public string? LifecycleStage { get; init; }

    public Guid? OwnerAgentId { get; init; }
    public string? ValueTier { get; init; }

    /// <summary>
    /// The workspace's custom attributes this customer has a value for (<see cref="CustomerAttributeDefinition"/> key -> value):
    /// text, url and choice a string, number a number, date a "yyyy-MM-dd" string, boolean true/false, multi-choice an array
    /// of strings. A key without a value is absent, never null.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> Attributes { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The prefix of an attribute's field in the history: <c>attribute.plan</c>.</summary>
    public const string AttributeFieldPrefix = "attribute.";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Each field's value as one comparable text (lists as JSON), null when empty: what the history shows. Attributes follow
    /// the fixed fields, one <c>attribute.{key}</c> each, by key.
    /// </summary>
    public IReadOnlyDictionary<string, string?> AsText()
    {
        var text = FixedFieldsAsText();
        foreach (var (key, value) in Attributes.OrderBy(a => a.Key, StringComparer.Ordinal)) text[AttributeFieldPrefix + key] = AttributeText(value);
        return text;
    }

    /// <summary>An attribute value as the history shows it: a string as itself, anything else as JSON.</summary>
    public static string? AttributeText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => value.GetString(),
        _ => value.GetRawText(),
    };

    private Dictionary<string, string?> FixedFieldsAsText() => new()
    {
        ["name"] = Name,
        ["language"] = Language,
        ["timeZone"] = TimeZone,
        ["birthday"] = Birthday?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        ["company"] = Company,
        ["notes"] = Notes,
        ["phones"] = Phones.Count == 0 ? null : JsonSerializer.Serialize(Phones, Json),
        ["emails"] = Emails.Count == 0 ? null : JsonSerializer.Serialize(Emails, Json),
        ["lifecycleStage"] = LifecycleStage,
        ["ownerAgentId"] = OwnerAgentId?.ToString(),
        ["valueTier"] = ValueTier,
    };

    /// <summary>The fields that differ from <paramref name="before"/>, in a fixed order (an attribute cleared since is a change to null).</summary>
    public IReadOnlyList<(string Field, string? From, string? To)> ChangesFrom(CustomerProfileFields before)
    {
        var old = before.AsText();
        var now = AsText();
        var cleared = old.Keys.Where(k => !now.ContainsKey(k)).Select(k => (Field: k, From: old[k], To: (string?)null));
        return now.Where(f => old.GetValueOrDefault(f.Key) != f.Value).Select(f => (Field: f.Key, From: old.GetValueOrDefault(f.Key), To: f.Value))
            .Concat(cleared)
            .OrderBy(c => c.Field.StartsWith(AttributeFieldPrefix, StringComparison.Ordinal) ? 1 : 0)
            .ThenBy(c => c.Field.StartsWith(AttributeFieldPrefix, StringComparison.Ordinal) ? c.Field : "", StringComparer.Ordinal)
            .ToList();
    }
}

/// <summary>
/// One customer of a workspace: the same record the inbox resolves from channel identities, with the fields agents keep.
/// <see cref="Version"/> goes up by one on every profile change; a change made against an older version is refused.
/// </summary>
public sealed record CustomerProfile(Guid Id, Guid WorkspaceId, CustomerProfileFields Fields, IReadOnlyList<ChannelIdentity> Identities,
    DateTimeOffset CreatedAt, long Version)
{
    /// <summary>Contact kept by the system, overall and per channel. Read with one profile; the list leaves it empty.</summary>
    public CustomerBehaviour Behaviour { get; init; } = CustomerBehaviour.None;

    /// <summary>The recorded consent choice per channel; a channel without one has none recorded. Read with one profile.</summary>
    public IReadOnlyList<ChannelConsent> Consents { get; init; } = [];

    /// <summary><see cref="Identities"/> with their connection and reachability. Read with one profile.</summary>
    public IReadOnlyList<IdentityDetail> IdentityDetails { get; init; } = [];

    /// <summary>The workspace labels the customer carries, in the order they were put on (<see cref="ICustomerLabelStore"/>).</summary>
    public IReadOnlyList<Guid> LabelIds { get; init; } = [];

    /// <summary>Whole years on <paramref name="today"/>; a 29 February birthday counts from 1 March in other years.</summary>
    public int? AgeOn(DateOnly today)
    {
        if (Fields.Birthday is not { } birthday || birthday > today) return null;
        var age = today.Year - birthday.Year;
        if (today < SafeAddYears(birthday, age)) age--;
        return age;
    }

    private static DateOnly SafeAddYears(DateOnly date, int years)
        => date.Month == 2 && date.Day == 29 && !DateTime.IsLeapYear(date.Year + years) ? new DateOnly(date.Year + years, 3, 1) : date.AddYears(years);
}

/// <summary>An audit entry: <see cref="ChangedBy"/> (an agent; null for the system) changed <see cref="Field"/> at <see cref="At"/>.</summary>
public sealed record CustomerProfileChange(Guid Id, Guid CustomerId, long Version, string Field, string? From, string? To, Guid? ChangedBy, DateTimeOffset At);

public enum ProfileUpdateOutcome
{
    Updated,

    /// <summary>Someone changed the profile since the version the change was made against.</summary>
    Conflict,

    /// <summary>No such customer in the workspace.</summary>
    NotFound,
}

/// <summary>What an update did; <see cref="Profile"/> is the profile as stored now (null when not found).</summary>
public sealed record ProfileUpdateResult(ProfileUpdateOutcome Outcome, CustomerProfile? Profile);

/// <summary>Where a page of the customer list ends: the name (empty for none) and the id that breaks ties.</summary>
public readonly record struct CustomerPageCursor(string Name, Guid Id)
{
    /// <summary>Opaque to clients: the id's 16 bytes then the name's UTF-8, base64url.</summary>
    public string Encode()
    {
        var bytes = new byte[16 + Encoding.UTF8.GetByteCount(Name)];
        Id.TryWriteBytes(bytes, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(Name, bytes.AsSpan(16));
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out CustomerPageCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length > 4096) return false;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }
        if (bytes.Length < 16) return false;
        string name;
        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 16, bytes.Length - 16);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        cursor = new CustomerPageCursor(name, new Guid(bytes.AsSpan(0, 16), bigEndian: true));
        return true;
    }
}

/// <summary>
/// Customer profiles, scoped by workspace: one record per customer (the inbox's <see cref="Customer"/>), its field changes
/// audited, listed by name.
/// </summary>
public interface ICustomerProfileStore
{
    Task<CustomerProfile?> GetProfileAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default);

    /// <summary>
    /// Replaces the profile's fields if it is still at <paramref name="expectedVersion"/>, recording one audit entry per
    /// changed field; a change that changes nothing is stored as nothing (no new version, no entry).
    /// </summary>
    Task<ProfileUpdateResult> UpdateProfileAsync(Guid workspaceId, Guid customerId, long expectedVersion, CustomerProfileFields fields,
        Guid? changedBy, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>The workspace's customers by name then id (customers without a name first), strictly after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<CustomerProfile>> ListProfilesAsync(Guid workspaceId, CustomerPageCursor? after, int take, CancellationToken ct = default);

    /// <summary>The profile's audit entries, newest first.</summary>
    Task<IReadOnlyList<CustomerProfileChange>> ListProfileChangesAsync(Guid workspaceId, Guid customerId, int take, CancellationToken ct = default);

    /// <summary>The profile's audit entries, newest first, strictly after <paramref name="after"/> in that order (older ones).</summary>
    Task<IReadOnlyList<CustomerProfileChange>> ListProfileChangesAsync(Guid workspaceId, Guid customerId, ProfileChangeCursor? after, int take,
        CancellationToken ct = default);
}
