using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// One real conversation through every part: signed webhook in, agent sees it live, replies, Twilio
/// receives the send, Twilio reports delivery, agent sees it. Run once per bus transport.
/// </summary>
public abstract class ConversationFlow : IDisposable
{
    protected readonly WireMockServer Twilio = WireMockServer.Start();

    protected abstract CrmApplication CreateApplication();

    [Fact]
    public async Task A_customer_message_reaches_the_agent_and_the_reply_is_delivered()
    {
        Twilio.AcceptsMessages("SMreply0000000000000000000000000001");
        await using var app = CreateApplication();
        var agent = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(agent);
        var customerSid = $"SM{Guid.NewGuid():N}";

        var webhook = await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp",
            TwilioFakes.WhatsAppText(customerSid, "+14155550100", "Hi, is my order on its way?"));

        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        Assert.Contains("<Response/>", await webhook.Content.ReadAsStringAsync());
        var pushed = await feed.MessageAddedAsync(m => m.ChannelMessageId == customerSid);
        Assert.Equal("Hi, is my order on its way?", pushed.Text);
        Assert.Equal(Directions.Inbound, pushed.Direction);

        var conversations = await agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations");
        var conversation = Assert.Single(conversations!.Items, c => c.Id == pushed.ConversationId);
        Assert.Equal("+14155550100", conversation.CustomerIdentity);
        Assert.Equal(CrmApplication.BusinessNumber, conversation.BusinessIdentity);
        Assert.Equal("Alice", conversation.CustomerName);
        Assert.Equal("Hi, is my order on its way?", conversation.LastMessagePreview);
        // The only agent online is given the new conversation, and the timeline says so.
        await feed.ConversationUpdatedAsync(c => c.Id == conversation.Id && c.AssigneeId is not null);
        var timeline = await agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation.Id}/messages");
        Assert.Equal([(Directions.Inbound, customerSid, null), (Directions.Activity, null, ActivityKinds.Assigned)],
            timeline!.Items.Select(m => (m.Direction, m.ChannelMessageId, m.Activity?.Kind)));
        Assert.Equal("ann", timeline.Items[1].Activity!.To);

        var reply = await agent.PostAsJsonAsync($"/api/conversations/{conversation.Id}/messages", new { text = "Yes & it arrives today!" });
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        var replyMessage = (await reply.Content.ReadFromJsonAsync<TimelineMessage>())!;
        Assert.Equal("ann", replyMessage.Agent);

        var send = Assert.Single(await Twilio.WaitForSendRequestsAsync(1));
        Assert.Equal(
            "To=whatsapp%3A%2B14155550100&From=whatsapp%3A%2B14155238886&Body=Yes+%26+it+arrives+today%21"
            + $"&StatusCallback=https%3A%2F%2Fcrm.example.com%2Fwebhooks%2Ftwilio%2F{CrmApplication.ConnectionId}%2Fstatus%3FmessageId%3D{replyMessage.Id}",
            send.RequestMessage.Body);
        Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{CrmApplication.AccountSid}:{CrmApplication.AuthToken}")),
            send.RequestMessage.Headers!["Authorization"].Single());
        var queued = await feed.MessageStatusAsync(m => m.Id == replyMessage.Id && m.Status == MessageStatuses.Queued);
        Assert.Equal("SMreply0000000000000000000000000001", queued.ChannelMessageId);

        var callback = await app.PostFromTwilioAsync($"/webhooks/twilio/status?messageId={replyMessage.Id}",
            TwilioFakes.StatusCallback("SMreply0000000000000000000000000001", "delivered"));
        Assert.Equal(HttpStatusCode.OK, callback.StatusCode);
        await feed.MessageStatusAsync(m => m.Id == replyMessage.Id && m.Status == MessageStatuses.Delivered);

        var after = await agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation.Id}/messages");
        Assert.Equal([Directions.Inbound, Directions.Activity, Directions.Outbound], after!.Items.Select(m => m.Direction));
        Assert.Equal(MessageStatuses.Delivered, after.Items[2].Status);
    }

    public void Dispose()
    {
        Twilio.Stop();
        GC.SuppressFinalize(this);
    }
}

public sealed class InMemoryBusConversationFlowTests : ConversationFlow
{
    protected override CrmApplication CreateApplication() => new(Twilio);
}
