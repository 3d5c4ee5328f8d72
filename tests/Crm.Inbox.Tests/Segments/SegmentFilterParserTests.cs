using System.Text.Json;
using Crm.Inbox.Segments;

namespace Crm.Inbox.Tests.Segments;

public sealed class SegmentFilterParserTests
{
    private static readonly SegmentSchema Schema = new(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["score"] = "number", ["plan"] = "choice", ["interests"] = "multi-choice", ["city"] = "text", ["since"] = "date",
    });

    private static (SegmentGroup? Filter, Dictionary<string, string[]>? Problems) Parse(string json)
        => SegmentFilterParser.Parse(JsonDocument.Parse(json).RootElement, Schema);

    private static string One(string condition) => $$"""{"op":"and","conditions":[{{condition}}]}""";

    [Theory]
    [InlineData("""{"field":"attribute.score","operator":"contains","value":"4"}""", "filter.conditions[0].operator")]
    [InlineData("""{"field":"attribute.plan","operator":"startsWith","value":"p"}""", "filter.conditions[0].operator")]
    [InlineData("""{"field":"inboundCount","operator":"isAbsent"}""", "filter.conditions[0].operator")]
    [InlineData("""{"field":"createdAt","operator":"equals","value":"2026-01-01"}""", "filter.conditions[0].operator")]
    [InlineData("""{"field":"attribute.since","operator":"anniversaryWithinDays","value":3}""", "filter.conditions[0].operator")]
    [InlineData("""{"field":"consent","operator":"equals","value":"none"}""", "filter.conditions[0].value")]
    [InlineData("""{"field":"consent","operator":"inList","value":["opted-out"]}""", "filter.conditions[0].operator")]
    [InlineData("""{"field":"createdAt","operator":"greaterThan","value":"2026-01-01T10:00:00"}""", "filter.conditions[0].value")]
    [InlineData("""{"field":"ownerAgentId","operator":"equals","value":"ann"}""", "filter.conditions[0].value")]
    [InlineData("""{"field":"channel","operator":"hasAnyOf","value":["fax"]}""", "filter.conditions[0].value")]
    [InlineData("""{"field":"labels","operator":"hasAllOf","value":[]}""", "filter.conditions[0].value")]
    [InlineData("""{"field":"attribute.nope","operator":"isPresent"}""", "filter.conditions[0].field")]
    [InlineData("""{"field":"attribute.a.b","operator":"isPresent"}""", "filter.conditions[0].field")]
    [InlineData("""{"field":"name","operator":"equals","value":"a","extra":1}""", "filter.conditions[0].extra")]
    public void An_operator_or_value_that_does_not_fit_the_field_is_refused_at_its_path(string condition, string path)
    {
        var (filter, problems) = Parse(One(condition));

        Assert.Null(filter);
        Assert.Contains(path, problems!.Keys);
    }

    [Fact]
    public void Values_are_read_as_their_field_type_and_ids_normalized()
    {
        var (filter, problems) = Parse("""
            {"op":"or","conditions":[
              {"field":"attribute.SCORE","operator":"between","value":[1.5,3]},
              {"field":"ownerAgentId","operator":"equals","value":"A0A00000-0000-4000-8000-000000000001"},
              {"field":"createdAt","operator":"lessThan","value":"2026-01-01T08:00:00+08:00"},
              {"field":"consent.whatsapp","operator":"notEquals","value":"opted-out"}]}
            """);

        Assert.Null(problems);
        Assert.False(filter!.All);
        var conditions = filter.Conditions.Cast<SegmentCondition>().ToList();
        Assert.Equal(("attribute", "score", SegmentFieldKind.Number), (conditions[0].Field, conditions[0].Key, conditions[0].Kind));
        Assert.Equal([1.5, 3], conditions[0].Numbers);
        Assert.Equal(["a0a00000-0000-4000-8000-000000000001"], conditions[1].Texts);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), conditions[2].Instants[0].ToUniversalTime());
        Assert.Equal(("consent", "whatsapp"), (conditions[3].Field, conditions[3].Key));
    }

    [Fact]
    public void A_filter_of_more_than_a_hundred_conditions_is_refused()
    {
        var conditions = string.Join(",", Enumerable.Repeat("""{"field":"name","operator":"isPresent"}""", 101));

        var (_, problems) = Parse($$"""{"op":"and","conditions":[{{conditions}}]}""");

        Assert.NotNull(problems);
    }

    [Fact]
    public void A_single_condition_without_a_group_is_read_as_a_group_of_one()
    {
        var (filter, problems) = Parse("""{"field":"name","operator":"isPresent"}""");

        Assert.Null(problems);
        Assert.True(filter!.All);
        Assert.Single(filter.Conditions);
    }

    [Theory]
    // 2028 is a leap year: 29 February is its own day, and 1 March only itself.
    [InlineData("2028-02-27", 2, new[] { "02-27", "02-28", "02-29" })]
    [InlineData("2028-02-29", 1, new[] { "02-29", "03-01" })]
    // In 2027 a 29 February birthday falls on 1 March.
    [InlineData("2027-02-28", 1, new[] { "02-28", "02-29", "03-01" })]
    [InlineData("2026-12-30", 3, new[] { "01-01", "01-02", "12-30", "12-31" })]
    public void Anniversaries_are_the_month_days_from_today_with_29_february_on_1_march_in_other_years(string today, int days, string[] expected)
    {
        var now = new DateTimeOffset(DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture).ToDateTime(new TimeOnly(23, 0)), TimeSpan.Zero);

        Assert.Equal(expected, SegmentDates.AnniversaryMonthDays(now, days));
    }
}
