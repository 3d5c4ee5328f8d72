using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Agents;
using Crm.Inbox.Apis;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Unread counts are each agent's own: reading clears them for that agent, on all their connections, and no one else.</summary>
public sealed class UnreadTests : IAsyncLifetime
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Reading_a_conversation_clears_its_unread_count_for_that_agent_only_and_tells_their_other_tabs()
    {
        var ann = await app.SignInAsync("ann");
        var bob = await app.SignInAsync("bob");
        await using var annTab = await app.ConnectAgentAsync(ann);
        await using var annOtherTab = await app.ConnectAgentAsync(ann);
        await using var bobTab = await app.ConnectAgentAsync(bob);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMunread-1", "+14155550100", "one"));
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMunread-2", "+14155550100", "two"));
        var conversation = (await annTab.MessageAddedAsync(m => m.ChannelMessageId == "SMunread-2")).ConversationId;

        var read = await ann.PostAsync($"/api/conversations/{conversation}/read", null);
        await annOtherTab.ConversationReadAsync(r => r.ConversationId == conversation);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMunread-3", "+14155550100", "three"));
        await annTab.MessageAddedAsync(m => m.ChannelMessageId == "SMunread-3");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(1, (await ann.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Unread[conversation]);
        Assert.Equal(3, (await bob.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Unread[conversation]);
        Assert.Empty(bobTab.All("ConversationRead"));
        Assert.Equal(HttpStatusCode.NotFound, (await ann.PostAsync($"/api/conversations/{Guid.NewGuid()}/read", null)).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
