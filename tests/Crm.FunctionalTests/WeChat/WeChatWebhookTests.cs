using System.Net;
using System.Net.Http.Json;
using System.Text;
using Crm.Connectors.Connections;
using Crm.Connectors.WeChat;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A WeChat Official Account's webhooks through the real pipeline: verified, normalized, spooled, stored on the timeline.</summary>
public sealed class WeChatWebhookTests : WeChatAccountTests
{
    /// <summary>One of each type WeChat documents, and what the timeline must hold for it.</summary>
    private static readonly (string MsgId, string Xml, Action<TimelineMessage> Check)[] EveryType =
    [
        ("24000000000000001", WeChatFakes.Text("24000000000000001", "你好, is anyone there?"), m => Assert.Equal("你好, is anyone there?", m.Text)),
        ("24000000000000002", WeChatFakes.Xml("image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[img-1]]></MediaId><MsgId>24000000000000002</MsgId>"),
            m => Assert.Equal(new MediaAttachment(MediaPaths.Of(WeChatFakes.ConnectionId, "img-1"), "image/jpeg"), Assert.Single(m.Media))),
        ("24000000000000003", WeChatFakes.Xml("voice", "<MediaId><![CDATA[voice-1]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[我要退货]]></Recognition><MsgId>24000000000000003</MsgId>"),
            m => Assert.Equal(("我要退货", "audio/amr"), (m.Text, Assert.Single(m.Media).ContentType))),
        ("24000000000000004", WeChatFakes.Xml("video", "<MediaId><![CDATA[video-1]]></MediaId><ThumbMediaId><![CDATA[thumb-1]]></ThumbMediaId><MsgId>24000000000000004</MsgId>"),
            m => Assert.Equal(["video/mp4", "image/jpeg"], m.Media.Select(a => a.ContentType))),
        ("24000000000000005", WeChatFakes.Xml("shortvideo", "<MediaId><![CDATA[short-1]]></MediaId><ThumbMediaId><![CDATA[thumb-2]]></ThumbMediaId><MsgId>24000000000000005</MsgId>"),
            m => Assert.Equal(MediaPaths.Of(WeChatFakes.ConnectionId, "short-1"), m.Media[0].Url)),
        ("24000000000000006", WeChatFakes.Xml("location", "<Location_X>31.230416</Location_X><Location_Y>121.473701</Location_Y><Scale>15</Scale><Label><![CDATA[上海市黄浦区]]></Label><MsgId>24000000000000006</MsgId>"),
            m => Assert.Equal(new SharedLocation(31.230416, 121.473701, "上海市黄浦区", null), m.Location)),
        ("24000000000000007", WeChatFakes.Xml("link", "<Title><![CDATA[Order 42]]></Title><Description><![CDATA[my order]]></Description><Url><![CDATA[https://example.com/o/42]]></Url><MsgId>24000000000000007</MsgId>"),
            m => Assert.Equal("Order 42\nmy order\nhttps://example.com/o/42", m.Text)),
    ];

    [Fact]
    public async Task Every_message_type_in_plain_mode_is_stored_on_the_customers_timeline()
    {
        foreach (var (_, xml, _) in EveryType) Assert.Equal("success", await Success(await App.PostPlainAsync(xml)));

        await AssertTimelineHoldsEveryTypeAsync();
    }

    [Fact]
    public async Task Every_message_type_in_safe_mode_is_decrypted_and_stored_on_the_customers_timeline()
    {
        foreach (var (_, xml, _) in EveryType) Assert.Equal("success", await Success(await App.PostSafeAsync(xml)));

        await AssertTimelineHoldsEveryTypeAsync();
    }

    private async Task AssertTimelineHoldsEveryTypeAsync()
    {
        var last = await Feed.MessageAddedAsync(m => m.ChannelMessageId == EveryType[^1].MsgId);
        var timeline = (await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{last.ConversationId}/messages"))!.Items;
        Assert.Equal(EveryType.Select(t => t.MsgId).Order(), timeline.Select(m => m.ChannelMessageId!).Order());
        foreach (var (msgId, _, check) in EveryType)
        {
            var stored = timeline.Single(m => m.ChannelMessageId == msgId);
            Assert.Equal((Channels.WeChat, WeChatFakes.OriginalId), (stored.Channel, stored.BusinessIdentity));
            check(stored);
        }
    }

    [Fact]
    public async Task Events_are_stored_on_the_timeline_as_what_the_customer_did()
    {
        string[] events =
        [
            "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_spring-fair]]></EventKey><Ticket><![CDATA[T1]]></Ticket>",
            "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[counter-3]]></EventKey><Ticket><![CDATA[T2]]></Ticket>",
            "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_ORDERS]]></EventKey>",
            "<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://shop.example.com/]]></EventKey>",
            "<Event><![CDATA[unsubscribe]]></Event><EventKey><![CDATA[]]></EventKey>",
        ];
        foreach (var body in events) Assert.Equal("success", await Success(await App.PostSafeAsync(WeChatFakes.Xml("event", body, createTime: 1764763300))));

        var stored = new List<TimelineMessage>();
        foreach (var name in new[] { "subscribe", "SCAN", "CLICK", "VIEW", "unsubscribe" })
            stored.Add(await Feed.MessageAddedAsync(m => m.ChannelMessageId == $"event:{WeChatFakes.Customer}:1764763300:{name}"));

        var timeline = (await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{stored[0].ConversationId}/messages"))!.Items;
        Assert.Equal(
            [
                new CustomerEvent(CustomerEventKinds.Subscribed, "spring-fair", "T1"), new CustomerEvent(CustomerEventKinds.Scanned, "counter-3", "T2"),
                new CustomerEvent(CustomerEventKinds.MenuClicked, "MENU_ORDERS", null), new CustomerEvent(CustomerEventKinds.LinkOpened, "https://shop.example.com/", null),
                new CustomerEvent(CustomerEventKinds.Unsubscribed, null, null),
            ],
            stored.Select(entry => timeline.Single(m => m.Id == entry.Id).Event));
    }

    [Fact]
    public async Task A_template_send_report_is_acknowledged_and_never_a_customer_message()
    {
        var report = WeChatFakes.Xml("event", "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200228332</MsgID><Status><![CDATA[success]]></Status>");

        Assert.Equal("success", await Success(await App.PostPlainAsync(report)));
        await App.PostPlainAsync(WeChatFakes.Text("24000000000000100", "after"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "24000000000000100");

        Assert.DoesNotContain(Feed.All("MessageAdded").Cast<TimelineMessage>(), m => m.ChannelMessageId!.Contains("200228332") || m.ChannelMessageId.Contains("TEMPLATESENDJOBFINISH"));
    }

    [Fact]
    public async Task A_retried_webhook_adds_one_timeline_entry()
    {
        var xml = WeChatFakes.Text("24000000000000200", "only once");

        Assert.Equal("success", await Success(await App.PostSafeAsync(xml)));
        Assert.Equal("success", await Success(await App.PostSafeAsync(xml)));
        Assert.Equal("success", await Success(await App.PostPlainAsync(xml)));
        var added = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "24000000000000200");
        // A later message proves every delivery of the retry has been consumed before we count.
        await App.PostSafeAsync(WeChatFakes.Text("24000000000000201", "next"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "24000000000000201");

        var timeline = await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{added.ConversationId}/messages");
        Assert.Equal(["24000000000000200", "24000000000000201"], timeline!.Items.Select(m => m.ChannelMessageId));
    }

    [Theory]
    [InlineData("plain mode, signed with a guessed token")]
    [InlineData("safe mode, signed with a guessed token")]
    [InlineData("plain mode, a signature replayed an hour later")]
    [InlineData("safe mode, encrypted for another AppID")]
    [InlineData("safe mode, another ciphertext than the one signed")]
    public async Task A_webhook_not_made_by_wechat_for_this_account_is_refused_and_nothing_is_stored(string forgery)
    {
        var xml = WeChatFakes.Text("24000000000000300", "let me in");
        var response = forgery switch
        {
            "plain mode, signed with a guessed token" => await App.PostPlainAsync(xml, token: "guessedToken"),
            "safe mode, signed with a guessed token" => await App.PostSafeAsync(xml, token: "guessedToken"),
            // Plain mode signs no body: a signature seen once would otherwise carry any message.
            "plain mode, a signature replayed an hour later" => await App.PostPlainAsync(xml, sentAt: DateTimeOffset.UtcNow.AddHours(-1)),
            "safe mode, encrypted for another AppID" => await App.PostSafeAsync(xml, appId: "wxffffffffffffffff"),
            _ => await App.PostEncryptedAsync(new WeChatMessageCrypt(WeChatFakes.EncodingAesKey).Encrypt(xml, WeChatFakes.AppId),
                signedCiphertext: new WeChatMessageCrypt(WeChatFakes.EncodingAesKey).Encrypt(WeChatFakes.Text("24000000000000300", "harmless"), WeChatFakes.AppId)),
        };

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_message_to_another_account_is_refused_with_a_reason()
    {
        var response = await App.PostPlainAsync(WeChatFakes.Xml("text", "<Content>hi</Content><MsgId>24000000000000303</MsgId>", to: "gh_someoneelse1"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(WeChatFakes.OriginalId, await response.Content.ReadAsStringAsync());
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_document_type_declaration_is_refused_and_nothing_is_stored()
    {
        var response = await App.PostPlainAsync("""<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh_0123456789ab</ToUserName><Content>&x;</Content></xml>""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("")]
    [InlineData("not xml at all")]
    [InlineData("<xml><ToUserName>gh_0123456789ab</ToUserName><Content>&#0;</Content></xml>")]
    [InlineData("<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>")]
    [InlineData("<xml><a><b><c><d><e><f>deep</f></e></d></c></b></a></xml>")]
    public async Task A_signed_body_that_is_not_a_wechat_message_is_refused_with_400_and_nothing_is_stored(string body)
    {
        var response = await App.PostPlainAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("not base64 !")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==")]
    public async Task A_signed_ciphertext_that_does_not_open_with_this_accounts_key_is_refused_with_400(string encrypted)
    {
        var response = await App.PostEncryptedAsync(encrypted);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_oversized_body_is_refused()
    {
        var response = await App.PostPlainAsync(WeChatFakes.Text("24000000000000304", new string('a', 70 * 1024)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task The_server_check_echoes_echostr_only_when_signed_with_the_token()
    {
        const string timestamp = "1409659813", nonce = "1372623149", echo = "4075181314397890557";
        var path = $"{WeChatFakes.Path}?timestamp={timestamp}&nonce={nonce}&echostr={echo}";

        var signed = await App.CreateClient().GetAsync($"{path}&signature={Crm.Connectors.WeChat.WeChatSignature.Compute(WeChatFakes.Token, timestamp, nonce)}");
        var forged = await App.CreateClient().GetAsync($"{path}&signature={Crm.Connectors.WeChat.WeChatSignature.Compute("guessedToken", timestamp, nonce)}");

        Assert.Equal(echo, await Success(signed));
        Assert.Equal("text/plain", signed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
    }

    [Fact]
    public async Task A_customers_image_is_streamed_from_wechat_when_an_agent_opens_it()
    {
        WeChat.IssuesToken();
        WeChat.Given(WireMock.RequestBuilders.Request.Create().WithPath("/cgi-bin/media/get").WithParam("media_id", "img-9").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithHeader("Content-Type", "image/jpeg").WithBody([0xFF, 0xD8, 0xFF, 0xE0]));
        await App.PostSafeAsync(WeChatFakes.Xml("image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[img-9]]></MediaId><MsgId>24000000000000400</MsgId>"));
        var added = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "24000000000000400");

        var image = await Agent.GetAsync(added.Media.Single().Url);

        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal([0xFF, 0xD8, 0xFF, 0xE0], await image.Content.ReadAsByteArrayAsync());
        Assert.Equal("ACCESS_TOKEN_1", WeChat.Requests("/cgi-bin/media/get").Single().RequestMessage.Query!["access_token"].Single());
    }

    [Fact]
    public async Task A_customers_video_is_fetched_from_the_address_wechat_answers_with()
    {
        WeChat.IssuesToken();
        WeChat.Given(WireMock.RequestBuilders.Request.Create().WithPath("/cgi-bin/media/get").WithParam("media_id", "video-9").UsingGet())
            .RespondWith(WeChatFakes.Json(new { video_url = $"{WeChat.Url}/videos/video-9.mp4" }));
        WeChat.Given(WireMock.RequestBuilders.Request.Create().WithPath("/videos/video-9.mp4").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithHeader("Content-Type", "video/mp4").WithBody([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]));
        await App.PostSafeAsync(WeChatFakes.Xml("video", "<MediaId><![CDATA[video-9]]></MediaId><ThumbMediaId><![CDATA[thumb-9]]></ThumbMediaId><MsgId>24000000000000401</MsgId>"));
        var added = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "24000000000000401");

        var video = await Agent.GetAsync(added.Media[0].Url);

        Assert.Equal(HttpStatusCode.OK, video.StatusCode);
        Assert.Equal("video/mp4", video.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70], await video.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Media_wechat_no_longer_has_is_not_found()
    {
        WeChat.IssuesToken();
        WeChat.Given(WireMock.RequestBuilders.Request.Create().WithPath("/cgi-bin/media/get").UsingGet())
            .RespondWith(WeChatFakes.Json(new { errcode = 40007, errmsg = "invalid media_id" }));
        await App.PostSafeAsync(WeChatFakes.Xml("image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[img-old]]></MediaId><MsgId>24000000000000402</MsgId>"));
        var added = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "24000000000000402");

        Assert.Equal(HttpStatusCode.NotFound, (await Agent.GetAsync(added.Media[0].Url)).StatusCode);
    }

    private async Task AssertNothingStoredAsync()
    {
        // A later genuine message proves anything before it would have been consumed.
        await App.PostSafeAsync(WeChatFakes.Text("24000000000000999", "genuine"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "24000000000000999");
        Assert.Single(Feed.All("MessageAdded"));
    }

    private static async Task<string> Success(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }
}
