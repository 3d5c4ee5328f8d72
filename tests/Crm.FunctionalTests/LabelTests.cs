using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Crm.Gateway.Agents;
using Crm.Inbox.Apis;
using Crm.Inbox.Conversations;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Workspace labels: admins define them, agents put them on conversations, the list filters by them.</summary>
public sealed class LabelTests : SignedInAgentTests
{
    [Fact]
    public async Task An_admin_defines_labels_and_an_agent_may_not()
    {
        var created = await Agent.PostAsJsonAsync("/api/labels", new { name = "VIP", color = "#d4a72c" });
        var clash = await Agent.PostAsJsonAsync("/api/labels", new { name = "vip", color = "#000000" });
        var badColor = await Agent.PostAsJsonAsync("/api/labels", new { name = "Late", color = "red" });
        var byAgent = await (await PlainAgentOf(DemoWorkspace.Id)).PostAsJsonAsync("/api/labels", new { name = "Mine", color = "#000000" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, clash.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badColor.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
        Assert.Equal(["VIP"], (await (await PlainAgentOf(DemoWorkspace.Id)).GetFromJsonAsync<List<Label>>("/api/labels"))!.Select(l => l.Name));
        Assert.Empty((await (await PlainAgentOf(Guid.NewGuid())).GetFromJsonAsync<List<Label>>("/api/labels"))!);
    }

    [Fact]
    public async Task A_label_on_a_conversation_is_on_the_timeline_filters_the_list_and_goes_when_the_label_is_deleted()
    {
        var vip = (await (await Agent.PostAsJsonAsync("/api/labels", new { name = "VIP", color = "#d4a72c" })).Content.ReadFromJsonAsync<Label>())!;
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMlabelled", "+14155550101", "hello"));
        var conversation = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMlabelled")).ConversationId;
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMplain", "+14155550102", "hello"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMplain");

        var labelled = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/labels", new { labelId = vip.Id });
        var foreign = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/labels", new { labelId = Guid.NewGuid() });

        Assert.Equal(HttpStatusCode.OK, labelled.StatusCode);
        Assert.Equal([vip.Id], (await labelled.Content.ReadFromJsonAsync<Conversation>())!.Labels);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, foreign.StatusCode);
        var entry = await Feed.MessageAddedAsync(m => m.Activity?.Kind == ActivityKinds.LabelAdded);
        Assert.Equal(("ann", "VIP"), (entry.Agent, entry.Activity!.To));
        var filtered = await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>($"/api/conversations?label={vip.Id}");
        Assert.Equal([conversation], filtered!.Items.Select(c => c.Id));

        Assert.Equal(HttpStatusCode.NoContent, (await Agent.DeleteAsync($"/api/labels/{vip.Id}")).StatusCode);
        Assert.Empty((await Agent.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!.Labels);
    }

    /// <summary>An agent (not an admin) of the given workspace, signed in.</summary>
    private Task<HttpClient> PlainAgentOf(Guid workspace) => App.SignInAsync($"bob-{workspace:N}", workspace, AgentRoles.Agent);
}
