using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Gateway.Agents;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A workspace owns its customers and conversations: another workspace's agents neither see nor touch them.</summary>
public sealed class WorkspaceIsolationTests : IAsyncLifetime
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000ff");
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_agent_of_another_workspace_sees_none_of_its_conversations_and_gets_404_for_their_ids()
    {
        var ann = await app.SignInAsync("ann");
        await using var annFeed = await app.ConnectAgentAsync(ann);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMmine", "+14155550100", "only for the demo team"));
        var message = await annFeed.MessageAddedAsync(m => m.ChannelMessageId == "SMmine");
        var conversation = message.ConversationId;
        var bea = await AgentOf(OtherWorkspace, "bea");

        var list = await bea.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations");

        Assert.Empty(list!.Items);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/conversations/{conversation}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/conversations/{conversation}/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "hijack" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.PostAsync($"/api/conversations/{conversation}/messages/{message.Id}/resend", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.PostAsync($"/api/conversations/{conversation}/take", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.PostAsJsonAsync($"/api/conversations/{conversation}/assignee", new { agentId = (Guid?)null })).StatusCode);
        // Ann's own view is intact, and Bea's reply never reached the timeline.
        var timeline = await ann.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages");
        Assert.Equal(["only for the demo team"], timeline!.Items.Where(m => Directions.IsConversation(m.Direction)).Select(m => m.Text));
    }

    [Fact]
    public async Task Pushes_reach_only_the_agents_of_the_workspace_the_message_belongs_to()
    {
        var ann = await app.SignInAsync("ann");
        await using var annFeed = await app.ConnectAgentAsync(ann);
        await using var beaFeed = await app.ConnectAgentAsync(await AgentOf(OtherWorkspace, "bea"));

        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMdemo-1", "+14155550100", "to the demo workspace"));
        await annFeed.MessageAddedAsync(m => m.ChannelMessageId == "SMdemo-1");
        await app.Services.GetRequiredService<IBus>().Publish(new InboundMessageReceived(Channels.WhatsApp, "SMother-1", "+14155550100", "Alice",
            CrmApplication.BusinessNumber, "to the other workspace", [], null, null, new Dictionary<string, string>(), DateTimeOffset.UtcNow)
        {
            WorkspaceId = OtherWorkspace,
        });
        var theirs = await beaFeed.MessageAddedAsync(m => m.ChannelMessageId == "SMother-1");
        // Pushed after SMother-1 was: had Ann been sent SMother-1, it would be in her feed by the time this arrives.
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMdemo-2", "+14155550100", "again"));
        await annFeed.MessageAddedAsync(m => m.ChannelMessageId == "SMdemo-2");

        Assert.Equal(OtherWorkspace, theirs.WorkspaceId);
        Assert.DoesNotContain(annFeed.All("MessageAdded").Cast<TimelineMessage>(), m => m.ChannelMessageId == "SMother-1");
        Assert.DoesNotContain(beaFeed.All("MessageAdded").Cast<TimelineMessage>(), m => m.WorkspaceId != OtherWorkspace);
        Assert.DoesNotContain(annFeed.All("ConversationUpdated").Cast<Conversation>(), c => c.WorkspaceId == OtherWorkspace);
    }

    /// <summary>An agent of a workspace of the test's choosing, signed in.</summary>
    private Task<HttpClient> AgentOf(Guid workspace, string name) => app.SignInAsync(name, workspace, AgentRoles.Agent);

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
