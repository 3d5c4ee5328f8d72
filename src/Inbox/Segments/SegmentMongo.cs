using System.Globalization;
using System.Text.RegularExpressions;
using MongoDB.Bson;
using static Crm.Inbox.Segments.SegmentOperators;

namespace Crm.Inbox.Segments;

/// <summary>
/// A filter as a MongoDB filter document over the customers collection: the same meaning as <see cref="SegmentSql"/>, case by
/// case. Arrays (identities, consents) are matched with $elemMatch so that both terms hold for one element; labels are an
/// array of ids; a birthday anniversary is a set of month-days matched on the stored "yyyy-MM-dd". Values are BSON values,
/// never text spliced into an expression (text searches are escaped regexes).
/// </summary>
public static class SegmentMongo
{
    public static BsonDocument Translate(SegmentGroup filter, DateTimeOffset now) => Node(filter, now);

    private static BsonDocument Node(SegmentNode node, DateTimeOffset now) => node switch
    {
        SegmentGroup group => new BsonDocument(group.All ? "$and" : "$or", new BsonArray(group.Conditions.Select(c => Node(c, now)))),
        SegmentCondition condition => Condition(condition, now),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private static BsonDocument Condition(SegmentCondition c, DateTimeOffset now) => c.Kind switch
    {
        SegmentFieldKind.Text or SegmentFieldKind.Choice or SegmentFieldKind.Agent or SegmentFieldKind.ContactList => Scalar(c, Path(c)),
        SegmentFieldKind.Date => Date(c, Path(c), now),
        SegmentFieldKind.Timestamp => Timestamp(c, Path(c), now),
        SegmentFieldKind.Number => Number(c, Path(c)),
        SegmentFieldKind.Boolean => Boolean(c),
        SegmentFieldKind.Set => Set(c),
        SegmentFieldKind.Consent => Consent(c),
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    private static string Path(SegmentCondition c) => c.Field switch
    {
        "name" => "displayName",
        "createdAt" => "createdAtTicks",
        "firstSeenAt" or "lastInboundAt" or "lastOutboundAgentAt" or "lastOutboundAutomationAt" => c.Field + "Ticks",
        "phone" => "phones.number",
        "email" => "emails.address",
        "attribute" => "attributes." + c.Key,
        _ => c.Field,
    };

    private static BsonDocument Is(string path, BsonValue test) => new(path, test);

    private static BsonValue Value(SegmentCondition c, string text)
        => c.Kind == SegmentFieldKind.Agent || c.Field is "labels" or "connection"
            ? new BsonBinaryData(Guid.Parse(text), GuidRepresentation.Standard)
            : new BsonString(text);

    private static BsonDocument Scalar(SegmentCondition c, string path)
    {
        if (c.Kind == SegmentFieldKind.ContactList && c.Operator is IsPresent or IsAbsent)
            return Is(path.Split('.')[0] + ".0", new BsonDocument("$exists", c.Operator == IsPresent));
        if (c.Field == "lifecycleStage" && c.Operator is EqualTo or NotEquals or InList)
        {
            // A stage matches whatever its case, as in SQLite (COLLATE NOCASE): the whole value, ignoring case.
            var stages = new BsonArray(c.Texts.Select(t => new BsonRegularExpression("^" + Regex.Escape(t) + "$", "i")));
            return c.Operator == NotEquals ? Is(path, new BsonDocument("$not", stages[0])) : Is(path, new BsonDocument("$in", stages));
        }
        return c.Operator switch
        {
            EqualTo => Is(path, Value(c, c.Texts[0])),
            NotEquals => Is(path, new BsonDocument("$ne", Value(c, c.Texts[0]))),
            // As SQLite's LIKE: case-insensitive; the text itself is escaped, so it matches only literally.
            Contains => Is(path, new BsonRegularExpression(Regex.Escape(c.Texts[0]), "i")),
            StartsWith => Is(path, new BsonRegularExpression("^" + Regex.Escape(c.Texts[0]), "i")),
            InList => Is(path, new BsonDocument("$in", new BsonArray(c.Texts.Select(t => Value(c, t))))),
            // Absent, null and "" are all "no value", as ifnull(x, '') = '' in SQL.
            IsPresent => Is(path, new BsonDocument("$nin", new BsonArray { BsonNull.Value, "" })),
            IsAbsent => Is(path, new BsonDocument("$in", new BsonArray { BsonNull.Value, "" })),
            _ => Unsupported(c),
        };
    }

    private static BsonDocument Date(SegmentCondition c, string path, DateTimeOffset now)
    {
        static BsonString Day(DateOnly d) => new(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return c.Operator switch
        {
            EqualTo => Is(path, Day(c.Dates[0])),
            NotEquals => Is(path, new BsonDocument("$ne", Day(c.Dates[0]))),
            GreaterThan => Is(path, new BsonDocument("$gt", Day(c.Dates[0]))),
            LessThan => Is(path, new BsonDocument("$lt", Day(c.Dates[0]))),
            SegmentOperators.Between => Is(path, new BsonDocument { { "$gte", Day(c.Dates[0]) }, { "$lte", Day(c.Dates[1]) } }),
            IsToday => Is(path, Day(SegmentDates.Today(now))),
            AnniversaryWithinDays => Is(path, new BsonDocument("$in", new BsonArray(
                SegmentDates.AnniversaryMonthDays(now, c.Days).Select(md => new BsonRegularExpression($"^\\d{{4}}-{md}$"))))),
            IsPresent => Is(path, new BsonDocument("$ne", BsonNull.Value)),
            IsAbsent => Is(path, BsonNull.Value),
            _ => Unsupported(c),
        };
    }

    private static BsonDocument Timestamp(SegmentCondition c, string path, DateTimeOffset now)
    {
        var today = SegmentDates.Today(now);
        return c.Operator switch
        {
            GreaterThan => Is(path, new BsonDocument("$gt", c.Instants[0].UtcTicks)),
            LessThan => Is(path, new BsonDocument("$lt", c.Instants[0].UtcTicks)),
            SegmentOperators.Between => Is(path, new BsonDocument { { "$gte", c.Instants[0].UtcTicks }, { "$lte", c.Instants[1].UtcTicks } }),
            MoreThanDaysAgo => Is(path, new BsonDocument("$lt", SegmentDates.DaysAgoTicks(now, c.Days))),
            LessThanDaysAgo => Is(path, new BsonDocument("$gt", SegmentDates.DaysAgoTicks(now, c.Days))),
            WithinLastDays => Is(path, new BsonDocument { { "$gte", SegmentDates.StartTicks(today.AddDays(-c.Days)) }, { "$lte", now.UtcTicks } }),
            IsToday => Is(path, new BsonDocument { { "$gte", SegmentDates.StartTicks(today) }, { "$lt", SegmentDates.StartTicks(today.AddDays(1)) } }),
            IsPresent => Is(path, new BsonDocument("$ne", BsonNull.Value)),
            IsAbsent or Never => Is(path, BsonNull.Value),
            _ => Unsupported(c),
        };
    }

    private static BsonDocument Number(SegmentCondition c, string path)
    {
        var test = c.Operator switch
        {
            EqualTo => Is(path, c.Numbers[0]),
            NotEquals => Is(path, new BsonDocument("$ne", c.Numbers[0])),
            GreaterThan => Is(path, new BsonDocument("$gt", c.Numbers[0])),
            LessThan => Is(path, new BsonDocument("$lt", c.Numbers[0])),
            SegmentOperators.Between => Is(path, new BsonDocument { { "$gte", c.Numbers[0] }, { "$lte", c.Numbers[1] } }),
            InList => Is(path, new BsonDocument("$in", new BsonArray(c.Numbers))),
            IsPresent => Is(path, new BsonDocument("$ne", BsonNull.Value)),
            IsAbsent => Is(path, BsonNull.Value),
            _ => Unsupported(c),
        };
        // Counts are never missing in SQLite (NOT NULL DEFAULT 0): a document from before they were kept counts as 0.
        if (c.Field is "inboundCount" or "outboundCount" && Holds(c, 0))
            return new BsonDocument("$or", new BsonArray { test, Is(path, BsonNull.Value) });
        return test;
    }

    private static bool Holds(SegmentCondition c, double value) => c.Operator switch
    {
        EqualTo => value == c.Numbers[0],
        NotEquals => value != c.Numbers[0],
        GreaterThan => value > c.Numbers[0],
        LessThan => value < c.Numbers[0],
        SegmentOperators.Between => value >= c.Numbers[0] && value <= c.Numbers[1],
        InList => c.Numbers.Contains(value),
        _ => false,
    };

    private static BsonDocument Boolean(SegmentCondition c)
    {
        if (c.Field == "hasUnreachableIdentity")
        {
            var any = Is("identities", new BsonDocument("$elemMatch", new BsonDocument("unreachableAtTicks", new BsonDocument("$ne", BsonNull.Value))));
            return c.Flag ? any : Not(any);
        }
        var path = Path(c);
        return c.Operator switch
        {
            EqualTo => Is(path, c.Flag),
            IsPresent => Is(path, new BsonDocument("$ne", BsonNull.Value)),
            IsAbsent => Is(path, BsonNull.Value),
            _ => Unsupported(c),
        };
    }

    private static BsonDocument Not(BsonDocument test) => new("$nor", new BsonArray { test });

    private static BsonDocument Set(SegmentCondition c)
    {
        // One element of the set (null: any element) as a filter on the document.
        BsonDocument Has(BsonValue? member)
        {
            var values = member ?? new BsonDocument("$exists", true);
            return c.Field switch
            {
                "labels" => member is null ? Is("labelIds.0", new BsonDocument("$exists", true)) : Is("labelIds", member),
                "channel" => Is("identities", new BsonDocument("$elemMatch", new BsonDocument("channel", values))),
                "connection" => Is("identities", new BsonDocument("$elemMatch", new BsonDocument("connectionId", member ?? new BsonDocument("$ne", BsonNull.Value)))),
                "reachableOn" => Is("identities", new BsonDocument("$elemMatch", new BsonDocument { { "channel", values }, { "unreachableAtTicks", BsonNull.Value } })),
                // A multi-choice value is an array of strings; a scalar matches as a one-element set, as json_each reads it.
                _ => Is(Path(c), member ?? new BsonDocument("$exists", true)),
            };
        }
        BsonValue AnyOf(IEnumerable<string> texts) => new BsonDocument("$in", new BsonArray(texts.Select(t => Value(c, t))));
        var present = c.Field == "attribute" ? Is(Path(c), new BsonDocument("$nin", new BsonArray { BsonNull.Value, new BsonArray() })) : Has(null);
        return c.Operator switch
        {
            HasAnyOf => Has(AnyOf(c.Texts)),
            HasAllOf => new BsonDocument("$and", new BsonArray(c.Texts.Select(t => Has(Value(c, t))))),
            HasNoneOf => Not(Has(AnyOf(c.Texts))),
            EqualTo => Has(Value(c, c.Texts[0])),
            NotEquals => Not(Has(Value(c, c.Texts[0]))),
            IsPresent => present,
            IsAbsent => Not(present),
            _ => Unsupported(c),
        };
    }

    private static BsonDocument Consent(SegmentCondition c)
    {
        // No element for the channel is no recorded choice: "none".
        BsonDocument IsState(string state)
        {
            if (c.Key is null) return Is("consents", new BsonDocument("$elemMatch", new BsonDocument("state", state)));
            return state == "none"
                ? Not(Is("consents", new BsonDocument("$elemMatch", new BsonDocument("channel", c.Key))))
                : Is("consents", new BsonDocument("$elemMatch", new BsonDocument { { "channel", c.Key }, { "state", state } }));
        }
        return c.Operator switch
        {
            EqualTo => IsState(c.Texts[0]),
            NotEquals => Not(IsState(c.Texts[0])),
            InList => new BsonDocument("$or", new BsonArray(c.Texts.Select(IsState))),
            _ => Unsupported(c),
        };
    }

    private static BsonDocument Unsupported(SegmentCondition c)
        => throw new InvalidOperationException($"{c.Operator} on {c.Field} passed validation but has no translation.");
}
