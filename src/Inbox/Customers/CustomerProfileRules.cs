using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PhoneNumbers;
using TimeZoneConverter;

namespace Crm.Inbox.Customers;

/// <summary>
/// Reads a partial profile change (a JSON object with only the fields to change; null clears one) onto the current fields,
/// collecting every problem keyed by the field it is about, so an agent sees them all at once.
/// </summary>
public static partial class CustomerProfileRules
{
    public const int MaxShortText = 200;
    public const int MaxNotes = 4000;
    public const int MaxContacts = 20;

    /// <summary>RFC 5321's limit for a whole address.</summary>
    public const int MaxEmail = 254;

    // Well-formed BCP-47 (language, script, region, variants): what clients send, e.g. en, pt-BR, zh-Hans-CN.
    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$")]
    private static partial Regex LanguageTag();

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    private static readonly HashSet<string> Known =
        ["version", "name", "language", "timeZone", "birthday", "company", "notes", "phones", "emails", "lifecycleStage", "ownerAgentId", "valueTier", "attributes"];

    /// <summary>
    /// The fields after <paramref name="change"/>, or the problems; <paramref name="latestToday"/> is the date somewhere on
    /// earth right now (a birthday after it is in the future everywhere). <paramref name="schema"/> is the workspace's
    /// attribute definitions and lifecycle stages (without one: no attributes, the default stages).
    /// </summary>
    public static (CustomerProfileFields? Fields, long Version, Dictionary<string, string[]> Problems) Apply(
        CustomerProfileFields current, JsonElement change, DateOnly latestToday, CustomerSchema? schema = null)
    {
        schema ??= CustomerSchema.Default;
        var problems = new Dictionary<string, string[]>();
        void Problem(string field, string message) => problems[field] = [.. problems.GetValueOrDefault(field) ?? [], message];

        if (change.ValueKind != JsonValueKind.Object)
        {
            Problem("body", "The body must be a JSON object with the fields to change and the version they were read at.");
            return (null, 0, problems);
        }
        foreach (var property in change.EnumerateObject().Where(p => !Known.Contains(p.Name)))
            Problem(property.Name, "Not a profile field.");

        long version = 0;
        if (!change.TryGetProperty("version", out var versionValue) || !versionValue.TryGetInt64(out version) || version < 0)
            Problem("version", "The version the profile was read at is required (a whole number).");

        var fields = current;
        string? Text(string field, int max, string? was)
        {
            if (!change.TryGetProperty(field, out var value)) return was;
            if (value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.String)
            {
                Problem(field, "Must be text or null.");
                return was;
            }
            var text = value.GetString()!.Trim();
            if (text.Length > max) Problem(field, $"Must be at most {max} characters.");
            return text.Length == 0 ? null : text;
        }

        fields = fields with
        {
            Name = Text("name", MaxShortText, current.Name),
            Company = Text("company", MaxShortText, current.Company),
            Notes = Text("notes", MaxNotes, current.Notes),
            LifecycleStage = Text("lifecycleStage", MaxShortText, current.LifecycleStage),
            ValueTier = Text("valueTier", MaxShortText, current.ValueTier),
            Language = Text("language", 35, current.Language),
            TimeZone = Text("timeZone", 64, current.TimeZone),
        };
        if (change.TryGetProperty("lifecycleStage", out _) && fields.LifecycleStage is { } stage && !problems.ContainsKey("lifecycleStage"))
        {
            // Stored in the workspace's spelling, so segments and the list group "VIP" and "vip" as one stage.
            if (LifecycleStages.Canonical(schema.LifecycleStages, stage) is { } canonical) fields = fields with { LifecycleStage = canonical };
            else Problem("lifecycleStage", $"Must be one of the workspace's stages: {string.Join(", ", schema.LifecycleStages)}.");
        }
        if (change.TryGetProperty("language", out _) && fields.Language is { } language && !problems.ContainsKey("language"))
        {
            if (!LanguageTag().IsMatch(language)) Problem("language", "Must be a BCP-47 language tag, e.g. en, pt-BR or zh-Hans-CN.");
        }
        if (change.TryGetProperty("timeZone", out _) && fields.TimeZone is { } zone && !problems.ContainsKey("timeZone"))
        {
            // IANA ids only, as the channels and the browser give them; Windows ids would be a second spelling of the same zone.
            if (!TZConvert.KnownIanaTimeZoneNames.Contains(zone)) Problem("timeZone", "Must be an IANA time zone id, e.g. Asia/Shanghai.");
        }

        if (change.TryGetProperty("birthday", out var birthday))
        {
            if (birthday.ValueKind == JsonValueKind.Null) fields = fields with { Birthday = null };
            else if (birthday.ValueKind != JsonValueKind.String
                     || !DateOnly.TryParseExact(birthday.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                Problem("birthday", "Must be a date, yyyy-MM-dd, or null.");
            else if (date > latestToday) Problem("birthday", "Cannot be in the future.");
            else if (date.Year < 1900) Problem("birthday", "Must be after 1900.");
            else fields = fields with { Birthday = date };
        }

        if (change.TryGetProperty("ownerAgentId", out var owner))
        {
            if (owner.ValueKind == JsonValueKind.Null) fields = fields with { OwnerAgentId = null };
            else if (owner.ValueKind == JsonValueKind.String && Guid.TryParse(owner.GetString(), out var ownerId)) fields = fields with { OwnerAgentId = ownerId };
            else Problem("ownerAgentId", "Must be an agent's id or null.");
        }

        if (change.TryGetProperty("phones", out var phones))
            fields = fields with { Phones = Contacts(phones, "phones", "number", ParsePhone, (n, v) => new ContactPhone(n, v), Problem) ?? current.Phones };
        if (change.TryGetProperty("emails", out var emails))
            fields = fields with { Emails = Contacts(emails, "emails", "address", ParseEmail, (a, v) => new ContactEmail(a, v), Problem) ?? current.Emails };

        if (change.TryGetProperty("attributes", out var attributes)
            && CustomerAttributeRules.Apply(current.Attributes, attributes, schema.Definitions, Problem) is { } applied)
            fields = fields with { Attributes = applied };

        return problems.Count == 0 ? (fields, version, problems) : (null, version, problems);
    }

    private static List<T>? Contacts<T>(JsonElement list, string field, string valueName, Func<string, string?> parse, Func<string, bool, T> create,
        Action<string, string> problem)
    {
        if (list.ValueKind == JsonValueKind.Null) return [];
        if (list.ValueKind != JsonValueKind.Array)
        {
            problem(field, $"Must be a list of {{ {valueName}, verified }}.");
            return null;
        }
        if (list.GetArrayLength() > MaxContacts)
        {
            problem(field, $"At most {MaxContacts}.");
            return null;
        }
        var contacts = new List<T>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var key = $"{field}[{index++}].{valueName}";
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(valueName, out var value) || value.ValueKind != JsonValueKind.String)
            {
                problem(key, $"Required, as text.");
                continue;
            }
            if (parse(value.GetString()!) is not { } parsed)
            {
                problem(key, valueName == "number" ? "Must be a valid phone number in E.164, e.g. +14155550100." : "Must be a valid email address.");
                continue;
            }
            if (!seen.Add(parsed))
            {
                problem(key, "Listed twice.");
                continue;
            }
            var verified = item.TryGetProperty("verified", out var flag) && flag.ValueKind == JsonValueKind.True;
            if (item.TryGetProperty("verified", out flag) && flag.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                problem($"{field}[{index - 1}].verified", "Must be true or false.");
            contacts.Add(create(parsed, verified));
        }
        return contacts;
    }

    /// <summary>The number in E.164 if it is one: a leading + and a number valid for its country.</summary>
    private static string? ParsePhone(string text)
    {
        text = text.Trim();
        if (!text.StartsWith('+') || text.Length > 20) return null;
        try
        {
            var number = Phones.Parse(text, null);
            if (!Phones.IsValidNumber(number)) return null;
            var e164 = Phones.Format(number, PhoneNumberFormat.E164);
            // Only E.164 itself, not a formatted variant ("+1 (415) 555-0100"): what is stored is what was sent.
            return e164 == text ? e164 : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    private static string? ParseEmail(string text)
    {
        text = text.Trim();
        if (text.Length is 0 or > MaxEmail || text.Contains(' ') || text.Contains('<')) return null;
        return System.Net.Mail.MailAddress.TryCreate(text, out var address) && address.Address == text && address.Host.Contains('.') ? text : null;
    }
}
