using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Crm.Inbox.Customers;

/// <summary>What a workspace's customer profiles are checked against: its attribute definitions and lifecycle stages.</summary>
public sealed record CustomerSchema(IReadOnlyList<CustomerAttributeDefinition> Definitions, IReadOnlyList<string> LifecycleStages)
{
    /// <summary>A workspace that defined nothing: no attributes, the default stages.</summary>
    public static CustomerSchema Default { get; } = new([], Customers.LifecycleStages.Default);
}

/// <summary>
/// Checks definitions and attribute values. A value is stored in one canonical form (a choice in its option's spelling, a
/// number as the shortest JSON of its double, multi-choice in the options' order) so both stores and the history compare
/// the same text, and so a value read back is exactly the value written.
/// </summary>
public static partial class CustomerAttributeRules
{
    public const int MaxDefinitions = 200;
    public const int MaxKey = 50;
    public const int MaxLabel = 100;
    public const int MaxOptions = 100;
    public const int MaxOption = 100;
    public const int MaxText = 1000;
    public const int MaxUrl = 2048;
    public const int MaxPosition = 10_000;
    public const int MaxStages = 50;
    public const int MaxStage = 50;

    /// <summary>Integers up to this are exact in a double (2^53 is 9.007e15), so a number reads back as written in both stores.</summary>
    public const double MaxNumber = 1e15;

    // Starts with a letter: the key is a JSON path segment (SQLite), a dotted field name (Mongo) and a segment field name.
    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex KeyPattern();

    /// <summary>The problems with a definition, keyed by field; empty when it is fine. <paramref name="options"/> are already trimmed.</summary>
    public static Dictionary<string, string[]> DefinitionProblems(string? key, string? label, string? type, IReadOnlyList<string>? options, int? position)
    {
        var problems = new Dictionary<string, string[]>();
        if (key is null || key.Length is 0 or > MaxKey || !KeyPattern().IsMatch(key))
            problems["key"] = [$"Required: 1 to {MaxKey} lower-case letters, digits or _, starting with a letter (e.g. plan or renewal_date)."];
        if (string.IsNullOrWhiteSpace(label) || label.Trim().Length > MaxLabel) problems["label"] = [$"Required: 1 to {MaxLabel} characters."];
        if (type is null || !AttributeTypes.All.Contains(type)) problems["type"] = [$"Must be one of {string.Join(", ", AttributeTypes.All)}."];
        else if (OptionsProblem(type, options ?? []) is { } problem) problems["options"] = [problem];
        if (position is < 0 or > MaxPosition) problems["position"] = [$"Must be between 0 and {MaxPosition}."];
        return problems;
    }

    private static string? OptionsProblem(string type, IReadOnlyList<string> options)
    {
        if (!AttributeTypes.HasOptions(type)) return options.Count == 0 ? null : $"Only choice and multi-choice attributes have options.";
        if (options.Count is 0 or > MaxOptions) return $"A {type} attribute needs 1 to {MaxOptions} options.";
        if (options.Any(o => o.Length is 0 or > MaxOption)) return $"Each option must be 1 to {MaxOption} characters.";
        if (options.Distinct(StringComparer.OrdinalIgnoreCase).Count() != options.Count) return "Options must differ (whatever their case).";
        return null;
    }

    /// <summary>The stages trimmed, or the problem with them.</summary>
    public static (IReadOnlyList<string>? Stages, string? Problem) Stages(IReadOnlyList<string?>? stages)
    {
        if (stages is null || stages.Count is 0 or > MaxStages) return (null, $"1 to {MaxStages} stages, in order.");
        var trimmed = stages.Select(s => s?.Trim() ?? "").ToList();
        if (trimmed.Any(s => s.Length is 0 or > MaxStage)) return (null, $"Each stage must be 1 to {MaxStage} characters.");
        if (trimmed.Distinct(StringComparer.OrdinalIgnoreCase).Count() != trimmed.Count) return (null, "Stages must differ (whatever their case).");
        return (trimmed, null);
    }

    /// <summary>
    /// Applies <paramref name="change"/> (the PATCH body's <c>attributes</c> object: key -> value, null clears) to
    /// <paramref name="current"/>; problems are keyed <c>attributes.{key}</c> as sent. Keys match definitions whatever their
    /// case and are stored as defined. Null when there were problems.
    /// </summary>
    public static IReadOnlyDictionary<string, JsonElement>? Apply(IReadOnlyDictionary<string, JsonElement> current, JsonElement change,
        IReadOnlyList<CustomerAttributeDefinition> definitions, Action<string, string> problem)
    {
        if (change.ValueKind != JsonValueKind.Object)
        {
            problem("attributes", "Must be an object of attribute key -> value (null clears one).");
            return null;
        }
        var attributes = new Dictionary<string, JsonElement>(current);
        var valid = true;
        foreach (var property in change.EnumerateObject())
        {
            var field = $"attributes.{property.Name}";
            if (definitions.FirstOrDefault(d => string.Equals(d.Key, property.Name, StringComparison.OrdinalIgnoreCase)) is not { } definition)
            {
                problem(field, "Not an attribute of this workspace.");
                valid = false;
                continue;
            }
            var (value, refused) = Value(definition, property.Value);
            if (refused is not null)
            {
                problem(field, refused);
                valid = false;
            }
            else if (value is { } set) attributes[definition.Key] = set;
            else attributes.Remove(definition.Key);
        }
        return valid ? attributes : null;
    }

    /// <summary>
    /// The canonical value of <paramref name="value"/> for <paramref name="definition"/> (null: no value, the key is cleared;
    /// null, "" and [] all clear), or why it is refused.
    /// </summary>
    public static (JsonElement? Value, string? Problem) Value(CustomerAttributeDefinition definition, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null) return (null, null);
        switch (definition.Type)
        {
            case AttributeTypes.Text:
                if (value.ValueKind != JsonValueKind.String) return (null, "Must be text or null.");
                var text = value.GetString()!.Trim();
                if (text.Length > MaxText) return (null, $"Must be at most {MaxText} characters.");
                return (text.Length == 0 ? null : JsonSerializer.SerializeToElement(text), null);

            case AttributeTypes.Number:
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
                    return (null, "Must be a number or null.");
                if (Math.Abs(number) > MaxNumber) return (null, $"Must be between -{MaxNumber:0} and {MaxNumber:0}.");
                return (JsonSerializer.SerializeToElement(number), null);

            case AttributeTypes.Date:
                if (value.ValueKind != JsonValueKind.String) return (null, "Must be a date, yyyy-MM-dd, or null.");
                if (value.GetString()!.Trim() is { Length: 0 }) return (null, null);
                if (!DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    return (null, "Must be a date, yyyy-MM-dd, or null.");
                return (JsonSerializer.SerializeToElement(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), null);

            case AttributeTypes.Boolean:
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? (value.Clone(), null) : (null, "Must be true, false or null.");

            case AttributeTypes.Url:
                if (value.ValueKind != JsonValueKind.String) return (null, "Must be a URL or null.");
                var url = value.GetString()!.Trim();
                if (url.Length == 0) return (null, null);
                if (url.Length > MaxUrl || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
                    return (null, $"Must be an absolute http or https URL of at most {MaxUrl} characters.");
                return (JsonSerializer.SerializeToElement(url), null);

            case AttributeTypes.Choice:
                if (value.ValueKind != JsonValueKind.String) return (null, "Must be one of the options or null.");
                if (value.GetString()!.Trim() is { Length: 0 }) return (null, null);
                return Option(definition, value.GetString()!) is { } single
                    ? (JsonSerializer.SerializeToElement(single), null)
                    : (null, $"Must be one of: {string.Join(", ", definition.Options)}.");

            case AttributeTypes.MultiChoice:
                if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
                    return (null, "Must be a list of options or null.");
                var chosen = new List<string>();
                foreach (var item in value.EnumerateArray())
                {
                    if (Option(definition, item.GetString()!) is not { } option) return (null, $"\"{item.GetString()}\" is not one of: {string.Join(", ", definition.Options)}.");
                    if (chosen.Contains(option)) return (null, $"\"{option}\" is listed twice.");
                    chosen.Add(option);
                }
                if (chosen.Count == 0) return (null, null);
                return (JsonSerializer.SerializeToElement(definition.Options.Where(chosen.Contains).ToList()), null);

            default:
                return (null, "This attribute's type is not known to this version of Crm.");
        }
    }

    private static string? Option(CustomerAttributeDefinition definition, string value)
        => definition.Options.FirstOrDefault(o => string.Equals(o, value.Trim(), StringComparison.OrdinalIgnoreCase));
}
