using System.Text.Json;
using Crm.Inbox.Customers.Import;

namespace Crm.Inbox.Tests.Customers.Import;

/// <summary>The mapping the wizard suggests from header names, and the checks on the mapping an agent sends.</summary>
public sealed class CustomerImportMappingTests
{
    private static readonly string[] Headers = ["Name", "电话", "Mobile", "E-mail", "City", "WhatsApp", "Internal id"];
    private static readonly CustomerImportMapping.Workspace Facts = new(new HashSet<string>(["city"], StringComparer.OrdinalIgnoreCase));

    private static (ImportMapping? Mapping, Dictionary<string, string[]> Problems) Read(string json)
        => CustomerImportMapping.Read(JsonDocument.Parse(json).RootElement, Headers, Facts);

    [Fact]
    public void Header_names_in_english_and_chinese_suggest_their_target_and_unknown_ones_suggest_nothing()
    {
        var suggested = CustomerImportMapping.Suggest(["姓名", "电话", "Mobile Phone", "E-mail", "手机号", "公司", "Name", "Internal id"]);

        Assert.Equal("name", suggested["姓名"]);
        Assert.Equal("phone", suggested["电话"]);
        Assert.Equal("phone", suggested["Mobile Phone"]);
        Assert.Equal("email", suggested["E-mail"]);
        Assert.Equal("phone", suggested["手机号"]);
        Assert.Equal("company", suggested["公司"]);
        // Name is already 姓名's: a target that is not repeatable is suggested once.
        Assert.Null(suggested["Name"]);
        Assert.Null(suggested["Internal id"]);
    }

    [Fact]
    public void A_valid_mapping_is_read_with_its_dedupe_rule_and_default_country()
    {
        var (mapping, problems) = Read("""
            {"columns": {"Name": "name", "电话": "phone", "Mobile": "phone", "City": "attribute.city", "WhatsApp": "consent.whatsapp", "Internal id": null},
             "dedupe": {"on": "phone", "whenFound": "skip"}, "defaultCountry": "cn"}
            """);

        Assert.Empty(problems);
        Assert.Equal(new DedupeRule("phone", "skip"), mapping!.Dedupe);
        Assert.Equal("CN", mapping.DefaultCountry);
        Assert.Equal("attribute.city", mapping.Columns["City"]);
        Assert.Null(mapping.Columns["Internal id"]);
    }

    [Fact]
    public void Every_problem_of_a_mapping_is_listed_keyed_by_the_column_or_field_it_is_about()
    {
        var (mapping, problems) = Read("""
            {"columns": {"Name": "name", "E-mail": "name", "Nope": "phone", "City": "attribute.size", "电话": "fax", "WhatsApp": "consent.sms"},
             "dedupe": {"on": "email", "whenFound": "merge"}, "defaultCountry": "XX"}
            """);

        Assert.Null(mapping);
        Assert.Contains("already name", problems["columns.E-mail"][0]);
        Assert.Contains("no such column", problems["columns.Nope"][0]);
        Assert.Contains("No custom attribute", problems["columns.City"][0]);
        Assert.Contains("Not a target", problems["columns.电话"][0]);
        Assert.Contains("per channel", problems["columns.WhatsApp"][0]);
        Assert.Contains("Map a column to email", problems["dedupe.on"][0]);
        Assert.True(problems.ContainsKey("dedupe.whenFound"));
        Assert.True(problems.ContainsKey("defaultCountry"));
    }

    [Fact]
    public void Dedupe_on_identity_needs_a_column_mapped_to_whatsapp()
    {
        var (_, without) = Read("""{"columns": {"Name": "name"}, "dedupe": {"on": "identity", "whenFound": "update"}}""");
        var (with, problems) = Read("""{"columns": {"WhatsApp": "whatsapp"}, "dedupe": {"on": "identity", "whenFound": "update"}}""");

        Assert.Contains("whatsapp", without["dedupe.on"][0]);
        Assert.Empty(problems);
        Assert.NotNull(with);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"columns": {}}""")]
    [InlineData("""{"columns": {"Name": 3}, "dedupe": {"on": "phone", "whenFound": "update"}}""")]
    [InlineData("""{"columns": {"Name": "name"}, "dedupe": {"on": "phone", "whenFound": "update"}, "extra": 1}""")]
    public void A_malformed_mapping_is_refused_not_thrown_on(string json)
    {
        var (mapping, problems) = Read(json);

        Assert.Null(mapping);
        Assert.NotEmpty(problems);
    }
}
