using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Timelines;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A fresh embedded Crm per test, with agent "ann" signed in and connected to the hub.</summary>
public abstract class SignedInAgentTests : IAsyncLifetime
{
    protected readonly WireMockServer Twilio = WireMockServer.Start();
    protected CrmApplication App = null!;
    protected HttpClient Agent = null!;
    protected AgentFeed Feed = null!;

    /// <summary>Settings a test class needs beyond the defaults.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    public async Task InitializeAsync()
    {
        App = new CrmApplication(Twilio, Settings);
        Agent = await App.SignInAsync("ann");
        Feed = await App.ConnectAgentAsync(Agent);
    }

    /// <summary>A customer writes in; returns the conversation once the agent has seen the message.</summary>
    protected async Task<Guid> ConversationWithCustomerAsync(string sid)
    {
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText(sid, "+14155550100", "hello"));
        return (await Feed.MessageAddedAsync(m => m.ChannelMessageId == sid)).ConversationId;
    }

    /// <summary>Agent "ann" replies; returns the reply as the API accepted it.</summary>
    protected async Task<TimelineMessage> ReplyAsync(Guid conversation, string text)
    {
        var response = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TimelineMessage>())!;
    }

    /// <summary>A customer writes in and ann's reply is accepted by Twilio as <paramref name="twilioSid"/>.</summary>
    protected async Task<(Guid Conversation, TimelineMessage Reply)> QueuedReplyAsync(string twilioSid, string text)
    {
        Twilio.AcceptsMessages(twilioSid);
        var conversation = await ConversationWithCustomerAsync(twilioSid + "-in");
        var reply = await ReplyAsync(conversation, text);
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued);
        return (conversation, reply);
    }

    public async Task DisposeAsync()
    {
        await Feed.DisposeAsync();
        await App.DisposeAsync();
        Twilio.Stop();
    }
}
