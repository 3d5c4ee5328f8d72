using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Replies and templates through a WeChat Official Account, with WeChat's API played by WireMock.</summary>
public sealed class WeChatSendingTests : WeChatAccountTests
{
    private async Task<Guid> CustomerWritesAsync(string msgId)
    {
        Assert.True((await App.PostSafeAsync(WeChatFakes.Text(msgId, "where is my order?"))).IsSuccessStatusCode);
        return (await Feed.MessageAddedAsync(m => m.ChannelMessageId == msgId)).ConversationId;
    }

    [Fact]
    public async Task A_reply_is_sent_as_the_customer_service_text_wechat_documents_with_a_crm_made_id()
    {
        WeChat.IssuesTokenAndAcceptsMessages();
        var conversation = await CustomerWritesAsync("25000000000000001");

        var reply = await ReplyAsync(conversation, "On its way, 明天到");

        var sent = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Sent);
        Assert.Equal($"wechat-cs-{reply.Id}", sent.ChannelMessageId);
        var request = Assert.Single(WeChat.Requests(Crm.Connectors.WeChat.WeChatSender.CustomSendPath)).RequestMessage;
        Assert.Equal("""{"touser":"oCustomerOpenId0001","msgtype":"text","text":{"content":"On its way, 明天到"}}""", request.Body);
        Assert.Equal("ACCESS_TOKEN_1", request.Query!["access_token"].Single());
        var tokenRequest = Assert.Single(WeChat.Requests(WeChatFakes.TokenPath)).RequestMessage;
        Assert.Equal(("client_credential", WeChatFakes.AppId, WeChatFakes.AppSecret),
            (tokenRequest.Query!["grant_type"].Single(), tokenRequest.Query["appid"].Single(), tokenRequest.Query["secret"].Single()));
    }

    [Fact]
    public async Task The_access_token_is_fetched_once_and_reused_for_later_sends()
    {
        WeChat.IssuesTokenAndAcceptsMessages();
        var conversation = await CustomerWritesAsync("25000000000000002");

        var first = await ReplyAsync(conversation, "one");
        await Feed.MessageStatusAsync(m => m.Id == first.Id && m.Status == MessageStatuses.Sent);
        var second = await ReplyAsync(conversation, "two");
        await Feed.MessageStatusAsync(m => m.Id == second.Id && m.Status == MessageStatuses.Sent);

        Assert.Equal(2, WeChat.Requests(Crm.Connectors.WeChat.WeChatSender.CustomSendPath).Count);
        Assert.Single(WeChat.Requests(WeChatFakes.TokenPath));
    }

    [Fact]
    public async Task A_token_wechat_no_longer_accepts_is_renewed_once_and_the_send_retried()
    {
        WeChat.Given(WeChatFakes.TokenRequest).InScenario("tokens").WillSetStateTo("renewed")
            .RespondWith(WeChatFakes.Json(new { access_token = "ACCESS_TOKEN_1", expires_in = 7200 }));
        WeChat.Given(WeChatFakes.TokenRequest).InScenario("tokens").WhenStateIs("renewed")
            .RespondWith(WeChatFakes.Json(new { access_token = "ACCESS_TOKEN_2", expires_in = 7200 }));
        WeChat.Given(WeChatFakes.CustomSend.WithParam("access_token", "ACCESS_TOKEN_1"))
            .RespondWith(WeChatFakes.Json(new { errcode = 40001, errmsg = "invalid credential, access_token is invalid or not latest" }));
        WeChat.Given(WeChatFakes.CustomSend.WithParam("access_token", "ACCESS_TOKEN_2")).RespondWith(WeChatFakes.Json(new { errcode = 0, errmsg = "ok" }));
        var conversation = await CustomerWritesAsync("25000000000000003");

        var reply = await ReplyAsync(conversation, "still here");

        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Sent);
        Assert.Equal(2, WeChat.Requests(WeChatFakes.TokenPath).Count);
        Assert.Equal(["ACCESS_TOKEN_1", "ACCESS_TOKEN_2"],
            WeChat.Requests(Crm.Connectors.WeChat.WeChatSender.CustomSendPath).Select(e => e.RequestMessage.Query!["access_token"].Single()));
    }

    [Fact]
    public async Task Credentials_wechat_still_rejects_after_a_renewal_fail_the_reply_without_a_third_try()
    {
        WeChat.IssuesToken();
        WeChat.Given(WeChatFakes.CustomSend).RespondWith(WeChatFakes.Json(new { errcode = 40001, errmsg = "invalid credential" }));
        var conversation = await CustomerWritesAsync("25000000000000004");

        var reply = await ReplyAsync(conversation, "hello?");

        var failed = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Failed);
        Assert.Equal(SendFailures.CredentialsRejected, failed.ErrorCode);
        Assert.Equal(2, WeChat.Requests(Crm.Connectors.WeChat.WeChatSender.CustomSendPath).Count);
    }

    [Fact]
    public async Task A_reply_whose_token_could_not_be_had_is_tried_again_later_because_nothing_was_sent()
    {
        WeChat.Given(WeChatFakes.TokenRequest).RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithBody("<html>maintenance</html>"));
        var conversation = await CustomerWritesAsync("25000000000000006");

        var reply = await ReplyAsync(conversation, "are you there?");

        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Retrying);
        Assert.Empty(WeChat.Requests(Crm.Connectors.WeChat.WeChatSender.CustomSendPath));
    }

    [Fact]
    public async Task A_reply_after_wechats_window_closed_fails_as_outside_the_reply_window()
    {
        WeChat.IssuesToken();
        WeChat.Given(WeChatFakes.CustomSend).RespondWith(WeChatFakes.Json(new { errcode = 45015, errmsg = "response out of time limit or subscription is canceled" }));
        var conversation = await CustomerWritesAsync("25000000000000005");

        var reply = await ReplyAsync(conversation, "sorry for the wait");

        var failed = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Failed);
        Assert.Equal(SendFailures.OutsideReplyWindow, failed.ErrorCode);
        Assert.Single(WeChat.Requests(Crm.Connectors.WeChat.WeChatSender.CustomSendPath));
    }

    [Fact]
    public async Task A_template_is_sent_as_wechats_template_message_and_named_by_its_msgid()
    {
        WeChat.IssuesToken();
        WeChat.Given(WeChatFakes.TemplateSend).RespondWith(WeChatFakes.Json(new { errcode = 0, errmsg = "ok", msgid = 200228332 }));
        var messageId = Guid.NewGuid();
        var command = new SendOutboundMessage(messageId, Guid.NewGuid(), Channels.WeChat, WeChatFakes.Customer, "Your order shipped", WeChatFakes.OriginalId, 1,
            DateTimeOffset.UtcNow.AddMinutes(5))
        {
            WorkspaceId = CrmApplication.TestWorkspace,
            ConnectionId = WeChatFakes.ConnectionId,
            Template = new OutboundTemplate("ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY", null,
                new Dictionary<string, string> { ["first"] = "您的订单已发货", ["keyword1"] = "42", ["remark"] = "谢谢" }),
        };

        var bus = App.Services.GetRequiredService<IBus>();
        await (await bus.GetSendEndpoint(CommandQueues.For(Channels.WeChat))).Send(command);

        var request = (await WeChat.WaitForRequestsAsync(Crm.Connectors.WeChat.WeChatSender.TemplateSendPath, 1)).Single().RequestMessage;
        Assert.Equal(
            """{"touser":"oCustomerOpenId0001","template_id":"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY","data":{"first":{"value":"您的订单已发货"},"keyword1":{"value":"42"},"remark":{"value":"谢谢"}}}""",
            request.Body);
        // The ledger keeps WeChat's msgid once the send settled: a claim now is answered with it, and nothing is sent again.
        var ledger = App.Services.GetRequiredService<IOutboundLedger>();
        OutboundClaim claim = default;
        await Eventually.TrueAsync(async () => (claim = await ledger.ClaimAsync(messageId, TimeSpan.FromMinutes(1))).Outcome == ClaimOutcome.AlreadySent);
        Assert.Equal("200228332", claim.ChannelMessageId);
    }

    [Theory]
    [InlineData("success", MessageStatuses.Delivered, null)]
    [InlineData("failed:user block", MessageStatuses.Failed, SendFailures.RecipientUnavailable)]
    public async Task A_template_from_the_catalog_goes_out_as_wechat_documents_and_its_send_report_settles_it(string report, string status, string? error)
    {
        WeChat.IssuesToken();
        WeChat.Given(WeChatFakes.TemplateSend).RespondWith(WeChatFakes.Json(new { errcode = 0, errmsg = "ok", msgid = 200228332 }));
        var catalog = await Agent.PutAsJsonAsync($"/api/channel-connections/{WeChatFakes.ConnectionId}/templates", new
        {
            templates = new[]
            {
                new MessageTemplate("ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY", "订单发货提醒", null, "{{first.DATA}}\n订单号：{{keyword1.DATA}}\n{{remark.DATA}}",
                    ["first", "keyword1", "remark"]),
            },
        });
        Assert.True(catalog.IsSuccessStatusCode, await catalog.Content.ReadAsStringAsync());
        var conversation = await CustomerWritesAsync("25000000000000010");

        var sent = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/templates", new
        {
            templateId = "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
            variables = new Dictionary<string, string> { ["remark"] = "谢谢", ["first"] = "您的订单已发货", ["keyword1"] = "42" },
        });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var reply = (await sent.Content.ReadFromJsonAsync<Crm.Inbox.Timelines.TimelineMessage>())!;

        var accepted = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Sent);
        Assert.Equal("200228332", accepted.ChannelMessageId);
        Assert.Equal(
            """{"touser":"oCustomerOpenId0001","template_id":"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY","data":{"first":{"value":"您的订单已发货"},"keyword1":{"value":"42"},"remark":{"value":"谢谢"}}}""",
            Assert.Single(WeChat.Requests(Crm.Connectors.WeChat.WeChatSender.TemplateSendPath)).RequestMessage.Body);

        var finished = WeChatFakes.Xml("event", $"<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200228332</MsgID><Status><![CDATA[{report}]]></Status>");
        Assert.True((await App.PostSafeAsync(finished)).IsSuccessStatusCode);

        var settled = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == status);
        Assert.Equal(error, settled.ErrorCode);
    }

    [Fact]
    public async Task Testing_the_connection_fetches_an_access_token_and_says_so()
    {
        WeChat.IssuesToken();

        var response = await Agent.PostAsync($"/api/channel-connections/{WeChatFakes.ConnectionId}/test", null);

        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Contains("access token", result.GetProperty("message").GetString());
        Assert.Single(WeChat.Requests(WeChatFakes.TokenPath));
    }

    [Fact]
    public async Task Testing_a_connection_whose_secret_wechat_refuses_says_why()
    {
        WeChat.Given(WeChatFakes.TokenRequest).RespondWith(WeChatFakes.Json(new { errcode = 40125, errmsg = "invalid appsecret" }));

        var result = await (await Agent.PostAsync($"/api/channel-connections/{WeChatFakes.ConnectionId}/test", null)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Contains("40125", result.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Syncing_templates_reads_the_accounts_private_templates_and_their_variables()
    {
        WeChat.IssuesToken();
        WeChat.Given(Request.Create().WithPath("/cgi-bin/template/get_all_private_template").UsingGet()).RespondWith(WeChatFakes.Json(new
        {
            template_list = new[]
            {
                new
                {
                    template_id = "iPk5sOIt5X_flOVKn5GrTFpncEYTojx6ddbt8WYoV5s", title = "领取奖金提醒", primary_industry = "IT科技", deputy_industry = "互联网|电子商务",
                    content = "{ {result.DATA} }\n\n领奖金额:{ {withdrawMoney.DATA} }\n{{first.DATA}}\n{{keyword1.DATA}}\n{{remark.DATA}}", example = "",
                },
            },
        }));

        var response = await Agent.PostAsync($"/api/channel-connections/{WeChatFakes.ConnectionId}/templates/sync", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var template = (await Agent.GetFromJsonAsync<JsonElement>($"/api/channel-connections/{WeChatFakes.ConnectionId}/templates")).GetProperty("templates")[0];
        Assert.Equal("iPk5sOIt5X_flOVKn5GrTFpncEYTojx6ddbt8WYoV5s", template.GetProperty("id").GetString());
        Assert.Equal("领取奖金提醒", template.GetProperty("name").GetString());
        Assert.Equal(["first", "keyword1", "remark"], template.GetProperty("variables").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task A_new_connection_is_refused_with_a_reason_for_each_setting_that_is_not_wechats()
    {
        var response = await Agent.PostAsJsonAsync("/api/channel-connections", new
        {
            type = "wechat",
            wechat = new { appId = "12345", appSecret = "", token = "x", encodingAesKey = "too-short", originalId = "someone" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["wechat.appId", "wechat.appSecret", "wechat.encodingAesKey", "wechat.originalId", "wechat.token"],
            errors.EnumerateObject().Select(e => e.Name).Order());
    }

    [Fact]
    public async Task A_plain_mode_connection_is_created_without_an_aes_key_and_says_which_url_to_paste()
    {
        var response = await Agent.PostAsJsonAsync("/api/channel-connections", new
        {
            type = "wechat", displayName = "Plain account",
            wechat = new { appId = "wxfedcba9876543210", appSecret = "another-secret", token = "plainToken1", originalId = "gh_plainaccount1" },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("plain", false), (created.GetProperty("wechat").GetProperty("mode").GetString(), created.GetProperty("wechat").GetProperty("encodingAesKeySet").GetBoolean()));
        Assert.EndsWith($"/webhooks/wechat/{created.GetProperty("id").GetString()}", created.GetProperty("webhooks").GetProperty("messages").GetString());
        Assert.DoesNotContain("another-secret", created.ToString());
    }

    [Fact]
    public async Task The_admin_api_shows_the_connection_without_a_secret()
    {
        var view = await Agent.GetStringAsync($"/api/channel-connections/{WeChatFakes.ConnectionId}");

        Assert.Contains(WeChatFakes.OriginalId, view);
        Assert.Contains($"/webhooks/wechat/{WeChatFakes.ConnectionId}", view);
        Assert.DoesNotContain(WeChatFakes.AppSecret, view);
        Assert.DoesNotContain(WeChatFakes.EncodingAesKey, view);
        Assert.DoesNotContain(WeChatFakes.Token, view);
    }
}
