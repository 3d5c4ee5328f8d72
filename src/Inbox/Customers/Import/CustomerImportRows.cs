using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Contracts;
using Crm.Inbox.Conversations;
using PhoneNumbers;

namespace Crm.Inbox.Customers.Import;

/// <summary>
/// Turns a CSV row into an <see cref="ImportRecord"/>, checking every mapped cell first and listing every problem, so a row
/// is applied whole or not at all and its report says everything to fix at once. Profile fields go through the same
/// rules as an agent's edit (<see cref="CustomerProfileRules"/>).
/// </summary>
public static class CustomerImportRows
{
    public const string OptedIn = "opted-in";
    public const string OptedOut = "opted-out";

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    private static readonly HashSet<string> InValues = new(StringComparer.OrdinalIgnoreCase)
        { OptedIn, "in", "yes", "y", "true", "1", "subscribed", "是", "同意", "订阅" };

    private static readonly HashSet<string> OutValues = new(StringComparer.OrdinalIgnoreCase)
        { OptedOut, "out", "no", "n", "false", "0", "unsubscribed", "否", "拒绝", "退订" };

    /// <summary>Reads a cell as a custom attribute's value: the typed value, or the problem.</summary>
    public delegate (JsonElement? Value, string? Problem) AttributeReader(string cell);

    /// <summary>What rows are checked against: the mapping, and the workspace's agents, labels and attributes.</summary>
    /// <param name="AgentsByEmail">The workspace's agents, by email (any case).</param>
    /// <param name="LabelsByName">The workspace's labels, by name (any case).</param>
    /// <param name="Attributes">The workspace's custom attributes, by key (any case), with the key as defined.</param>
    /// <param name="LifecycleStages">The workspace's lifecycle stages.</param>
    /// <param name="LatestToday">The date somewhere on earth now: a birthday after it is in the future.</param>
    public sealed record Context(
        IReadOnlyList<string> Headers,
        ImportMapping Mapping,
        IReadOnlyDictionary<string, Guid> AgentsByEmail,
        IReadOnlyDictionary<string, Label> LabelsByName,
        IReadOnlyDictionary<string, (string Key, AttributeReader Read)> Attributes,
        IReadOnlyList<string> LifecycleStages,
        DateOnly LatestToday);

    /// <summary>The record to apply, or the row's rejection with every reason.</summary>
    public static (ImportRecord? Record, ImportRejection? Rejection) Read(Context context, int rowNumber, string[] cells)
    {
        var reasons = new List<string>();
        if (cells.Length > context.Headers.Count)
            reasons.Add($"The row has {cells.Length} cells; the header line has {context.Headers.Count}.");
        if (cells.All(string.IsNullOrWhiteSpace)) reasons.Add("The row is empty.");

        var profile = new JsonObject { ["version"] = 0 };
        var profileHeaders = new Dictionary<string, string>();
        var phones = new List<string>();
        var phoneHeaders = new List<string>();
        var emails = new List<string>();
        var emailHeaders = new List<string>();
        Guid? owner = null;
        string? whatsApp = null;
        var labels = new List<Label>();
        var consents = new Dictionary<string, string>();
        var attributes = new Dictionary<string, JsonElement>();

        for (var i = 0; i < context.Headers.Count; i++)
        {
            var header = context.Headers[i];
            if (context.Mapping.Columns.GetValueOrDefault(header) is not { } target) continue;
            var cell = i < cells.Length ? cells[i].Trim() : "";
            if (cell.Length == 0) continue;
            void Reason(string message) => reasons.Add($"{header}: {message}");

            switch (target)
            {
                case CustomerImportMapping.Phone:
                    if (ParsePhone(cell, context.Mapping.DefaultCountry) is { } e164)
                    {
                        if (!phones.Contains(e164))
                        {
                            phones.Add(e164);
                            phoneHeaders.Add(header);
                        }
                    }
                    else Reason(PhoneProblem(context.Mapping.DefaultCountry));
                    break;
                case CustomerImportMapping.Email:
                    if (!emails.Contains(cell, StringComparer.OrdinalIgnoreCase))
                    {
                        emails.Add(cell);
                        emailHeaders.Add(header);
                    }
                    break;
                case CustomerImportMapping.WhatsApp:
                    if (ParseWhatsApp(cell, context.Mapping.DefaultCountry) is { } number) whatsApp = number;
                    else Reason(PhoneProblem(context.Mapping.DefaultCountry));
                    break;
                case CustomerImportMapping.Owner:
                    if (context.AgentsByEmail.TryGetValue(cell, out var agent)) owner = agent;
                    else Reason("No agent of this workspace has this email.");
                    break;
                case CustomerImportMapping.Labels:
                    foreach (var name in cell.Split([',', ';', '|', '，', '；'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!context.LabelsByName.TryGetValue(name, out var label)) Reason($"No label named \"{name}\" in this workspace.");
                        else if (!labels.Contains(label)) labels.Add(label);
                    }
                    break;
                case CustomerImportMapping.LifecycleStage:
                    if (Customers.LifecycleStages.Canonical(context.LifecycleStages, cell) is { } stage)
                    {
                        profile[target] = stage;
                        profileHeaders[target] = header;
                    }
                    else Reason($"Not one of this workspace's lifecycle stages: {string.Join(", ", context.LifecycleStages)}.");
                    break;
                case CustomerImportMapping.Birthday:
                    if (DateOnly.TryParseExact(cell, CustomerImportAttributes.DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthday))
                    {
                        profile["birthday"] = birthday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                        profileHeaders["birthday"] = header;
                    }
                    else Reason("Must be a date, year first: 1990-03-04.");
                    break;
                case var consent when consent.StartsWith(CustomerImportMapping.ConsentPrefix, StringComparison.Ordinal):
                    if (InValues.Contains(cell)) consents[consent[CustomerImportMapping.ConsentPrefix.Length..]] = OptedIn;
                    else if (OutValues.Contains(cell)) consents[consent[CustomerImportMapping.ConsentPrefix.Length..]] = OptedOut;
                    else Reason("Must be opted-in (yes, true, 1) or opted-out (no, false, 0).");
                    break;
                case var attribute when attribute.StartsWith(CustomerImportMapping.AttributePrefix, StringComparison.Ordinal):
                    var key = attribute[CustomerImportMapping.AttributePrefix.Length..];
                    if (!context.Attributes.TryGetValue(key, out var definition))
                    {
                        Reason($"No custom attribute \"{key}\" in this workspace.");
                        break;
                    }
                    var (value, problem) = definition.Read(cell);
                    if (value is { } typed) attributes[definition.Key] = typed;
                    else Reason(problem ?? "Not a valid value.");
                    break;
                default:
                    // The profile's own text fields: checked below by the profile rules, as an agent's edit is.
                    profile[target] = cell;
                    profileHeaders[target] = header;
                    break;
            }
        }

        if (phones.Count > 0) profile["phones"] = new JsonArray([.. phones.Select(p => new JsonObject { ["number"] = p })]);
        if (emails.Count > 0) profile["emails"] = new JsonArray([.. emails.Select(e => new JsonObject { ["address"] = e })]);
        using var change = JsonDocument.Parse(profile.ToJsonString());
        var (fields, _, problems) = CustomerProfileRules.Apply(new CustomerProfileFields(), change.RootElement, context.LatestToday);
        foreach (var (field, messages) in problems)
        {
            var header = field.StartsWith("phones[", StringComparison.Ordinal) ? phoneHeaders[Index(field)]
                : field.StartsWith("emails[", StringComparison.Ordinal) ? emailHeaders[Index(field)]
                : profileHeaders.GetValueOrDefault(field, field);
            reasons.AddRange(messages.Select(m => $"{header}: {m}"));
        }

        if (reasons.Count > 0 || fields is null) return (null, new ImportRejection(rowNumber, cells, reasons));
        return (new ImportRecord
        {
            RowNumber = rowNumber,
            Cells = cells,
            Fields = fields with { OwnerAgentId = owner, Attributes = attributes },
            WhatsApp = whatsApp,
            Consents = consents,
            Labels = labels,
        }, null);
    }

    /// <summary>
    /// The number in E.164 if it is a valid one: international (+…) as is, national ones in <paramref name="defaultCountry"/>;
    /// spaces, dashes, dots and brackets allowed, as people write numbers in spreadsheets.
    /// </summary>
    public static string? ParsePhone(string text, string? defaultCountry)
        => Read(text, defaultCountry) is { } number && Phones.IsValidNumber(number) ? Phones.Format(number, PhoneNumberFormat.E164) : null;

    /// <summary>
    /// A WhatsApp number as the connectors key its customer (<see cref="WhatsAppPhoneVariants"/>): the spellings
    /// WhatsApp itself uses (Mexico's +52 1…, Argentina's +54 9…) are accepted and folded, then must be a valid number.
    /// </summary>
    public static string? ParseWhatsApp(string text, string? defaultCountry)
        => Read(text, defaultCountry) is { } number
           && WhatsAppPhoneVariants.Canonical(Phones.Format(number, PhoneNumberFormat.E164)) is var folded
           && ParsePhone(folded, null) == folded
            ? folded
            : null;

    private static PhoneNumber? Read(string text, string? defaultCountry)
    {
        if (text.Length > 40) return null;
        try
        {
            return Phones.Parse(text, text.StartsWith('+') ? null : defaultCountry);
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    private static string PhoneProblem(string? defaultCountry) => defaultCountry is null
        ? "Must be a valid international phone number, e.g. +8613800138000 (or choose a default country for national numbers)."
        : $"Must be a valid phone number, international (+…) or national in {defaultCountry}.";

    private static int Index(string field) => int.Parse(field[(field.IndexOf('[') + 1)..field.IndexOf(']')], CultureInfo.InvariantCulture);
}
