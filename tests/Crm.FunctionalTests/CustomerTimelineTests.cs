using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Workspaces;

namespace Crm.FunctionalTests;

/// <summary>One customer, one timeline: Alice on WhatsApp and on WeChat, merged, read across both channels in pages.</summary>
public sealed class CustomerTimelineTests : WeChatAccountTests
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000fc");

    private string WeChatText(string msgId, long createTime)
        => WeChatFakes.Xml("text", $"<Content><![CDATA[hello {msgId}]]></Content><MsgId>{msgId}</MsgId>", createTime: createTime);

    /// <summary>Alice writes twice on WhatsApp and twice on WeChat (two customers until merged); returns the WhatsApp one after the merge.</summary>
    private async Task<(Guid Alice, Guid OnWeChat)> AliceOnBothChannelsMergedAsync()
    {
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMt1", "+14155550100", "hello 1", profileName: "Alice"));
        var whatsApp = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMt1");
        Assert.Equal("success", await (await App.PostPlainAsync(WeChatText("24000000000000101", 1764763200))).Content.ReadAsStringAsync());
        Assert.Equal("success", await (await App.PostPlainAsync(WeChatText("24000000000000102", 1764763260))).Content.ReadAsStringAsync());
        var weChat = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "24000000000000102");
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMt2", "+14155550100", "hello 2", profileName: "Alice"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMt2");

        var preview = (await Agent.GetFromJsonAsync<CustomerMergeApi.MergePreview>($"/api/customers/{whatsApp.CustomerId}/merge-preview?with={weChat.CustomerId}"))!;
        var merged = await Agent.PostAsJsonAsync($"/api/customers/{whatsApp.CustomerId}/merge", new
        {
            mergedId = weChat.CustomerId,
            choices = preview.Conflicts.ToDictionary(c => c.Field, _ => "survivor"),
            survivorVersion = preview.SurvivorVersion,
            mergedVersion = preview.MergedVersion,
        });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        return (whatsApp.CustomerId, weChat.CustomerId);
    }

    [Fact]
    public async Task A_customer_merged_across_whatsapp_and_wechat_has_one_timeline_newest_first_in_pages_naming_each_conversation()
    {
        var (alice, _) = await AliceOnBothChannelsMergedAsync();

        var first = (await Agent.GetFromJsonAsync<CustomerTimelineApi.CustomerTimelinePage>($"/api/customers/{alice}/timeline?limit=3"))!;
        var second = (await Agent.GetFromJsonAsync<CustomerTimelineApi.CustomerTimelinePage>($"/api/customers/{alice}/timeline?limit=3&before={first.NextCursor}"))!;
        var all = first.Items.Concat(second.Items).ToList();

        Assert.Equal(3, first.Items.Count);
        Assert.Single(second.Items);
        Assert.Null(second.NextCursor);
        Assert.Equal(["24000000000000101", "24000000000000102", "SMt1", "SMt2"], all.Select(i => i.Message.ChannelMessageId!).Order());
        Assert.Equal(all.OrderByDescending(i => i.Message.CreatedAt).ThenByDescending(i => i.Message.Id).Select(i => i.Message.Id), all.Select(i => i.Message.Id));
        Assert.Equal([Channels.WeChat, Channels.WhatsApp], all.Select(i => i.Channel).Distinct().Order());
        Assert.Equal(2, all.Select(i => i.ConversationId).Distinct().Count());
        Assert.All(all, i => Assert.Equal((i.Message.ConversationId, i.Message.Channel), (i.ConversationId, i.Channel)));
        Assert.Equal((Channels.WeChat, WeChatFakes.OriginalId), all.Where(i => i.Channel == Channels.WeChat).Select(i => (i.Channel, i.BusinessIdentity)).Distinct().Single());
    }

    [Fact]
    public async Task The_conversation_view_stays_per_channel_after_the_merge()
    {
        var (alice, _) = await AliceOnBothChannelsMergedAsync();
        var timeline = (await Agent.GetFromJsonAsync<CustomerTimelineApi.CustomerTimelinePage>($"/api/customers/{alice}/timeline"))!.Items;
        var weChatConversation = timeline.First(i => i.Channel == Channels.WeChat).ConversationId;

        var view = (await Agent.GetFromJsonAsync<Crm.Inbox.Apis.ConversationsApi.MessagePage>($"/api/conversations/{weChatConversation}/messages"))!.Items;

        Assert.Equal(["24000000000000101", "24000000000000102"], view.Select(m => m.ChannelMessageId));
    }

    [Fact]
    public async Task A_merged_away_customers_timeline_points_at_the_survivor_another_workspace_gets_404_and_a_bad_cursor_is_400()
    {
        var (alice, onWeChat) = await AliceOnBothChannelsMergedAsync();
        var noRedirects = App.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        noRedirects.DefaultRequestHeaders.Authorization = Agent.DefaultRequestHeaders.Authorization;
        var bea = await App.SignInAsync("bea", OtherWorkspace, AgentRoles.Admin);

        var pointer = await noRedirects.GetAsync($"/api/customers/{onWeChat}/timeline");

        Assert.Equal(HttpStatusCode.TemporaryRedirect, pointer.StatusCode);
        Assert.Equal($"/api/customers/{alice}/timeline", pointer.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/customers/{alice}/timeline")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.GetAsync($"/api/customers/{alice}/timeline?before=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.GetAsync($"/api/customers/{alice}/timeline?limit=0")).StatusCode);
    }
}
