using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Inbox.Customers;
using Crm.Inbox.Workspaces;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>The customer profile over the API: what a customer who wrote in gets, changes with history, conflicts, validation, isolation.</summary>
public sealed class CustomerProfileTests : IAsyncLifetime
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000fe");
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    /// <summary>Alice writes in on WhatsApp; Ann is signed in to the workspace that received it.</summary>
    private async Task<(HttpClient Ann, Guid Customer)> AliceWroteInAsync()
    {
        var ann = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(ann);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMprofile", "+14155550100", "hello", profileName: "Alice"));
        var message = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMprofile");
        return (ann, message.CustomerId);
    }

    [Fact]
    public async Task A_customer_who_wrote_in_has_a_profile_with_their_channel_identity_and_is_listed()
    {
        var (ann, customer) = await AliceWroteInAsync();

        var details = await ann.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{customer}");
        var list = await ann.GetFromJsonAsync<CustomersApi.CustomerPage>("/api/customers?limit=10");

        Assert.Equal("Alice", details!.Profile.Fields.Name);
        Assert.Equal(0, details.Profile.Version);
        Assert.Equal("+14155550100", Assert.Single(details.Profile.Identities).Value);
        Assert.Null(details.Age);
        Assert.Equal([customer], list!.Items.Select(c => c.Id));
        Assert.Null(list.NextCursor);
    }

    [Fact]
    public async Task A_change_sets_only_the_given_fields_and_the_history_shows_who_changed_what_from_what_to_what()
    {
        var (ann, customer) = await AliceWroteInAsync();
        var annId = (await ann.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;
        var birthday = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-30).AddDays(-1);

        var response = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new
        {
            version = 0,
            company = "Acme",
            ownerAgentId = annId,
            timeZone = "Asia/Shanghai",
            birthday = birthday.ToString("yyyy-MM-dd"),
            phones = new[] { new { number = "+8613800138000", verified = true } },
        });
        var changed = await response.Content.ReadFromJsonAsync<CustomersApi.CustomerDetails>();
        var history = await ann.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{customer}/history");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, changed!.Profile.Version);
        Assert.Equal(("Alice", "Acme", "Asia/Shanghai"), (changed.Profile.Fields.Name, changed.Profile.Fields.Company, changed.Profile.Fields.TimeZone));
        Assert.Equal([new ContactPhone("+8613800138000", true)], changed.Profile.Fields.Phones);
        Assert.Equal(30, changed.Age);
        Assert.Equal(annId, changed.Profile.Fields.OwnerAgentId);
        Assert.Equal(["timeZone", "phones", "ownerAgentId", "company", "birthday"], history!.Items.Select(c => c.Field));
        Assert.All(history.Items, c => Assert.Equal((annId, 1L), (c.ChangedBy!.Value, c.Version)));
        Assert.Contains(history.Items, c => c is { Field: "company", From: null, To: "Acme" });
    }

    [Fact]
    public async Task A_change_made_against_a_stale_version_is_refused_with_409_and_the_current_profile()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, company = "Acme" });

        var stale = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, company = "Globex" });
        var current = await stale.Content.ReadFromJsonAsync<CustomersApi.CustomerDetails>();

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal((1L, "Acme"), (current!.Profile.Version, current.Profile.Fields.Company));
    }

    [Fact]
    public async Task Invalid_fields_are_refused_with_400_keyed_by_field_and_change_nothing()
    {
        var (ann, customer) = await AliceWroteInAsync();

        var response = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new
        {
            version = 0,
            phones = new[] { new { number = "+1415555", verified = false }, new { number = "+14155550100", verified = false } },
            emails = new[] { new { address = "not an email", verified = false } },
            timeZone = "Mars/Olympus_Mons",
            birthday = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(3).ToString("yyyy-MM-dd"),
            notes = new string('x', CustomerProfileRules.MaxNotes + 1),
            language = "not a tag!",
        });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["birthday", "emails[0].address", "language", "notes", "phones[0].number", "timeZone"], errors);
        Assert.Equal(0, (await ann.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{customer}"))!.Profile.Version);
    }

    [Theory]
    [InlineData("""{"company":"Acme"}""", "version")]
    [InlineData("""{"version":0,"favouriteColour":"blue"}""", "favouriteColour")]
    [InlineData("""{"version":0,"birthday":"31/12/1990"}""", "birthday")]
    [InlineData("""{"version":0,"ownerAgentId":"nobody"}""", "ownerAgentId")]
    [InlineData("""{"version":0,"ownerAgentId":"0b0e0000-0000-4000-8000-000000000001"}""", "ownerAgentId")]
    public async Task A_malformed_change_is_a_400_about_the_field_never_a_500(string body, string field)
    {
        var (ann, customer) = await AliceWroteInAsync();

        var response = await ann.PatchAsync($"/api/customers/{customer}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("")]
    [InlineData("[1, 2]")]
    public async Task A_body_that_is_not_a_json_object_is_a_400_never_a_500(string body)
    {
        var (ann, customer) = await AliceWroteInAsync();

        var response = await ann.PatchAsync($"/api/customers/{customer}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task An_agent_of_another_workspace_gets_404_for_the_customer_and_does_not_see_them_listed()
    {
        var (ann, customer) = await AliceWroteInAsync();
        var bea = await app.SignInAsync("bea", OtherWorkspace, AgentRoles.Admin);

        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/customers/{customer}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/customers/{customer}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, company = "Hijack" })).StatusCode);
        Assert.Empty((await bea.GetFromJsonAsync<CustomersApi.CustomerPage>("/api/customers"))!.Items);
        Assert.Null((await ann.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{customer}"))!.Profile.Fields.Company);
    }

    [Fact]
    public async Task A_cursor_the_api_did_not_return_is_a_400()
    {
        var ann = await app.SignInAsync("ann");

        Assert.Equal(HttpStatusCode.BadRequest, (await ann.GetAsync("/api/customers?cursor=%21%21")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ann.GetAsync("/api/customers?limit=0")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
