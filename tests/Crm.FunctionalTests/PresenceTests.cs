using System.Net.Http.Json;
using Crm.Inbox.Agents;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Who is viewing and who is typing, so two agents do not answer one customer at once.</summary>
public sealed class PresenceTests : IAsyncLifetime
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Other_agents_see_who_views_and_types_and_the_reply_sent_meanwhile_and_a_dropped_connection_stops_viewing()
    {
        twilio.AcceptsMessages();
        var ann = await app.SignInAsync("ann");
        var bob = await app.SignInAsync("bob");
        var annFeed = await app.ConnectAgentAsync(ann);
        await using var bobFeed = await app.ConnectAgentAsync(bob);
        await using var elsewhere = await app.ConnectAgentAsync(await app.SignInAsync("eve", Guid.NewGuid(), Crm.Inbox.Workspaces.AgentRoles.Agent));
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMpresence", "+14155550100", "hello?"));
        var conversation = (await annFeed.MessageAddedAsync(m => m.ChannelMessageId == "SMpresence")).ConversationId;

        await annFeed.SendAsync("Viewing", conversation, true);
        await annFeed.SendAsync("Typing", conversation, true);
        var viewing = await bobFeed.PresenceAsync("AgentViewing", p => p.ConversationId == conversation && p.Active);
        var typing = await bobFeed.PresenceAsync("AgentTyping", p => p.ConversationId == conversation && p.Active);
        // Bob replies while Ann is typing: it is sent, and Ann sees it at once.
        await bob.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "I've got this one" });
        await annFeed.MessageAddedAsync(m => m.ConversationId == conversation && m.Text == "I've got this one");
        await annFeed.DisposeAsync();
        var left = await bobFeed.PresenceAsync("AgentViewing", p => p.ConversationId == conversation && !p.Active);

        Assert.Equal(("ann", true), (viewing.AgentName, typing.Active));
        Assert.Equal(viewing.AgentId, left.AgentId);
        Assert.Single(await twilio.WaitForSendRequestsAsync(1));
        Assert.Empty(elsewhere.All("AgentViewing"));
        Assert.Empty(elsewhere.All("AgentTyping"));
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
