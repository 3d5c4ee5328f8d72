using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Conversations;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Canned replies: shared per workspace, found by shortcut, Liquid variables filled per conversation.</summary>
public sealed class CannedReplyTests : SignedInAgentTests
{
    [Fact]
    public async Task A_canned_reply_is_found_by_its_shortcut_and_rendered_with_the_customers_and_agents_names()
    {
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMcanned", "+14155550100", "hi", profileName: "Zoë <b>"));
        var conversation = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMcanned")).ConversationId;
        var created = await Agent.PostAsJsonAsync("/api/canned-replies",
            new { shortcut = "hello", content = "Hi {{ customer.name }}, {{ agent.name }} here.{{ customer.unknown }}" });
        await Agent.PostAsJsonAsync("/api/canned-replies", new { shortcut = "bye", content = "Bye!" });
        var reply = (await created.Content.ReadFromJsonAsync<CannedReply>())!;

        var found = await Agent.GetFromJsonAsync<List<CannedReply>>("/api/canned-replies?search=HE");
        var rendered = await Agent.PostAsync($"/api/conversations/{conversation}/canned-replies/{reply.Id}/render", null);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(["hello"], found!.Select(r => r.Shortcut));
        // Plain text, not HTML: the customer's name is not encoded, unknown variables are empty.
        Assert.Equal("Hi Zoë <b>, ann here.", (await rendered.Content.ReadFromJsonAsync<CannedRepliesApi.RenderedReply>())!.Text);
    }

    [Fact]
    public async Task Broken_templates_and_taken_shortcuts_are_refused()
    {
        await Agent.PostAsJsonAsync("/api/canned-replies", new { shortcut = "price", content = "It costs 10." });

        var taken = await Agent.PostAsJsonAsync("/api/canned-replies", new { shortcut = "PRICE", content = "Other" });
        var broken = await Agent.PostAsJsonAsync("/api/canned-replies", new { shortcut = "oops", content = "Hi {{ customer.name " });
        var badShortcut = await Agent.PostAsJsonAsync("/api/canned-replies", new { shortcut = "has space", content = "x" });

        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badShortcut.StatusCode);
        Assert.Equal(["price"], (await Agent.GetFromJsonAsync<List<CannedReply>>("/api/canned-replies"))!.Select(r => r.Shortcut));
    }
}
