using System.Text.Json;
using Crm.Contracts;
using PhoneNumbers;

namespace Crm.Inbox.Customers.Import;

/// <summary>What a column can be, the mapping suggested from header names (English and Chinese), and the mapping's checks.</summary>
public static class CustomerImportMapping
{
    public const string Name = "name";
    public const string Phone = "phone";
    public const string Email = "email";
    public const string Language = "language";
    public const string TimeZone = "timeZone";
    public const string Birthday = "birthday";
    public const string Company = "company";
    public const string Notes = "notes";
    public const string LifecycleStage = "lifecycleStage";
    public const string Owner = "owner";
    public const string ValueTier = "valueTier";
    public const string WhatsApp = "whatsapp";
    public const string Labels = "labels";
    public const string AttributePrefix = "attribute.";
    public const string ConsentPrefix = "consent.";

    public static readonly IReadOnlyList<string> Fixed =
        [Name, Phone, Email, Language, TimeZone, Birthday, Company, Notes, LifecycleStage, Owner, ValueTier, WhatsApp, Labels];

    /// <summary>Targets several columns may share: their values add up (a mobile and a work phone).</summary>
    private static readonly HashSet<string> Repeatable = [Phone, Email, Labels];

    // Header spellings people use, compared without case, spaces, '_' and '-'.
    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["name"] = Name, ["fullname"] = Name, ["customer"] = Name, ["customername"] = Name, ["contact"] = Name, ["contactname"] = Name,
        ["姓名"] = Name, ["名字"] = Name, ["客户"] = Name, ["客户名称"] = Name, ["客户姓名"] = Name, ["联系人"] = Name,
        ["phone"] = Phone, ["phonenumber"] = Phone, ["mobile"] = Phone, ["mobilephone"] = Phone, ["cell"] = Phone, ["tel"] = Phone,
        ["telephone"] = Phone, ["电话"] = Phone, ["手机"] = Phone, ["手机号"] = Phone, ["手机号码"] = Phone, ["电话号码"] = Phone, ["联系电话"] = Phone,
        ["email"] = Email, ["emailaddress"] = Email, ["mail"] = Email, ["邮箱"] = Email, ["电子邮件"] = Email, ["电子邮箱"] = Email, ["邮件"] = Email,
        ["language"] = Language, ["locale"] = Language, ["语言"] = Language,
        ["timezone"] = TimeZone, ["tz"] = TimeZone, ["时区"] = TimeZone,
        ["birthday"] = Birthday, ["birthdate"] = Birthday, ["dateofbirth"] = Birthday, ["dob"] = Birthday, ["生日"] = Birthday, ["出生日期"] = Birthday,
        ["company"] = Company, ["organization"] = Company, ["organisation"] = Company, ["公司"] = Company, ["公司名称"] = Company, ["单位"] = Company,
        ["notes"] = Notes, ["note"] = Notes, ["comment"] = Notes, ["comments"] = Notes, ["备注"] = Notes, ["说明"] = Notes,
        ["lifecyclestage"] = LifecycleStage, ["stage"] = LifecycleStage, ["lifecycle"] = LifecycleStage, ["阶段"] = LifecycleStage, ["客户阶段"] = LifecycleStage,
        ["owner"] = Owner, ["owneremail"] = Owner, ["agent"] = Owner, ["负责人"] = Owner, ["所有者"] = Owner,
        ["valuetier"] = ValueTier, ["tier"] = ValueTier, ["level"] = ValueTier, ["客户等级"] = ValueTier, ["等级"] = ValueTier,
        ["whatsapp"] = WhatsApp, ["whatsappnumber"] = WhatsApp, ["wa"] = WhatsApp,
        ["labels"] = Labels, ["label"] = Labels, ["tags"] = Labels, ["tag"] = Labels, ["标签"] = Labels,
    };

    /// <summary>The target each header most likely is (null: ignore), each target suggested once except the repeatable ones.</summary>
    public static IReadOnlyDictionary<string, string?> Suggest(IReadOnlyList<string> headers)
    {
        var suggested = new Dictionary<string, string?>();
        var taken = new HashSet<string>();
        foreach (var header in headers)
        {
            var key = new string(header.Where(c => !char.IsWhiteSpace(c) && c is not ('_' or '-' or '.')).ToArray());
            suggested[header] = Synonyms.TryGetValue(key, out var target) && (Repeatable.Contains(target) || taken.Add(target)) ? target : null;
        }
        return suggested;
    }

    /// <summary>What the checks need to know about the workspace.</summary>
    /// <param name="AttributeKeys">The workspace's custom attribute keys (as defined, any case).</param>
    public sealed record Workspace(IReadOnlySet<string> AttributeKeys);

    /// <summary>
    /// The mapping in a PUT body, or the problems keyed by field (<c>columns.&lt;header&gt;</c>, <c>dedupe.on</c>…).
    /// </summary>
    public static (ImportMapping? Mapping, Dictionary<string, string[]> Problems) Read(JsonElement body, IReadOnlyList<string> headers, Workspace workspace)
    {
        var problems = new Dictionary<string, string[]>();
        void Problem(string field, string message) => problems[field] = [.. problems.GetValueOrDefault(field) ?? [], message];
        if (body.ValueKind != JsonValueKind.Object)
        {
            Problem("body", "The body must be a JSON object: { columns, dedupe, defaultCountry }.");
            return (null, problems);
        }
        foreach (var property in body.EnumerateObject().Where(p => p.Name is not ("columns" or "dedupe" or "defaultCountry")))
            Problem(property.Name, "Not part of a mapping.");

        var columns = new Dictionary<string, string?>();
        if (!body.TryGetProperty("columns", out var columnsValue) || columnsValue.ValueKind != JsonValueKind.Object)
            Problem("columns", "Required: an object of column name → target (or null to ignore the column).");
        else
        {
            var byTarget = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var column in columnsValue.EnumerateObject())
            {
                var field = $"columns.{column.Name}";
                if (!headers.Contains(column.Name))
                {
                    Problem(field, "The file has no such column.");
                    continue;
                }
                if (column.Value.ValueKind == JsonValueKind.Null)
                {
                    columns[column.Name] = null;
                    continue;
                }
                if (column.Value.ValueKind != JsonValueKind.String)
                {
                    Problem(field, "Must be a target name or null.");
                    continue;
                }
                var target = column.Value.GetString()!;
                if (CheckTarget(target, workspace) is { } problem)
                {
                    Problem(field, problem);
                    continue;
                }
                if (!Repeatable.Contains(target) && byTarget.TryGetValue(target, out var other))
                {
                    Problem(field, $"The column \"{other}\" is already {target}.");
                    continue;
                }
                byTarget[target] = column.Name;
                columns[column.Name] = target;
            }
        }

        string? on = null, whenFound = null;
        if (!body.TryGetProperty("dedupe", out var dedupe) || dedupe.ValueKind != JsonValueKind.Object)
            Problem("dedupe", "Required: { on: phone|email|identity, whenFound: update|skip }.");
        else
        {
            on = dedupe.TryGetProperty("on", out var onValue) && onValue.ValueKind == JsonValueKind.String ? onValue.GetString() : null;
            whenFound = dedupe.TryGetProperty("whenFound", out var foundValue) && foundValue.ValueKind == JsonValueKind.String ? foundValue.GetString() : null;
            if (on is null || !DedupeKeys.All.Contains(on)) Problem("dedupe.on", $"Must be one of {string.Join(", ", DedupeKeys.All)}.");
            else if (!problems.ContainsKey("columns"))
            {
                var needed = on == DedupeKeys.Identity ? WhatsApp : on;
                if (!columns.Values.Contains(needed)) Problem("dedupe.on", $"Map a column to {needed} to find customers by it.");
            }
            if (whenFound is null || !WhenFound.All.Contains(whenFound)) Problem("dedupe.whenFound", $"Must be one of {string.Join(", ", WhenFound.All)}.");
        }

        string? country = null;
        if (body.TryGetProperty("defaultCountry", out var countryValue) && countryValue.ValueKind != JsonValueKind.Null)
        {
            country = countryValue.ValueKind == JsonValueKind.String ? countryValue.GetString()!.Trim().ToUpperInvariant() : null;
            if (country is null || !PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(country))
                Problem("defaultCountry", "Must be a two-letter country code, e.g. CN or US, or null.");
        }

        return problems.Count == 0 ? (new ImportMapping(columns, new DedupeRule(on!, whenFound!), country), problems) : (null, problems);
    }

    private static string? CheckTarget(string target, Workspace workspace)
    {
        if (Fixed.Contains(target)) return null;
        if (target.StartsWith(AttributePrefix, StringComparison.Ordinal))
        {
            var key = target[AttributePrefix.Length..];
            return workspace.AttributeKeys.Contains(key) ? null : $"No custom attribute \"{key}\" in this workspace.";
        }
        if (target.StartsWith(ConsentPrefix, StringComparison.Ordinal))
        {
            var channel = target[ConsentPrefix.Length..];
            return Channels.All.Contains(channel) ? null : $"Consent is per channel: {string.Join(", ", Channels.All.Select(c => ConsentPrefix + c))}.";
        }
        return $"Not a target. One of {string.Join(", ", Fixed)}, {AttributePrefix}<key>, {ConsentPrefix}<channel>.";
    }
}
