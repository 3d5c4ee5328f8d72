using System.Text.Json;
using Crm.Inbox.Customers;

namespace Crm.Inbox.Tests.Customers;

/// <summary>How attribute values, definitions and stages are checked, and the one form a value is stored in.</summary>
public sealed class CustomerAttributeRulesTests
{
    private static readonly DateOnly Today = new(2026, 12, 3);
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
    private static readonly Guid Workspace = Guid.Parse("0b0e0000-0000-4000-8000-00000000000a");

    private static CustomerAttributeDefinition Definition(string key, string type, params string[] options)
        => new(Guid.NewGuid(), Workspace, key, key, type, options, 0, T0);

    private static readonly CustomerSchema Schema = new(
    [
        Definition("note", AttributeTypes.Text), Definition("seats", AttributeTypes.Number), Definition("renewal", AttributeTypes.Date),
        Definition("beta", AttributeTypes.Boolean), Definition("site", AttributeTypes.Url), Definition("plan", AttributeTypes.Choice, "Free", "Pro"),
        Definition("tags", AttributeTypes.MultiChoice, "a", "b", "c"),
    ], ["lead", "Customer", "VIP"]);

    private static readonly CustomerProfileFields Current = new()
    {
        Name = "Alice",
        Attributes = new Dictionary<string, JsonElement> { ["plan"] = JsonSerializer.SerializeToElement("Free"), ["seats"] = JsonSerializer.SerializeToElement(3) },
    };

    private static (CustomerProfileFields? Fields, Dictionary<string, string[]> Problems) Apply(string attributesJson)
    {
        var (fields, _, problems) = CustomerProfileRules.Apply(Current, JsonDocument.Parse($$"""{"version": 1, "attributes": {{attributesJson}}}""").RootElement, Today, Schema);
        return (fields, problems);
    }

    private static string? Stored(CustomerProfileFields fields, string key)
        => fields.Attributes.TryGetValue(key, out var value) ? value.GetRawText() : null;

    [Theory]
    [InlineData("note", "\"  likes tea  \"", "\"likes tea\"")]
    [InlineData("seats", "12", "12")]
    [InlineData("seats", "12.0", "12")]
    [InlineData("seats", "-0.25", "-0.25")]
    [InlineData("seats", "1e3", "1000")]
    [InlineData("renewal", "\"2027-02-28\"", "\"2027-02-28\"")]
    [InlineData("beta", "false", "false")]
    [InlineData("site", "\"https://acme.example/path?q=1\"", "\"https://acme.example/path?q=1\"")]
    [InlineData("site", "\"http://localhost:8080\"", "\"http://localhost:8080\"")]
    [InlineData("plan", "\"pro\"", "\"Pro\"")]
    [InlineData("tags", "[\"c\", \"A\"]", "[\"a\",\"c\"]")]
    public void A_valid_value_is_stored_in_its_one_canonical_form(string key, string sent, string stored)
    {
        var (fields, problems) = Apply($$"""{"{{key}}": {{sent}}}""");

        Assert.Empty(problems);
        Assert.Equal(stored, Stored(fields!, key));
    }

    [Theory]
    [InlineData("note", "5", "Must be text or null.")]
    [InlineData("seats", "\"12\"", "Must be a number or null.")]
    [InlineData("seats", "1e16", "Must be between -1000000000000000 and 1000000000000000.")]
    [InlineData("seats", "-2e15", "Must be between -1000000000000000 and 1000000000000000.")]
    [InlineData("seats", "1e400", "Must be a number or null.")]
    [InlineData("renewal", "\"2027-02-30\"", "Must be a date, yyyy-MM-dd, or null.")]
    [InlineData("renewal", "\"31/01/2027\"", "Must be a date, yyyy-MM-dd, or null.")]
    [InlineData("renewal", "\"2027-01-31T00:00:00Z\"", "Must be a date, yyyy-MM-dd, or null.")]
    [InlineData("beta", "\"true\"", "Must be true, false or null.")]
    [InlineData("beta", "1", "Must be true, false or null.")]
    [InlineData("site", "\"acme.example\"", "Must be an absolute http or https URL of at most 2048 characters.")]
    [InlineData("site", "\"javascript:alert(1)\"", "Must be an absolute http or https URL of at most 2048 characters.")]
    [InlineData("site", "\"ftp://acme.example/file\"", "Must be an absolute http or https URL of at most 2048 characters.")]
    [InlineData("site", "\"/relative/path\"", "Must be an absolute http or https URL of at most 2048 characters.")]
    [InlineData("plan", "\"Gold\"", "Must be one of: Free, Pro.")]
    [InlineData("plan", "[\"Pro\"]", "Must be one of the options or null.")]
    [InlineData("tags", "\"a\"", "Must be a list of options or null.")]
    [InlineData("tags", "[\"a\", \"d\"]", "\"d\" is not one of: a, b, c.")]
    [InlineData("tags", "[\"a\", \"A\"]", "\"a\" is listed twice.")]
    [InlineData("tags", "[\"a\", 1]", "Must be a list of options or null.")]
    public void A_value_of_the_wrong_kind_is_refused_keyed_by_its_attribute_and_nothing_changes(string key, string sent, string problem)
    {
        var (fields, problems) = Apply($$"""{"{{key}}": {{sent}}, "note": "fine"}""");

        Assert.Null(fields);
        Assert.Equal([problem], problems[$"attributes.{key}"]);
        Assert.Single(problems);
    }

    [Fact]
    public void Only_the_given_keys_change_and_null_an_empty_text_or_an_empty_list_clears_one()
    {
        var (fields, problems) = Apply("""{"seats": null, "note": "  ", "tags": [], "beta": true}""");

        Assert.Empty(problems);
        Assert.Equal(["beta", "plan"], fields!.Attributes.Keys.Order());
        Assert.Equal("\"Free\"", Stored(fields, "plan"));
    }

    [Fact]
    public void A_key_the_workspace_did_not_define_is_refused_and_a_known_key_matches_whatever_its_case()
    {
        var (unknown, problems) = Apply("""{"colour": "red"}""");
        var (cased, casedProblems) = Apply("""{"PLAN": "Pro"}""");

        Assert.Null(unknown);
        Assert.Equal(["Not an attribute of this workspace."], problems["attributes.colour"]);
        Assert.Empty(casedProblems);
        Assert.Equal("\"Pro\"", Stored(cased!, "plan"));
    }

    [Fact]
    public void Attributes_that_are_not_an_object_are_refused()
    {
        var (fields, problems) = Apply("""["plan"]""");

        Assert.Null(fields);
        Assert.Contains("attributes", problems.Keys);
    }

    [Fact]
    public void Without_a_workspace_schema_no_attribute_is_accepted()
    {
        var (fields, _, problems) = CustomerProfileRules.Apply(Current, JsonDocument.Parse("""{"version": 1, "attributes": {"plan": "Pro"}}""").RootElement, Today);

        Assert.Null(fields);
        Assert.Equal(["Not an attribute of this workspace."], problems["attributes.plan"]);
    }

    [Theory]
    [InlineData("vip", "VIP")]
    [InlineData(" customer ", "Customer")]
    public void A_lifecycle_stage_is_matched_whatever_its_case_and_stored_in_the_workspaces_spelling(string sent, string stored)
    {
        var (fields, _, problems) = CustomerProfileRules.Apply(Current, JsonDocument.Parse($$"""{"version": 1, "lifecycleStage": "{{sent}}"}""").RootElement, Today, Schema);

        Assert.Empty(problems);
        Assert.Equal(stored, fields!.LifecycleStage);
    }

    [Fact]
    public void A_lifecycle_stage_the_workspace_does_not_have_is_refused_naming_the_ones_it_has()
    {
        var (fields, _, problems) = CustomerProfileRules.Apply(Current, JsonDocument.Parse("""{"version": 1, "lifecycleStage": "churned"}""").RootElement, Today, Schema);

        Assert.Null(fields);
        Assert.Equal(["Must be one of the workspace's stages: lead, Customer, VIP."], problems["lifecycleStage"]);
    }

    [Fact]
    public void A_changed_attribute_is_one_history_field_each_a_cleared_one_a_change_to_nothing_after_the_fixed_fields()
    {
        var after = Current with
        {
            Company = "Acme",
            Attributes = new Dictionary<string, JsonElement> { ["plan"] = JsonSerializer.SerializeToElement("Pro"), ["tags"] = JsonSerializer.SerializeToElement(new[] { "a", "b" }) },
        };

        var changes = after.ChangesFrom(Current);

        Assert.Equal([("company", null, "Acme"), ("attribute.plan", "Free", "Pro"), ("attribute.seats", "3", null), ("attribute.tags", null, """["a","b"]""")],
            changes.Select(c => (c.Field, c.From, c.To)).ToList());
    }

    [Theory]
    [InlineData("plan", "Plan", "choice", new[] { "Free", "Pro" }, null)]
    [InlineData("renewal_date2", "Renewal", "date", new string[0], null)]
    [InlineData("Plan", "Plan", "text", new string[0], "key")]
    [InlineData("2fa", "2FA", "boolean", new string[0], "key")]
    [InlineData("plan-name", "Plan", "text", new string[0], "key")]
    [InlineData("plan", " ", "text", new string[0], "label")]
    [InlineData("plan", "Plan", "colour", new string[0], "type")]
    [InlineData("plan", "Plan", "choice", new string[0], "options")]
    [InlineData("plan", "Plan", "choice", new[] { "Pro", "pro" }, "options")]
    [InlineData("plan", "Plan", "choice", new[] { "Pro", "" }, "options")]
    [InlineData("plan", "Plan", "text", new[] { "Pro" }, "options")]
    public void A_definition_needs_a_lower_case_key_a_label_a_known_type_and_options_only_for_choices(string key, string label, string type, string[] options,
        string? problem)
    {
        var problems = CustomerAttributeRules.DefinitionProblems(key, label, type, options, 0);

        Assert.Equal(problem is null ? [] : [problem], problems.Keys);
    }

    [Theory]
    [InlineData(new[] { "lead", " trial ", "customer" }, null)]
    [InlineData(new string[0], "1 to 50 stages, in order.")]
    [InlineData(new[] { "lead", "LEAD" }, "Stages must differ (whatever their case).")]
    [InlineData(new[] { "lead", "  " }, "Each stage must be 1 to 50 characters.")]
    public void Stages_are_one_to_fifty_distinct_names(string[] stages, string? problem)
    {
        var (list, refused) = CustomerAttributeRules.Stages(stages);

        Assert.Equal(problem, refused);
        if (problem is null) Assert.Equal(["lead", "trial", "customer"], list);
    }
}
