using System.Globalization;
using System.Text;
using static Crm.Inbox.Segments.SegmentOperators;

namespace Crm.Inbox.Segments;

/// <summary>
/// A filter as a SQLite WHERE clause over <c>customers c</c>. Every value is a parameter ($s0, $s1…), never part of the text;
/// the text holds only column names chosen here. Identities, consents, labels and multi-choice values are EXISTS
/// subqueries (each on its table's customer key: ix_customer_identities_customer, the primary keys of customer_consents
/// and customer_labels); attributes are read with json_extract from attributes_json.
/// </summary>
public sealed class SegmentSql
{
    private readonly List<(string Name, object? Value)> parameters = [];
    private readonly DateTimeOffset now;

    private SegmentSql(DateTimeOffset now) => this.now = now;

    public IReadOnlyList<(string Name, object? Value)> Parameters => parameters;

    /// <summary>The condition (to AND into a query over <c>customers c</c>) and its parameters.</summary>
    public static (string Where, IReadOnlyList<(string Name, object? Value)> Parameters) Translate(SegmentGroup filter, DateTimeOffset now)
    {
        var sql = new SegmentSql(now);
        return (sql.Node(filter), sql.parameters);
    }

    private string Node(SegmentNode node) => node switch
    {
        SegmentGroup group => "(" + string.Join(group.All ? " AND " : " OR ", group.Conditions.Select(Node)) + ")",
        SegmentCondition condition => "(" + Condition(condition) + ")",
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private string Param(object? value)
    {
        var name = $"$s{parameters.Count}";
        parameters.Add((name, value));
        return name;
    }

    private string List(IEnumerable<object?> values) => string.Join(", ", values.Select(Param));

    private string Condition(SegmentCondition c) => c.Kind switch
    {
        SegmentFieldKind.Text or SegmentFieldKind.Choice or SegmentFieldKind.Agent => Scalar(c, Column(c)),
        SegmentFieldKind.ContactList => Contacts(c),
        SegmentFieldKind.Date => Date(c, Column(c)),
        SegmentFieldKind.Timestamp => Timestamp(c, Column(c)),
        SegmentFieldKind.Number => Number(c, Column(c)),
        SegmentFieldKind.Boolean => Boolean(c),
        SegmentFieldKind.Set => Set(c),
        SegmentFieldKind.Consent => Consent(c),
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    private string Column(SegmentCondition c) => c.Field switch
    {
        "name" => "c.display_name",
        "language" => "c.language",
        "timeZone" => "c.time_zone",
        "company" => "c.company",
        "lifecycleStage" => "c.lifecycle_stage",
        "valueTier" => "c.value_tier",
        "lastChannel" => "c.last_channel",
        "ownerAgentId" => "c.owner_agent_id",
        "birthday" => "c.birthday",
        "createdAt" => "c.created_at",
        "firstSeenAt" => "c.first_seen_at",
        "lastInboundAt" => "c.last_inbound_at",
        "lastOutboundAgentAt" => "c.last_outbound_agent_at",
        "lastOutboundAutomationAt" => "c.last_outbound_automation_at",
        "inboundCount" => "c.inbound_count",
        "outboundCount" => "c.outbound_count",
        "attribute" => $"json_extract(c.attributes_json, {Param(AttributePath(c.Key!))})",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c.Field, "No column for this field."),
    };

    /// <summary>The key quoted as a JSON path member, so no key can reach into another.</summary>
    public static string AttributePath(string key) => $"$.\"{key}\"";

    private string Scalar(SegmentCondition c, string e) => c.Operator switch
    {
        // A stage matches whatever its case, as the workspace's stages do (a customer keeps the spelling a stage had then).
        EqualTo when c.Field == "lifecycleStage" => $"{e} = {Param(c.Texts[0])} COLLATE NOCASE",
        NotEquals when c.Field == "lifecycleStage" => $"{e} IS NOT {Param(c.Texts[0])} COLLATE NOCASE",
        InList when c.Field == "lifecycleStage" => $"{e} COLLATE NOCASE IN ({List(c.Texts)})",
        EqualTo => $"{e} = {Param(c.Texts[0])}",
        NotEquals => $"{e} IS NOT {Param(c.Texts[0])}",
        Contains => $"{e} LIKE {Param("%" + EscapeLike(c.Texts[0]) + "%")} ESCAPE '\\'",
        StartsWith => $"{e} LIKE {Param(EscapeLike(c.Texts[0]) + "%")} ESCAPE '\\'",
        InList => $"{e} IN ({List(c.Texts)})",
        IsPresent => $"ifnull({e}, '') <> ''",
        IsAbsent => $"ifnull({e}, '') = ''",
        _ => Unsupported(c),
    };

    private string Contacts(SegmentCondition c)
    {
        var (column, member) = c.Field == "phone" ? ("c.phones_json", "$.number") : ("c.emails_json", "$.address");
        if (c.Operator is IsPresent or IsAbsent)
            return $"json_array_length(ifnull({column}, '[]')) {(c.Operator == IsPresent ? ">" : "=")} 0";
        return $"EXISTS (SELECT 1 FROM json_each(ifnull({column}, '[]')) j WHERE {Scalar(c, $"json_extract(j.value, '{member}')")})";
    }

    private string Date(SegmentCondition c, string e)
    {
        string Day(DateOnly d) => Param(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return c.Operator switch
        {
            EqualTo => $"{e} = {Day(c.Dates[0])}",
            NotEquals => $"{e} IS NOT {Day(c.Dates[0])}",
            GreaterThan => $"{e} > {Day(c.Dates[0])}",
            LessThan => $"{e} < {Day(c.Dates[0])}",
            SegmentOperators.Between => $"{e} BETWEEN {Day(c.Dates[0])} AND {Day(c.Dates[1])}",
            IsToday => $"{e} = {Day(SegmentDates.Today(now))}",
            AnniversaryWithinDays => $"substr({e}, 6, 5) IN ({List(SegmentDates.AnniversaryMonthDays(now, c.Days))})",
            IsPresent => $"{e} IS NOT NULL",
            IsAbsent => $"{e} IS NULL",
            _ => Unsupported(c),
        };
    }

    private string Timestamp(SegmentCondition c, string e)
    {
        var today = SegmentDates.Today(now);
        return c.Operator switch
        {
            GreaterThan => $"{e} > {Param(c.Instants[0].UtcTicks)}",
            LessThan => $"{e} < {Param(c.Instants[0].UtcTicks)}",
            SegmentOperators.Between => $"{e} BETWEEN {Param(c.Instants[0].UtcTicks)} AND {Param(c.Instants[1].UtcTicks)}",
            MoreThanDaysAgo => $"{e} < {Param(SegmentDates.DaysAgoTicks(now, c.Days))}",
            LessThanDaysAgo => $"{e} > {Param(SegmentDates.DaysAgoTicks(now, c.Days))}",
            WithinLastDays => $"{e} BETWEEN {Param(SegmentDates.StartTicks(today.AddDays(-c.Days)))} AND {Param(now.UtcTicks)}",
            IsToday => $"{e} >= {Param(SegmentDates.StartTicks(today))} AND {e} < {Param(SegmentDates.StartTicks(today.AddDays(1)))}",
            IsPresent => $"{e} IS NOT NULL",
            IsAbsent or Never => $"{e} IS NULL",
            _ => Unsupported(c),
        };
    }

    private string Number(SegmentCondition c, string e) => c.Operator switch
    {
        EqualTo => $"{e} = {Param(c.Numbers[0])}",
        NotEquals => $"{e} IS NOT {Param(c.Numbers[0])}",
        GreaterThan => $"{e} > {Param(c.Numbers[0])}",
        LessThan => $"{e} < {Param(c.Numbers[0])}",
        SegmentOperators.Between => $"{e} BETWEEN {Param(c.Numbers[0])} AND {Param(c.Numbers[1])}",
        InList => $"{e} IN ({List(c.Numbers.Cast<object?>())})",
        IsPresent => $"{e} IS NOT NULL",
        IsAbsent => $"{e} IS NULL",
        _ => Unsupported(c),
    };

    private string Boolean(SegmentCondition c)
    {
        if (c.Field == "hasUnreachableIdentity")
            return $"{(c.Flag ? "" : "NOT ")}EXISTS (SELECT 1 FROM customer_identities i WHERE i.customer_id = c.id AND i.unreachable_at IS NOT NULL)";
        var e = Column(c);
        return c.Operator switch
        {
            // json_extract reads JSON true/false as 1/0.
            EqualTo => $"{e} = {(c.Flag ? 1 : 0)}",
            IsPresent => $"{e} IS NOT NULL",
            IsAbsent => $"{e} IS NULL",
            _ => Unsupported(c),
        };
    }

    /// <summary>An EXISTS over the rows holding the customer's set, with <c>{0}</c> standing for the member expression.</summary>
    private string SetSource(SegmentCondition c, out string member) => c.Field switch
    {
        "labels" => Use("l.label_id", "SELECT 1 FROM customer_labels l WHERE l.customer_id = c.id", out member),
        "channel" => Use("i.channel", "SELECT 1 FROM customer_identities i WHERE i.customer_id = c.id", out member),
        "connection" => Use("i.connection_id", "SELECT 1 FROM customer_identities i WHERE i.customer_id = c.id AND i.connection_id IS NOT NULL", out member),
        "reachableOn" => Use("i.channel", "SELECT 1 FROM customer_identities i WHERE i.customer_id = c.id AND i.unreachable_at IS NULL", out member),
        "attribute" => Use("j.value", $"SELECT 1 FROM json_each(c.attributes_json, {Param(AttributePath(c.Key!))}) j WHERE 1 = 1", out member),
        _ => throw new ArgumentOutOfRangeException(nameof(c), c.Field, "Not a set field."),
    };

    private static string Use(string member, string source, out string memberOut)
    {
        memberOut = member;
        return source;
    }

    private string Set(SegmentCondition c)
    {
        string Exists(string? test)
        {
            var source = SetSource(c, out var member);
            return $"EXISTS ({source}{(test is null ? "" : $" AND {member} {test}")})";
        }
        return c.Operator switch
        {
            HasAnyOf => Exists($"IN ({List(c.Texts)})"),
            HasAllOf => string.Join(" AND ", c.Texts.Select(t => Exists($"= {Param(t)}"))),
            HasNoneOf => "NOT " + Exists($"IN ({List(c.Texts)})"),
            EqualTo => Exists($"= {Param(c.Texts[0])}"),
            NotEquals => "NOT " + Exists($"= {Param(c.Texts[0])}"),
            IsPresent => Exists(null),
            IsAbsent => "NOT " + Exists(null),
            _ => Unsupported(c),
        };
    }

    private string Consent(SegmentCondition c)
    {
        // No row is no recorded choice: "none".
        string Is(string state)
        {
            if (c.Key is null) return $"EXISTS (SELECT 1 FROM customer_consents k WHERE k.customer_id = c.id AND k.state = {Param(state)})";
            var channel = Param(c.Key);
            return state == "none"
                ? $"NOT EXISTS (SELECT 1 FROM customer_consents k WHERE k.customer_id = c.id AND k.channel = {channel})"
                : $"EXISTS (SELECT 1 FROM customer_consents k WHERE k.customer_id = c.id AND k.channel = {channel} AND k.state = {Param(state)})";
        }
        return c.Operator switch
        {
            EqualTo => Is(c.Texts[0]),
            NotEquals => "NOT " + Is(c.Texts[0]),
            InList => string.Join(" OR ", c.Texts.Select(Is)),
            _ => Unsupported(c),
        };
    }

    private static string EscapeLike(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var ch in text)
        {
            if (ch is '%' or '_' or '\\') escaped.Append('\\');
            escaped.Append(ch);
        }
        return escaped.ToString();
    }

    private static string Unsupported(SegmentCondition c)
        => throw new InvalidOperationException($"{c.Operator} on {c.Field} passed validation but has no translation.");
}
