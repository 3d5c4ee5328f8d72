using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Workspaces;

namespace Crm.FunctionalTests;

/// <summary>Behaviour kept by the system, and the profile's history paged past its newest entries, through the real pipeline.</summary>
public sealed class CustomerBehaviourTests : SignedInAgentTests
{
    private async Task<CustomerProfile> ProfileAsync(Guid customer)
        => (await Agent.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{customer}"))!.Profile;

    [Fact]
    public async Task Messages_each_way_are_counted_and_timed_overall_and_per_channel_and_a_redelivered_webhook_counts_once()
    {
        var first = TwilioFakes.WhatsAppText("SMfirst", "+14155550100", "hello");
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", first);
        var conversation = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMfirst")).ConversationId;
        // Twilio retries a webhook it thinks failed: the same message again.
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", first);
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMsecond", "+14155550100", "anyone?"));
        var second = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMsecond");
        Twilio.AcceptsMessages();
        var reply = await ReplyAsync(conversation, "yes, hi!");

        var behaviour = (await ProfileAsync(second.CustomerId)).Behaviour;

        Assert.Equal((2L, 1L, Channels.WhatsApp), (behaviour.InboundCount, behaviour.OutboundCount, behaviour.LastChannel));
        Assert.Equal((second.CreatedAt, reply.CreatedAt, (DateTimeOffset?)null), (behaviour.LastInboundAt!.Value, behaviour.LastOutboundAgentAt!.Value, behaviour.LastOutboundAutomationAt));
        Assert.True(behaviour.FirstSeenAt < behaviour.LastInboundAt);
        var whatsapp = Assert.Single(behaviour.Channels);
        Assert.Equal((Channels.WhatsApp, 2L, 1L, behaviour.FirstSeenAt, behaviour.LastInboundAt),
            (whatsapp.Channel, whatsapp.InboundCount, whatsapp.OutboundCount, whatsapp.FirstSeenAt, whatsapp.LastInboundAt));
    }

    [Fact]
    public async Task History_pages_past_its_newest_entries_with_the_cursor_each_page_returns()
    {
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMhistory", "+14155550100", "hello"));
        var customer = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMhistory")).CustomerId;
        for (var version = 0; version < 5; version++)
            Assert.Equal(HttpStatusCode.OK, (await Agent.PatchAsJsonAsync($"/api/customers/{customer}", new { version, company = $"Acme {version}" })).StatusCode);

        var companies = new List<string?>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = (await Agent.GetFromJsonAsync<CustomersApi.CustomerHistory>(
                $"/api/customers/{customer}/history?limit=2{(cursor is null ? "" : "&after=" + Uri.EscapeDataString(cursor))}"))!;
            companies.AddRange(page.Items.Select(c => c.To));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(["Acme 4", "Acme 3", "Acme 2", "Acme 1", "Acme 0"], companies);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task A_history_cursor_the_api_did_not_return_is_a_400_and_another_workspace_gets_404()
    {
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMcursor", "+14155550100", "hello"));
        var customer = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMcursor")).CustomerId;
        var bea = await App.SignInAsync("bea", Guid.Parse("0b0e0000-0000-4000-8000-0000000000fb"), AgentRoles.Admin);

        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.GetAsync($"/api/customers/{customer}/history?after=%21%21")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.GetAsync($"/api/customers/{customer}/history?after=AAAA")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/customers/{customer}/history?after={new ProfileChangeCursor(3, "company").Encode()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/customers/{customer}")).StatusCode);
    }

    [Fact]
    public async Task An_agents_profile_change_is_pushed_live_with_the_new_version()
    {
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMpush", "+14155550100", "hello"));
        var customer = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMpush")).CustomerId;

        await Agent.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, company = "Acme" });
        var pushed = await Feed.CustomerChangedAsync(c => c.CustomerId == customer);

        Assert.Equal((1L, "Acme"), (pushed.Version, pushed.Profile.Fields.Company));
    }
}
