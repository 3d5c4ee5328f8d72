using System.Text.Json;
using Crm.Inbox.Customers;

namespace Crm.Inbox.Tests.Customers;

/// <summary>How a partial profile change is read and checked, and how an age is worked out.</summary>
public sealed class CustomerProfileRulesTests
{
    private static readonly DateOnly Today = new(2026, 12, 3);

    private static readonly CustomerProfileFields Current = new()
    {
        Name = "Alice",
        Company = "Acme",
        Phones = [new ContactPhone("+14155550100", true)],
    };

    private static (CustomerProfileFields? Fields, long Version, Dictionary<string, string[]> Problems) Apply(string json)
        => CustomerProfileRules.Apply(Current, JsonDocument.Parse(json).RootElement, Today);

    [Fact]
    public void Fields_left_out_are_kept_null_clears_one_and_text_is_trimmed()
    {
        var (fields, version, problems) = Apply("""{"version": 3, "company": null, "notes": "  likes tea  ", "language": "zh-Hans-CN"}""");

        Assert.Empty(problems);
        Assert.Equal(3, version);
        Assert.Equal(Current with { Company = null, Notes = "likes tea", Language = "zh-Hans-CN" }, fields);
        Assert.Same(Current.Phones, fields!.Phones);
    }

    [Theory]
    [InlineData("+14155550100")]
    [InlineData("+8613800138000")]
    [InlineData("+5491123456789")]
    public void Valid_e164_numbers_are_accepted(string number)
    {
        var (fields, _, problems) = Apply($$"""{"version": 0, "phones": [{"number": "{{number}}", "verified": false}]}""");

        Assert.Empty(problems);
        Assert.Equal([new ContactPhone(number, false)], fields!.Phones);
    }

    [Theory]
    [InlineData("14155550100")]
    [InlineData("+1 415 555 0100")]
    [InlineData("+1415555")]
    [InlineData("+999123456789")]
    [InlineData("+1-415-555-0100")]
    public void Numbers_that_are_not_valid_e164_are_refused(string number)
    {
        var (fields, _, problems) = Apply($$"""{"version": 0, "phones": [{"number": "{{number}}", "verified": false}]}""");

        Assert.Null(fields);
        Assert.Equal(["phones[0].number"], problems.Keys);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("alice@")]
    [InlineData("Alice <alice@example.com>")]
    [InlineData("alice@localhost")]
    [InlineData("al ice@example.com")]
    public void Addresses_that_are_not_plain_emails_are_refused(string address)
    {
        var (_, _, problems) = Apply($$"""{"version": 0, "emails": [{"address": "{{address}}"}]}""");

        Assert.Equal(["emails[0].address"], problems.Keys);
    }

    [Fact]
    public void The_same_email_twice_is_refused_whatever_its_case()
    {
        var (_, _, problems) = Apply("""{"version": 0, "emails": [{"address": "a@example.com"}, {"address": "A@example.com"}]}""");

        Assert.Equal(["emails[1].address"], problems.Keys);
    }

    [Theory]
    [InlineData("""{"version": 0, "timeZone": "China Standard Time"}""", "timeZone")]
    [InlineData("""{"version": 0, "timeZone": "Mars/Olympus_Mons"}""", "timeZone")]
    [InlineData("""{"version": 0, "birthday": "2026-12-04"}""", "birthday")]
    [InlineData("""{"version": 0, "birthday": "1990-02-30"}""", "birthday")]
    [InlineData("""{"version": 0, "language": "english please"}""", "language")]
    [InlineData("""{"version": 0, "name": 42}""", "name")]
    [InlineData("""{"version": -1}""", "version")]
    [InlineData("""{"version": 0, "age": 30}""", "age")]
    public void Each_invalid_field_is_a_problem_keyed_by_that_field(string json, string field)
    {
        var (fields, _, problems) = Apply(json);

        Assert.Null(fields);
        Assert.Equal([field], problems.Keys);
    }

    [Fact]
    public void Text_longer_than_its_limit_is_refused()
    {
        var (_, _, problems) = Apply($$"""{"version": 0, "company": "{{new string('x', CustomerProfileRules.MaxShortText + 1)}}"}""");

        Assert.Equal(["company"], problems.Keys);
    }

    [Fact]
    public void An_iana_zone_and_a_birthday_today_are_accepted()
    {
        var (fields, _, problems) = Apply("""{"version": 0, "timeZone": "America/Argentina/Buenos_Aires", "birthday": "2026-12-03"}""");

        Assert.Empty(problems);
        Assert.Equal(("America/Argentina/Buenos_Aires", Today), (fields!.TimeZone, fields.Birthday));
    }

    [Theory]
    [InlineData("1990-12-03", 36)]
    [InlineData("1990-12-04", 35)]
    [InlineData("2000-02-29", 26)]
    public void The_age_is_whole_years_on_the_day(string birthday, int age)
    {
        var profile = new CustomerProfile(Guid.NewGuid(), Guid.Empty, new CustomerProfileFields { Birthday = DateOnly.Parse(birthday) }, [], default, 0);

        Assert.Equal(age, profile.AgeOn(Today));
    }

    [Fact]
    public void A_29_february_birthday_turns_a_year_older_on_1_march_in_other_years()
    {
        var profile = new CustomerProfile(Guid.NewGuid(), Guid.Empty, new CustomerProfileFields { Birthday = new DateOnly(2000, 2, 29) }, [], default, 0);

        Assert.Equal((24, 25), (profile.AgeOn(new DateOnly(2025, 2, 28)), profile.AgeOn(new DateOnly(2025, 3, 1))));
    }

    [Fact]
    public void A_cursor_round_trips_any_name_and_junk_is_not_a_cursor()
    {
        var cursor = new CustomerPageCursor("Zoë 张", Guid.NewGuid());

        Assert.True(CustomerPageCursor.TryParse(cursor.Encode(), out var parsed));
        Assert.Equal(cursor, parsed);
        Assert.False(CustomerPageCursor.TryParse("!!", out _));
        Assert.False(CustomerPageCursor.TryParse("AAAA", out _));
    }
}
