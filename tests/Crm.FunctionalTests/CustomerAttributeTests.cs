using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Inbox.Customers;

namespace Crm.FunctionalTests;

/// <summary>Custom attributes over the API: admins define them, every agent reads them, values are checked on write and audited.</summary>
public sealed class CustomerAttributeTests : CustomerWroteInTests
{
    private static async Task DefineAsync(HttpClient admin, object definition)
        => Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/customer-attributes", definition)).StatusCode);

    private static Task DefineEveryTypeAsync(HttpClient admin) => Task.WhenAll(
        DefineAsync(admin, new { key = "plan", label = "Plan", type = "choice", options = new[] { "Free", "Pro" }, position = 0 }),
        DefineAsync(admin, new { key = "seats", label = "Seats", type = "number", position = 1 }),
        DefineAsync(admin, new { key = "renewal", label = "Renewal", type = "date", position = 2 }),
        DefineAsync(admin, new { key = "beta", label = "Beta", type = "boolean", position = 3 }),
        DefineAsync(admin, new { key = "site", label = "Website", type = "url", position = 4 }),
        DefineAsync(admin, new { key = "tags", label = "Interests", type = "multi-choice", options = new[] { "tea", "golf", "jazz" }, position = 5 }),
        DefineAsync(admin, new { key = "nickname", label = "Nickname", type = "text", position = 6 }));

    [Fact]
    public async Task An_admin_defines_attributes_every_agent_reads_them_in_order_and_an_agent_may_not_define_them()
    {
        var ann = await App.SignInAsync("ann");
        var bob = await PlainAgentAsync();
        await DefineAsync(ann, new { key = "plan", label = "Plan", type = "choice", options = new[] { " Free ", "Pro" }, position = 0 });
        // Without a position: after the last one.
        await DefineAsync(ann, new { key = "seats", label = "Seats", type = "number" });

        var again = await ann.PostAsJsonAsync("/api/customer-attributes", new { key = "plan", label = "Plan again", type = "text" });
        var byAgent = await bob.PostAsJsonAsync("/api/customer-attributes", new { key = "mine", label = "Mine", type = "text" });
        var changedByAgent = await bob.PutAsJsonAsync("/api/customer-attributes/seats", new { label = "Mine" });
        var deletedByAgent = await bob.DeleteAsync("/api/customer-attributes/seats");
        var listed = (await bob.GetFromJsonAsync<List<CustomerAttributeDefinition>>("/api/customer-attributes"))!;

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden),
            (byAgent.StatusCode, changedByAgent.StatusCode, deletedByAgent.StatusCode));
        Assert.Equal(["plan", "seats"], listed.Select(d => d.Key));
        Assert.Equal("Seats", listed[1].Label);
        Assert.Equal(["Free", "Pro"], listed[0].Options);
        Assert.Equal((AttributeTypes.Number, 1), (listed[1].Type, listed[1].Position));
    }

    [Fact]
    public async Task A_malformed_definition_is_a_400_keyed_by_field()
    {
        var ann = await App.SignInAsync("ann");

        var response = await ann.PostAsJsonAsync("/api/customer-attributes",
            new { key = "Bad Key", label = "", type = "choice", options = new[] { "a", "A" }, position = -1 });
        var wrongType = await ann.PostAsJsonAsync("/api/customer-attributes", new { key = "colour", label = "Colour", type = "colour" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["key", "label", "options", "position"], await ErrorsAsync(response));
        Assert.Equal(["type"], await ErrorsAsync(wrongType));
        Assert.Empty((await ann.GetFromJsonAsync<List<CustomerAttributeDefinition>>("/api/customer-attributes"))!);
    }

    [Theory]
    [InlineData("POST", "/api/customer-attributes", """{"key":"plan","label":"Plan","type":"choice","options":"Free"}""")]
    [InlineData("POST", "/api/customer-attributes", """{"key":7,"label":"Plan","type":"text"}""")]
    [InlineData("POST", "/api/customer-attributes", "{")]
    [InlineData("POST", "/api/customer-attributes", "")]
    [InlineData("PUT", "/api/customer-attributes/plan", """{"label":"Plan","position":"first"}""")]
    [InlineData("PUT", "/api/customer-lifecycle-stages", """{"stages":"lead"}""")]
    [InlineData("PUT", "/api/customer-lifecycle-stages", """{"stages":[1,2]}""")]
    public async Task A_body_of_the_wrong_shape_is_a_400_never_a_500(string method, string path, string body)
    {
        var ann = await App.SignInAsync("ann");
        await DefineAsync(ann, new { key = "plan", label = "Plan", type = "choice", options = new[] { "Free" } });

        var response = await ann.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Values_of_every_type_are_set_shown_on_the_profile_and_each_changed_key_is_in_the_history()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await DefineEveryTypeAsync(ann);

        var response = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new
        {
            version = 0,
            attributes = new Dictionary<string, object>
            {
                ["plan"] = "pro", ["seats"] = 12, ["renewal"] = "2027-01-31", ["beta"] = true, ["site"] = "https://acme.example/",
                ["tags"] = new[] { "jazz", "tea" }, ["nickname"] = "Ali",
            },
        });
        var profile = await ProfileAsync(ann, customer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, profile.Profile.Version);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["plan"] = "\"Pro\"", ["seats"] = "12", ["renewal"] = "\"2027-01-31\"", ["beta"] = "true", ["site"] = "\"https://acme.example/\"",
                ["tags"] = """["tea","jazz"]""", ["nickname"] = "\"Ali\"",
            },
            profile.Profile.Fields.Attributes.ToDictionary(a => a.Key, a => a.Value.GetRawText()));
        Assert.Equal(["attribute.beta", "attribute.nickname", "attribute.plan", "attribute.renewal", "attribute.seats", "attribute.site", "attribute.tags"],
            (await HistoryAsync(ann, customer)).Select(c => c.Field).Order());
    }

    [Fact]
    public async Task Only_the_given_keys_change_null_clears_one_and_the_history_says_from_what_to_what()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await DefineEveryTypeAsync(ann);
        await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, attributes = new { plan = "Free", seats = 3 } });

        var response = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 1, attributes = new { seats = (int?)null, beta = false } });
        var profile = await ProfileAsync(ann, customer);
        var latest = (await HistoryAsync(ann, customer)).Where(c => c.Version == 2).Select(c => (c.Field, c.From, c.To)).Order().ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["beta", "plan"], profile.Profile.Fields.Attributes.Keys.Order());
        Assert.Equal([("attribute.beta", null, "false"), ("attribute.seats", "3", null)], latest);
    }

    [Fact]
    public async Task Invalid_values_are_a_400_keyed_by_attribute_and_change_nothing()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await DefineEveryTypeAsync(ann);

        var response = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new
        {
            version = 0,
            company = "Acme",
            attributes = new Dictionary<string, object>
            {
                ["plan"] = "Gold", ["seats"] = "twelve", ["renewal"] = "2027-02-30", ["beta"] = "yes", ["site"] = "acme.example",
                ["tags"] = new[] { "tea", "tea" }, ["colour"] = "red",
            },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["attributes.beta", "attributes.colour", "attributes.plan", "attributes.renewal", "attributes.seats", "attributes.site", "attributes.tags"],
            await ErrorsAsync(response));
        var profile = await ProfileAsync(ann, customer);
        Assert.Equal((0L, null), (profile.Profile.Version, profile.Profile.Fields.Company));
        Assert.Empty(profile.Profile.Fields.Attributes);
    }

    [Fact]
    public async Task An_attribute_change_made_against_a_stale_version_is_a_409_with_the_current_profile()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await DefineEveryTypeAsync(ann);
        await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, attributes = new { plan = "Free" } });

        var stale = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, attributes = new { plan = "Pro" } });
        var current = await stale.Content.ReadFromJsonAsync<CustomersApi.CustomerDetails>();

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("\"Free\"", current!.Profile.Fields.Attributes["plan"].GetRawText());
    }

    [Fact]
    public async Task A_type_never_changes_and_an_option_or_definition_customers_hold_is_not_removed_from_under_them()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await DefineEveryTypeAsync(ann);
        await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, attributes = new { plan = "Pro" } });

        var retyped = await ann.PutAsJsonAsync("/api/customer-attributes/plan", new { label = "Plan", type = "text" });
        var optionDropped = await ann.PutAsJsonAsync("/api/customer-attributes/plan", new { label = "Plan", options = new[] { "Free" } });
        var deleted = await ann.DeleteAsync("/api/customer-attributes/plan");
        var relabelled = await ann.PutAsJsonAsync("/api/customer-attributes/plan", new { label = "Subscription", options = new[] { "Free", "Pro", "Max" }, position = 9 });

        Assert.Equal(HttpStatusCode.Conflict, retyped.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, optionDropped.StatusCode);
        Assert.Equal(new Dictionary<string, long> { ["Pro"] = 1 }, await HeldByAsync(optionDropped));
        Assert.Equal(HttpStatusCode.Conflict, deleted.StatusCode);
        Assert.Equal(new Dictionary<string, long> { ["plan"] = 1 }, await HeldByAsync(deleted));
        Assert.Equal(HttpStatusCode.OK, relabelled.StatusCode);
        var definition = (await relabelled.Content.ReadFromJsonAsync<CustomerAttributeDefinition>())!;
        Assert.Equal(("Subscription", 9, 3), (definition.Label, definition.Position, definition.Options.Count));

        await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 1, attributes = new { plan = (string?)null } });
        Assert.Equal(HttpStatusCode.NoContent, (await ann.DeleteAsync("/api/customer-attributes/plan")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ann.DeleteAsync("/api/customer-attributes/plan")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ann.PutAsJsonAsync("/api/customer-attributes/plan", new { label = "Plan", options = new[] { "Free" } })).StatusCode);
    }

    [Fact]
    public async Task Another_workspace_never_sees_changes_or_uses_this_workspaces_attributes()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await DefineEveryTypeAsync(ann);
        var bea = await OtherWorkspaceAdminAsync();

        var theirs = await bea.PostAsJsonAsync("/api/customer-attributes", new { key = "plan", label = "Their plan", type = "text" });
        var listed = (await bea.GetFromJsonAsync<List<CustomerAttributeDefinition>>("/api/customer-attributes"))!;
        var changed = await bea.PutAsJsonAsync("/api/customer-attributes/seats", new { label = "Hijacked" });
        var deleted = await bea.DeleteAsync("/api/customer-attributes/seats");
        var set = await bea.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, attributes = new { plan = "anything" } });

        Assert.Equal(HttpStatusCode.Created, theirs.StatusCode);
        Assert.Equal(["plan"], listed.Select(d => d.Key));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (changed.StatusCode, deleted.StatusCode, set.StatusCode));
        var mine = (await ann.GetFromJsonAsync<List<CustomerAttributeDefinition>>("/api/customer-attributes"))!;
        Assert.Equal((AttributeTypes.Choice, "Plan"), (mine.Single(d => d.Key == "plan").Type, mine.Single(d => d.Key == "plan").Label));
        Assert.Equal("Seats", mine.Single(d => d.Key == "seats").Label);
        // Their "plan" is text: a value only it would accept is still refused here.
        var free = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, attributes = new { plan = "anything" } });
        Assert.Equal(["attributes.plan"], await ErrorsAsync(free));
    }
}
