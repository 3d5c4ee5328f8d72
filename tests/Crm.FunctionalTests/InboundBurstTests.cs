using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;

namespace Crm.FunctionalTests;

public sealed class InboundBurstTests : SignedInAgentTests
{
    [Fact]
    public async Task A_burst_of_concurrent_webhooks_with_retries_stores_and_pushes_each_message_exactly_once()
    {
        var customers = Enumerable.Range(0, 20).Select(i => $"+141555507{i:00}").ToList();
        var sids = Enumerable.Range(0, 200).Select(i => $"SMburst{i:000}").ToList();
        var webhooks = sids.Select((sid, i) => (Sid: sid, Form: TwilioFakes.WhatsAppText(sid, customers[i % customers.Count], $"burst {i}"))).ToList();
        // Twilio retries some webhooks while the first attempt is still in flight.
        var retries = webhooks.Where((_, i) => i % 7 == 0);

        var responses = await Task.WhenAll(webhooks.Concat(retries).Select(w => App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", w.Form)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var sid in sids) await Feed.MessageAddedAsync(m => m.ChannelMessageId == sid);
        // One more message after the burst, so that any late duplicate push would have arrived before it.
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMafterburst", customers[0], "after"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMafterburst");

        var pushed = Feed.All("MessageAdded").Cast<TimelineMessage>().Select(m => m.ChannelMessageId).Where(sid => sid?.StartsWith("SMburst") == true).ToList();
        Assert.Equal(sids, pushed.Order());

        var list = (await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations?limit=200"))!;
        Assert.Equal(customers.Order(), list.Items.Select(c => c.CustomerIdentity).Order());
        var stored = new List<string?>();
        foreach (var conversation in list.Items)
        {
            var timeline = (await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation.Id}/messages?limit=200"))!;
            Assert.All(timeline.Items.Where(m => m.ChannelMessageId?.StartsWith("SMburst") == true), m => Assert.Equal(conversation.CustomerIdentity, customers[int.Parse(m.ChannelMessageId![7..10]) % customers.Count]));
            stored.AddRange(timeline.Items.Select(m => m.ChannelMessageId).Where(sid => sid?.StartsWith("SMburst") == true));
        }
        Assert.Equal(sids, stored.Order());
    }
}
