using System.Text.Json;
using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using Crm.Inbox.Customers.Import;

namespace Crm.Inbox.Tests.Customers.Import;

/// <summary>How a row is checked (every problem at once) and turned into what is applied.</summary>
public sealed class CustomerImportRowsTests
{
    private static readonly Guid Ann = Guid.Parse("a9e00000-0000-4000-8000-000000000001");
    private static readonly Label Vip = new(Guid.Parse("1abe1000-0000-4000-8000-000000000001"), Guid.Empty, "VIP", "#f00", DateTimeOffset.UnixEpoch);

    private static readonly string[] Headers =
        ["Name", "Phone", "Work phone", "Email", "Birthday", "Owner", "Stage", "WhatsApp", "Marketing", "Tags", "Plan", "Seats", "Language"];

    private static readonly CustomerAttributeDefinition Plan = new(Guid.NewGuid(), Guid.Empty, "plan", "Plan", AttributeTypes.Choice, ["Free", "Pro"], 0,
        DateTimeOffset.UnixEpoch);

    private static readonly CustomerAttributeDefinition Seats = new(Guid.NewGuid(), Guid.Empty, "seats", "Seats", AttributeTypes.Number, [], 1,
        DateTimeOffset.UnixEpoch);

    private static CustomerImportRows.Context Context(string? country = "CN") => new(
        Headers,
        new ImportMapping(new Dictionary<string, string?>
        {
            ["Name"] = "name", ["Phone"] = "phone", ["Work phone"] = "phone", ["Email"] = "email", ["Birthday"] = "birthday", ["Owner"] = "owner",
            ["Stage"] = "lifecycleStage", ["WhatsApp"] = "whatsapp", ["Marketing"] = "consent.whatsapp", ["Tags"] = "labels",
            ["Plan"] = "attribute.plan", ["Seats"] = "attribute.seats", ["Language"] = "language",
        }, new DedupeRule(DedupeKeys.Phone, WhenFound.Update), country),
        new Dictionary<string, Guid>(StringComparer.OrdinalIgnoreCase) { ["ann@shop.example"] = Ann },
        new Dictionary<string, Label>(StringComparer.OrdinalIgnoreCase) { ["VIP"] = Vip },
        new Dictionary<string, (string, CustomerImportRows.AttributeReader)>(StringComparer.OrdinalIgnoreCase)
        {
            ["plan"] = ("plan", CustomerImportAttributes.ReaderFor(Plan)), ["seats"] = ("seats", CustomerImportAttributes.ReaderFor(Seats)),
        },
        LifecycleStages.Default,
        new DateOnly(2026, 12, 4));

    private static string[] Cells(string name = "", string phone = "", string work = "", string email = "", string birthday = "", string owner = "",
        string stage = "", string whatsApp = "", string marketing = "", string tags = "", string plan = "", string seats = "", string language = "")
        => [name, phone, work, email, birthday, owner, stage, whatsApp, marketing, tags, plan, seats, language];

    [Fact]
    public void A_good_row_becomes_a_record_with_every_mapped_cell_typed()
    {
        var (record, rejection) = CustomerImportRows.Read(Context(), 7, Cells(" 张三 ", "138 0013 8000", "+1 (415) 555-0100", "zhang@example.com",
            "1990/3/4", "ANN@shop.example", "VIP", "+52 1 55 1234 5678", "yes", "vip; VIP", "pro", "12.5", "zh-Hans-CN"));

        Assert.Null(rejection?.Reasons is { } reasons ? string.Join(" | ", reasons) : null);
        Assert.Equal(7, record!.RowNumber);
        Assert.Equal("张三", record.Fields.Name);
        Assert.Equal(["+8613800138000", "+14155550100"], record.Fields.Phones.Select(p => p.Number));
        Assert.Equal(["zhang@example.com"], record.Fields.Emails.Select(e => e.Address));
        Assert.Equal(new DateOnly(1990, 3, 4), record.Fields.Birthday);
        Assert.Equal(Ann, record.Fields.OwnerAgentId);
        Assert.Equal("vip", record.Fields.LifecycleStage);
        // The same identity the WhatsApp connectors key this customer by: Mexico's +52 1 folded away.
        Assert.Equal("+525512345678", record.WhatsApp);
        Assert.Equal(ConsentStates.OptedIn, record.Consents["whatsapp"]);
        Assert.Equal([Vip], record.Labels);
        Assert.Equal("Pro", record.Fields.Attributes["plan"].GetString());
        Assert.Equal(12.5m, record.Fields.Attributes["seats"].GetDecimal());
        Assert.Equal("zh-Hans-CN", record.Fields.Language);
    }

    [Fact]
    public void Empty_cells_change_nothing_and_are_not_problems()
    {
        var (record, rejection) = CustomerImportRows.Read(Context(), 1, Cells(name: "Ann", phone: "+8613800138000"));

        Assert.Null(rejection);
        Assert.Null(record!.Fields.Birthday);
        Assert.Null(record.WhatsApp);
        Assert.Empty(record.Consents);
        Assert.Empty(record.Fields.Attributes);
    }

    [Fact]
    public void Every_problem_of_a_row_is_listed_with_its_column_and_nothing_of_it_is_applied()
    {
        var cells = Cells("Ann", "12345", "", "not-an-email", "04/03/1990", "nobody@shop.example", "prospect", "", "maybe", "VIP, Gold", "Enterprise", "lots",
            "english!");

        var (record, rejection) = CustomerImportRows.Read(Context(), 3, cells);

        Assert.Null(record);
        Assert.Equal(3, rejection!.RowNumber);
        Assert.Equal(cells, rejection.Cells);
        string[] expected = ["Phone:", "Email:", "Birthday:", "Owner:", "Stage:", "Marketing:", "Tags: No label named \"Gold\"", "Plan:", "Seats:", "Language:"];
        foreach (var start in expected) Assert.Contains(rejection.Reasons, r => r.StartsWith(start, StringComparison.Ordinal));
        Assert.Equal(expected.Length, rejection.Reasons.Count);
    }

    [Fact]
    public void A_national_number_needs_a_default_country()
    {
        var (_, rejection) = CustomerImportRows.Read(Context(country: null), 1, Cells(name: "Ann", phone: "138 0013 8000"));
        var (record, _) = CustomerImportRows.Read(Context(country: null), 1, Cells(name: "Ann", phone: "+86 138 0013 8000"));

        Assert.Contains("default country", Assert.Single(rejection!.Reasons));
        Assert.Equal(["+8613800138000"], record!.Fields.Phones.Select(p => p.Number));
    }

    [Fact]
    public void A_row_longer_than_the_header_or_entirely_empty_is_refused()
    {
        var (_, longer) = CustomerImportRows.Read(Context(), 1, [.. Cells(name: "Ann"), "surplus"]);
        var (_, empty) = CustomerImportRows.Read(Context(), 2, Cells());

        Assert.Contains("14 cells", Assert.Single(longer!.Reasons));
        Assert.Contains("empty", Assert.Single(empty!.Reasons));
    }

    [Theory]
    [InlineData("opted-out", ConsentStates.OptedOut)]
    [InlineData("NO", ConsentStates.OptedOut)]
    [InlineData("退订", ConsentStates.OptedOut)]
    [InlineData("1", ConsentStates.OptedIn)]
    [InlineData("是", ConsentStates.OptedIn)]
    public void Consent_cells_read_the_ways_people_write_yes_and_no(string cell, string expected)
    {
        var (record, _) = CustomerImportRows.Read(Context(), 1, Cells(name: "Ann", marketing: cell));

        Assert.Equal(expected, record!.Consents["whatsapp"]);
    }

    [Fact]
    public void An_imported_row_changes_only_what_it_has_and_adds_contacts_without_removing_any()
    {
        var current = new CustomerProfileFields
        {
            Name = "Old", Company = "Acme", Phones = [new ContactPhone("+14155550100", true)], Emails = [new ContactEmail("Ann@Example.com", true)],
            Attributes = new Dictionary<string, JsonElement> { ["plan"] = JsonSerializer.SerializeToElement("Free"), ["seats"] = JsonSerializer.SerializeToElement(3) },
        };
        var record = new ImportRecord
        {
            RowNumber = 1, Cells = [],
            Fields = new CustomerProfileFields
            {
                Name = "Ann", Phones = [new ContactPhone("+14155550100", false), new ContactPhone("+8613800138000", false)],
                Emails = [new ContactEmail("ann@example.com", false)],
                Attributes = new Dictionary<string, JsonElement> { ["plan"] = JsonSerializer.SerializeToElement("Pro") },
            },
        };

        var fields = CustomerImportChanges.Apply(current, record);

        Assert.Equal("Ann", fields.Name);
        Assert.Equal("Acme", fields.Company);
        Assert.Equal([("+14155550100", true), ("+8613800138000", false)], fields.Phones.Select(p => (p.Number, p.Verified)));
        Assert.Equal(["Ann@Example.com"], fields.Emails.Select(e => e.Address));
        Assert.Equal("Pro", fields.Attributes["plan"].GetString());
        Assert.Equal(3, fields.Attributes["seats"].GetInt32());
    }
}
