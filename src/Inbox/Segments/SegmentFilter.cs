using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Crm.Contracts;

namespace Crm.Inbox.Segments;

/// <summary>What a field holds, which decides the operators it takes and how each store reads it.</summary>
public enum SegmentFieldKind
{
    /// <summary>One string: contains / starts with apply.</summary>
    Text,

    /// <summary>One string out of a known set (a choice attribute, the last channel): no substring operators.</summary>
    Choice,

    /// <summary>Any of the customer's phone numbers or email addresses.</summary>
    ContactList,

    Agent,
    Date,
    Timestamp,
    Number,
    Boolean,

    /// <summary>A set of values the customer has (labels, channels, connections, multi-choice attribute).</summary>
    Set,

    /// <summary>The recorded choice on one channel (<see cref="SegmentCondition.Key"/>), or on any channel when the key is null.</summary>
    Consent,
}

public static class SegmentOperators
{
    public const string EqualTo = "equals";
    public const string NotEquals = "notEquals";
    public const string Contains = "contains";
    public const string StartsWith = "startsWith";
    public const string InList = "inList";
    public const string IsPresent = "isPresent";
    public const string IsAbsent = "isAbsent";
    public const string GreaterThan = "greaterThan";
    public const string LessThan = "lessThan";
    public const string Between = "between";
    public const string HasAnyOf = "hasAnyOf";
    public const string HasAllOf = "hasAllOf";
    public const string HasNoneOf = "hasNoneOf";
    public const string MoreThanDaysAgo = "moreThanDaysAgo";
    public const string LessThanDaysAgo = "lessThanDaysAgo";
    public const string WithinLastDays = "withinLastDays";
    public const string Never = "never";
    public const string IsToday = "isToday";
    public const string AnniversaryWithinDays = "anniversaryWithinDays";

    private static readonly string[] Presence = [IsPresent, IsAbsent];

    /// <summary>Which operators each kind of field takes (anniversaries are the birthday's alone; see <see cref="SegmentFilterParser"/>).</summary>
    public static IReadOnlyList<string> For(SegmentFieldKind kind) => kind switch
    {
        SegmentFieldKind.Text => [EqualTo, NotEquals, Contains, StartsWith, InList, .. Presence],
        SegmentFieldKind.Choice => [EqualTo, NotEquals, InList, .. Presence],
        SegmentFieldKind.ContactList => [EqualTo, Contains, StartsWith, .. Presence],
        SegmentFieldKind.Agent => [EqualTo, NotEquals, InList, .. Presence],
        SegmentFieldKind.Date => [EqualTo, NotEquals, GreaterThan, LessThan, Between, IsToday, AnniversaryWithinDays, .. Presence],
        SegmentFieldKind.Timestamp => [GreaterThan, LessThan, Between, MoreThanDaysAgo, LessThanDaysAgo, WithinLastDays, Never, IsToday, .. Presence],
        SegmentFieldKind.Number => [EqualTo, NotEquals, GreaterThan, LessThan, Between, InList, .. Presence],
        SegmentFieldKind.Boolean => [EqualTo, .. Presence],
        SegmentFieldKind.Set => [HasAnyOf, HasAllOf, HasNoneOf, EqualTo, NotEquals, .. Presence],
        SegmentFieldKind.Consent => [EqualTo, NotEquals, InList],
        _ => [],
    };
}

/// <summary>A node of a segment's filter: a group of nodes, or one condition.</summary>
public abstract record SegmentNode;

/// <summary>All (<see cref="All"/>) or any of <see cref="Conditions"/>.</summary>
public sealed record SegmentGroup(bool All, IReadOnlyList<SegmentNode> Conditions) : SegmentNode;

/// <summary>
/// One validated condition. <see cref="Field"/> is the name the stores switch on (an attribute is <c>attribute</c> with its
/// key in <see cref="Key"/>; a consent is <c>consent</c> with the channel in <see cref="Key"/>, null for any channel).
/// Values are already typed: <see cref="Texts"/> for strings (ids, channels, consent states), <see cref="Numbers"/>,
/// <see cref="Dates"/>, <see cref="Instants"/>, <see cref="Days"/> or <see cref="Flag"/>, whichever the operator takes.
/// </summary>
public sealed record SegmentCondition(string Field, string? Key, SegmentFieldKind Kind, string Operator) : SegmentNode
{
    public IReadOnlyList<string> Texts { get; init; } = [];
    public IReadOnlyList<double> Numbers { get; init; } = [];
    public IReadOnlyList<DateOnly> Dates { get; init; } = [];
    public IReadOnlyList<DateTimeOffset> Instants { get; init; } = [];
    public int Days { get; init; }
    public bool Flag { get; init; }

    /// <summary>For an attribute, its type as the workspace defines it (text, number, multi-choice…).</summary>
    public string? AttributeType { get; init; }
}

/// <summary>The custom attributes a workspace defines, by key (any case), with their types: what attribute conditions are checked against.</summary>
public sealed record SegmentSchema(IReadOnlyDictionary<string, string> AttributeTypes)
{
    public static readonly SegmentSchema Empty = new(new Dictionary<string, string>());

    public static SegmentSchema From(IEnumerable<Customers.CustomerAttributeDefinition> definitions)
        => new(definitions.ToDictionary(d => d.Key, d => d.Type, StringComparer.OrdinalIgnoreCase));
}

/// <summary>
/// Reads a filter from JSON, checking everything once: fields, operators per field type, value types, depth and size.
/// Problems are keyed by their JSON path (<c>filter.conditions[2].value</c>), so a client can point at the faulty row.
/// </summary>
public static partial class SegmentFilterParser
{
    public const int MaxDepth = 5;
    public const int MaxConditions = 100;
    public const int MaxListValues = 500;
    public const int MaxTextLength = 500;
    public const int MaxDays = 36_500;

    public static readonly IReadOnlyList<string> ConsentStates = ["opted-in", "opted-out", "none"];

    private static readonly Dictionary<string, SegmentFieldKind> ProfileFields = new(StringComparer.Ordinal)
    {
        ["name"] = SegmentFieldKind.Text, ["language"] = SegmentFieldKind.Text, ["timeZone"] = SegmentFieldKind.Text,
        ["company"] = SegmentFieldKind.Text, ["lifecycleStage"] = SegmentFieldKind.Text, ["valueTier"] = SegmentFieldKind.Text,
        ["lastChannel"] = SegmentFieldKind.Choice,
        ["phone"] = SegmentFieldKind.ContactList, ["email"] = SegmentFieldKind.ContactList,
        ["ownerAgentId"] = SegmentFieldKind.Agent,
        ["birthday"] = SegmentFieldKind.Date,
        ["createdAt"] = SegmentFieldKind.Timestamp, ["firstSeenAt"] = SegmentFieldKind.Timestamp, ["lastInboundAt"] = SegmentFieldKind.Timestamp,
        ["lastOutboundAgentAt"] = SegmentFieldKind.Timestamp, ["lastOutboundAutomationAt"] = SegmentFieldKind.Timestamp,
        ["inboundCount"] = SegmentFieldKind.Number, ["outboundCount"] = SegmentFieldKind.Number,
        ["hasUnreachableIdentity"] = SegmentFieldKind.Boolean,
        ["labels"] = SegmentFieldKind.Set, ["channel"] = SegmentFieldKind.Set, ["connection"] = SegmentFieldKind.Set, ["reachableOn"] = SegmentFieldKind.Set,
        ["consent"] = SegmentFieldKind.Consent,
    };

    /// <summary>The filter, or the problems found (path → messages); exactly one of the two is null.</summary>
    public static (SegmentGroup? Filter, Dictionary<string, string[]>? Problems) Parse(JsonElement json, SegmentSchema schema, string path = "filter")
    {
        var problems = new Dictionary<string, string[]>();
        var count = 0;
        var node = ReadNode(json, schema, path, 1, ref count, problems);
        if (count > MaxConditions) problems.TryAdd(path, [$"A filter holds at most {MaxConditions} conditions."]);
        if (problems.Count > 0) return (null, problems);
        return (node as SegmentGroup ?? new SegmentGroup(true, [node!]), null);
    }

    private static SegmentNode? ReadNode(JsonElement json, SegmentSchema schema, string path, int depth, ref int count, Dictionary<string, string[]> problems)
    {
        if (json.ValueKind != JsonValueKind.Object)
            return Problem(problems, path, "Expected a group {\"op\", \"conditions\"} or a condition {\"field\", \"operator\", \"value\"}.");
        if (json.TryGetProperty("op", out var op) || json.TryGetProperty("conditions", out _))
            return ReadGroup(json, op, schema, path, depth, ref count, problems);
        count++;
        return ReadCondition(json, schema, path, problems);
    }

    private static SegmentGroup? ReadGroup(JsonElement json, JsonElement op, SegmentSchema schema, string path, int depth, ref int count,
        Dictionary<string, string[]> problems)
    {
        if (depth > MaxDepth) return (SegmentGroup?)Problem(problems, path, $"Groups nest at most {MaxDepth} deep.");
        var all = op.ValueKind == JsonValueKind.String ? op.GetString() switch { "and" => true, "or" => (bool?)false, _ => null } : null;
        if (all is null) Problem(problems, $"{path}.op", "op must be \"and\" or \"or\".");
        foreach (var property in json.EnumerateObject())
            if (property.Name is not ("op" or "conditions")) Problem(problems, $"{path}.{property.Name}", "A group has only op and conditions.");
        if (!json.TryGetProperty("conditions", out var items) || items.ValueKind != JsonValueKind.Array || items.GetArrayLength() == 0)
            return (SegmentGroup?)Problem(problems, $"{path}.conditions", "conditions must be a non-empty array.");
        if (items.GetArrayLength() > MaxConditions)
            return (SegmentGroup?)Problem(problems, $"{path}.conditions", $"A filter holds at most {MaxConditions} conditions.");
        var nodes = new List<SegmentNode>();
        var i = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (ReadNode(item, schema, $"{path}.conditions[{i}]", depth + 1, ref count, problems) is { } node) nodes.Add(node);
            i++;
        }
        return all is { } isAll ? new SegmentGroup(isAll, nodes) : null;
    }

    private static SegmentCondition? ReadCondition(JsonElement json, SegmentSchema schema, string path, Dictionary<string, string[]> problems)
    {
        foreach (var property in json.EnumerateObject())
            if (property.Name is not ("field" or "operator" or "value")) Problem(problems, $"{path}.{property.Name}", "A condition has only field, operator and value.");
        var fieldName = json.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : null;
        var op = json.TryGetProperty("operator", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : null;
        var hasValue = json.TryGetProperty("value", out var value) && value.ValueKind != JsonValueKind.Null;

        var condition = fieldName is null ? null : ResolveField(fieldName, schema);
        if (condition is null)
            return (SegmentCondition?)Problem(problems, $"{path}.field", fieldName is null ? "field is required." : $"Unknown field '{Truncate(fieldName)}'.");
        var allowed = SegmentOperators.For(condition.Kind).Where(a => Applies(condition, a)).ToList();
        if (op is null || !allowed.Contains(op))
            return (SegmentCondition?)Problem(problems, $"{path}.operator",
                $"{(op is null ? "operator is required" : $"'{Truncate(op)}' does not apply to {fieldName}")}; use one of: {string.Join(", ", allowed)}.");
        condition = condition with { Operator = op };

        string? problem;
        (condition, problem) = op switch
        {
            SegmentOperators.IsPresent or SegmentOperators.IsAbsent or SegmentOperators.Never or SegmentOperators.IsToday
                => hasValue ? (condition, $"{op} takes no value.") : (condition, null),
            _ when !hasValue => (condition, "value is required."),
            SegmentOperators.MoreThanDaysAgo or SegmentOperators.LessThanDaysAgo or SegmentOperators.WithinLastDays
                => ReadDays(condition, value, 1, MaxDays),
            SegmentOperators.AnniversaryWithinDays => ReadDays(condition, value, 0, 366),
            SegmentOperators.Between => ReadPair(condition, value),
            SegmentOperators.InList or SegmentOperators.HasAnyOf or SegmentOperators.HasAllOf or SegmentOperators.HasNoneOf => ReadList(condition, value),
            _ => ReadOne(condition, value),
        };
        if (problem is not null) return (SegmentCondition?)Problem(problems, $"{path}.value", problem);
        return condition;
    }

    /// <summary>The operators that exist for a kind but not for this field (substring match on a choice, presence of a count…).</summary>
    private static bool Applies(SegmentCondition field, string op) => op switch
    {
        SegmentOperators.AnniversaryWithinDays => field.Field == "birthday",
        SegmentOperators.IsPresent or SegmentOperators.IsAbsent => field.Field is not ("inboundCount" or "outboundCount" or "hasUnreachableIdentity"),
        SegmentOperators.InList => !(field.Field == "consent" && field.Key is null),
        _ => true,
    };

    private static SegmentCondition? ResolveField(string name, SegmentSchema schema)
    {
        if (ProfileFields.TryGetValue(name, out var kind)) return new SegmentCondition(name, null, kind, "");
        if (name.StartsWith("consent.", StringComparison.Ordinal))
        {
            var channel = name["consent.".Length..];
            return Channels.All.Contains(channel) ? new SegmentCondition("consent", channel, SegmentFieldKind.Consent, "") : null;
        }
        if (!name.StartsWith("attribute.", StringComparison.Ordinal)) return null;
        var key = name["attribute.".Length..];
        // Keys go into JSON paths and Mongo field names: only plain keys (the definitions allow no others).
        if (!AttributeKey().IsMatch(key) || !schema.AttributeTypes.TryGetValue(key, out var type)) return null;
        var definedKey = schema.AttributeTypes.Keys.First(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
        var attributeKind = type switch
        {
            "text" or "url" => SegmentFieldKind.Text,
            "choice" => SegmentFieldKind.Choice,
            "number" => SegmentFieldKind.Number,
            "date" => SegmentFieldKind.Date,
            "boolean" => SegmentFieldKind.Boolean,
            "multi-choice" => SegmentFieldKind.Set,
            _ => (SegmentFieldKind?)null,
        };
        return attributeKind is { } k ? new SegmentCondition("attribute", definedKey, k, "") { AttributeType = type } : null;
    }

    private static (SegmentCondition, string?) ReadDays(SegmentCondition condition, JsonElement value, int min, int max)
        => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var days) && days >= min && days <= max
            ? (condition with { Days = days }, null)
            : (condition, $"Expected a whole number of days from {min} to {max}.");

    private static (SegmentCondition, string?) ReadPair(SegmentCondition condition, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2) return (condition, "Expected [from, to].");
        var (read, problem) = ReadValues(condition, value.EnumerateArray().ToList());
        if (problem is not null) return (condition, problem);
        var inOrder = read.Kind switch
        {
            SegmentFieldKind.Number => read.Numbers[0] <= read.Numbers[1],
            SegmentFieldKind.Date => read.Dates[0] <= read.Dates[1],
            _ => read.Instants[0] <= read.Instants[1],
        };
        return inOrder ? (read, null) : (condition, "from must not be after to.");
    }

    private static (SegmentCondition, string?) ReadList(SegmentCondition condition, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0 || value.GetArrayLength() > MaxListValues)
            return (condition, $"Expected an array of 1 to {MaxListValues} values.");
        return ReadValues(condition, value.EnumerateArray().ToList());
    }

    private static (SegmentCondition, string?) ReadOne(SegmentCondition condition, JsonElement value) => ReadValues(condition, [value]);

    /// <summary>Reads each value as the field's type; the first value that does not fit is the problem.</summary>
    private static (SegmentCondition, string?) ReadValues(SegmentCondition c, List<JsonElement> values)
    {
        switch (c.Kind)
        {
            case SegmentFieldKind.Number:
                if (values.Any(v => v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble()))) return (c, "Expected a number.");
                return (c with { Numbers = values.Select(v => v.GetDouble()).ToList() }, null);
            case SegmentFieldKind.Boolean:
                if (values[0].ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return (c, "Expected true or false.");
                return (c with { Flag = values[0].GetBoolean() }, null);
            case SegmentFieldKind.Date:
                var dates = new List<DateOnly>();
                foreach (var v in values)
                {
                    if (v.ValueKind != JsonValueKind.String
                        || !DateOnly.TryParseExact(v.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                        return (c, "Expected a date as yyyy-MM-dd.");
                    dates.Add(date);
                }
                return (c with { Dates = dates }, null);
            case SegmentFieldKind.Timestamp:
                var instants = new List<DateTimeOffset>();
                foreach (var v in values)
                {
                    if (v.ValueKind != JsonValueKind.String || !TryReadInstant(v.GetString()!, out var instant))
                        return (c, "Expected a date (yyyy-MM-dd, UTC midnight) or an ISO 8601 time with its offset.");
                    instants.Add(instant);
                }
                return (c with { Instants = instants }, null);
        }

        var texts = new List<string>();
        foreach (var v in values)
        {
            if (v.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(v.GetString())) return (c, "Expected a non-empty string.");
            var text = v.GetString()!;
            if (text.Length > MaxTextLength) return (c, $"Expected at most {MaxTextLength} characters.");
            var problem = c switch
            {
                { Kind: SegmentFieldKind.Agent } or { Field: "labels" or "connection" } when !Guid.TryParse(text, out _) => "Expected an id.",
                { Field: "channel" or "reachableOn" or "lastChannel" } when !Channels.All.Contains(text) => $"Expected a channel: {string.Join(", ", Channels.All)}.",
                { Kind: SegmentFieldKind.Consent, Key: null } when text is not ("opted-in" or "opted-out") => "Expected opted-in or opted-out.",
                { Kind: SegmentFieldKind.Consent } when !ConsentStates.Contains(text) => $"Expected one of: {string.Join(", ", ConsentStates)}.",
                _ => null,
            };
            if (problem is not null) return (c, problem);
            // Ids compare as the stores write them: lower-case "D" format.
            texts.Add(c.Kind == SegmentFieldKind.Agent || c.Field is "labels" or "connection" ? Guid.Parse(text).ToString() : text);
        }
        return (c with { Texts = texts }, null);
    }

    private static bool TryReadInstant(string text, out DateTimeOffset instant)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            instant = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }
        // An instant needs its offset: a bare local time would mean a different moment on every server.
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant)
            && (text.EndsWith('Z') || OffsetSuffix().IsMatch(text));
    }

    private static string Truncate(string text) => text.Length > 64 ? text[..64] + "…" : text;

    private static SegmentNode? Problem(Dictionary<string, string[]> problems, string path, string message)
    {
        problems[path] = problems.TryGetValue(path, out var existing) ? [.. existing, message] : [message];
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex AttributeKey();

    [GeneratedRegex(@"[+-]\d\d:?\d\d$")]
    private static partial Regex OffsetSuffix();
}
