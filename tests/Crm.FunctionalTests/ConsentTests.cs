using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Workspaces;

namespace Crm.FunctionalTests;

/// <summary>Consent per channel through the real pipeline: a customer's keyword, an agent's choice, the audit, the live push, isolation.</summary>
public sealed class ConsentTests : SignedInAgentTests
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000fd");

    private async Task<Guid> CustomerWroteAsync(string sid, string text)
    {
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText(sid, "+14155550100", text));
        return (await Feed.MessageAddedAsync(m => m.ChannelMessageId == sid)).CustomerId;
    }

    private async Task<CustomerProfile> ProfileAsync(Guid customer)
        => (await Agent.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{customer}"))!.Profile;

    [Fact]
    public async Task Stop_sent_over_a_signed_twilio_webhook_opts_the_customer_out_of_whatsapp_with_the_keyword_as_its_source()
    {
        var customer = await CustomerWroteAsync("SMstop", " Stop ");

        var profile = await ProfileAsync(customer);
        var history = await Agent.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{customer}/history");

        var consent = Assert.Single(profile.Consents);
        Assert.Equal((Channels.WhatsApp, ConsentStates.OptedOut, ConsentSources.Keyword, "Stop", (Guid?)null),
            (consent.Channel, consent.State, consent.Source, consent.Detail, consent.ChangedBy));
        Assert.Contains(history!.Items, c => c is { Field: "consent.whatsapp", From: null, To: ConsentStates.OptedOut, ChangedBy: null });
        // The customer's own message is not an agent's change: nothing is pushed as one.
        Assert.Empty(Feed.All("CustomerChanged"));
    }

    [Fact]
    public async Task An_agents_opt_in_is_recorded_with_the_agent_and_note_audited_and_pushed_live_to_the_workspace()
    {
        var customer = await CustomerWroteAsync("SMhello", "hello");
        var annId = (await Agent.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;

        var response = await Agent.PutAsJsonAsync($"/api/customers/{customer}/consent/messenger", new { state = "opted-in", note = "  said yes in the shop " });
        var details = await response.Content.ReadFromJsonAsync<CustomersApi.CustomerDetails>();
        var pushed = await Feed.CustomerChangedAsync(c => c.CustomerId == customer);
        var history = await Agent.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{customer}/history");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var consent = Assert.Single(details!.Profile.Consents);
        Assert.Equal((Channels.Messenger, ConsentStates.OptedIn, ConsentSources.Agent, "said yes in the shop", (Guid?)annId),
            (consent.Channel, consent.State, consent.Source, consent.Detail, consent.ChangedBy));
        Assert.Equal((1L, 1L), (details.Profile.Version, pushed.Version));
        Assert.Equal(ConsentStates.OptedIn, Assert.Single(pushed.Profile.Consents).State);
        var entry = Assert.Single(history!.Items);
        Assert.Equal(("consent.messenger", (string?)null, "opted-in", (Guid?)annId), (entry.Field, entry.From, entry.To, entry.ChangedBy));
    }

    [Fact]
    public async Task Recording_the_choice_the_customer_already_has_changes_nothing_and_pushes_nothing()
    {
        var customer = await CustomerWroteAsync("SMstop2", "STOP");

        var response = await Agent.PutAsJsonAsync($"/api/customers/{customer}/consent/whatsapp", new { state = "opted-out" });
        var details = await response.Content.ReadFromJsonAsync<CustomersApi.CustomerDetails>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ConsentSources.Keyword, Assert.Single(details!.Profile.Consents).Source);
        Assert.Single((await Agent.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{customer}/history"))!.Items);
        Assert.Empty(Feed.All("CustomerChanged"));
    }

    [Theory]
    [InlineData("whatsapp", """{"state":"maybe"}""", "state")]
    [InlineData("whatsapp", """{}""", "state")]
    [InlineData("whatsapp", "", "state")]
    [InlineData("telegram", """{"state":"opted-out"}""", "channel")]
    [InlineData("whatsapp", """{"state":"opted-out","note":"NOTE"}""", "note")]
    public async Task A_bad_consent_request_is_a_400_about_the_field_and_records_nothing(string channel, string body, string field)
    {
        var customer = await CustomerWroteAsync("SMbad", "hello");

        var response = await Agent.PutAsync($"/api/customers/{customer}/consent/{channel}",
            new StringContent(body.Replace("NOTE", new string('x', ConsentApi.MaxNoteLength + 1)), System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Empty((await ProfileAsync(customer)).Consents);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1, 2]")]
    [InlineData("""{"state": 42}""")]
    public async Task A_consent_body_that_is_not_the_expected_json_is_a_400_never_a_500(string body)
    {
        var customer = await CustomerWroteAsync("SMjson", "hello");

        var response = await Agent.PutAsync($"/api/customers/{customer}/consent/whatsapp", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty((await ProfileAsync(customer)).Consents);
    }

    [Fact]
    public async Task An_agent_of_another_workspace_gets_404_and_neither_changes_the_consent_nor_hears_of_changes()
    {
        var customer = await CustomerWroteAsync("SMmine", "hello");
        var bea = await App.SignInAsync("bea", OtherWorkspace, AgentRoles.Admin);
        await using var beasFeed = await App.ConnectAgentAsync(bea);

        var theirs = await bea.PutAsJsonAsync($"/api/customers/{customer}/consent/whatsapp", new { state = "opted-out" });
        await Agent.PutAsJsonAsync($"/api/customers/{customer}/consent/wechat", new { state = "opted-in" });
        await Feed.CustomerChangedAsync(c => c.CustomerId == customer);

        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.Equal([Channels.WeChat], (await ProfileAsync(customer)).Consents.Select(c => c.Channel));
        Assert.Empty(beasFeed.All("CustomerChanged"));
    }
}

/// <summary>WeChat's follow and unfollow events are the channel's own consent.</summary>
public sealed class WeChatConsentTests : WeChatAccountTests
{
    [Fact]
    public async Task A_wechat_unfollow_opts_the_customer_out_of_wechat_as_a_channel_event_and_a_follow_opts_them_back_in()
    {
        await App.PostPlainAsync(WeChatFakes.Xml("event", "<Event><![CDATA[unsubscribe]]></Event><EventKey><![CDATA[]]></EventKey>", createTime: 1764763300));
        var unfollowed = await Feed.MessageAddedAsync(m => m.ChannelMessageId == $"event:{WeChatFakes.Customer}:1764763300:unsubscribe");
        var optedOut = Assert.Single((await Agent.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{unfollowed.CustomerId}"))!.Profile.Consents);

        await App.PostPlainAsync(WeChatFakes.Xml("event", "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey>", createTime: 1764763400));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == $"event:{WeChatFakes.Customer}:1764763400:subscribe");
        var optedIn = Assert.Single((await Agent.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{unfollowed.CustomerId}"))!.Profile.Consents);

        Assert.Equal((Channels.WeChat, ConsentStates.OptedOut, ConsentSources.ChannelEvent, "unsubscribed"), (optedOut.Channel, optedOut.State, optedOut.Source, optedOut.Detail));
        Assert.Equal((ConsentStates.OptedIn, ConsentSources.ChannelEvent, "subscribed"), (optedIn.State, optedIn.Source, optedIn.Detail));
    }
}
