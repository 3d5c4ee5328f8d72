using Crm.Connectors.Connections;
using Crm.Connectors.WeChat;
using Crm.Contracts;
using Xunit;

namespace Crm.Connectors.Tests.WeChat;

/// <summary>Every message and event type in the shape of WeChat's documentation (接收普通消息 / 接收事件推送), with test ids.</summary>
public sealed class WeChatInboundTests
{
    private static readonly Guid Connection = Guid.Parse("5eed0000-0000-4000-8000-000000000003");
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static string Xml(string type, string body)
        => $"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oCustomerOpenId0001]]></FromUserName>"
           + $"<CreateTime>1348831860</CreateTime><MsgType><![CDATA[{type}]]></MsgType>{body}</xml>";

    private static InboundMessageReceived Message(string xml)
        => Assert.IsType<WeChatInboundItem.Message>(WeChatInbound.Normalize(WeChatXml.Parse(xml), Connection, Now)).Received;

    [Fact]
    public void A_text_is_the_customers_words_from_their_open_id_to_the_accounts_original_id()
    {
        var message = Message(Xml("text", "<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId>"));

        Assert.Equal((Channels.WeChat, "1234567890123456", "oCustomerOpenId0001", "gh_0123456789ab", "this is a test"),
            (message.Channel, message.ChannelMessageId, message.CustomerIdentity, message.BusinessIdentity, message.Text));
        Assert.Null(message.Event);
        Assert.Equal("1348831860", message.RawFields["CreateTime"]);
    }

    [Fact]
    public void An_image_is_an_attachment_fetched_through_crm_by_its_media_id()
    {
        var message = Message(Xml("image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/pic]]></PicUrl><MediaId><![CDATA[media_id_1]]></MediaId><MsgId>1234567890123457</MsgId>"));

        var image = Assert.Single(message.Media);
        Assert.Equal(MediaPaths.Of(Connection, "media_id_1"), image.Url);
        Assert.Equal("image/jpeg", image.ContentType);
        Assert.Equal("http://mmbiz.qpic.cn/pic", message.RawFields["PicUrl"]);
    }

    [Fact]
    public void A_voice_message_with_speech_recognition_reads_as_its_words()
    {
        var message = Message(Xml("voice", "<MediaId><![CDATA[voice_1]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1234567890123458</MsgId>"));

        Assert.Equal("腾讯微信团队", message.Text);
        Assert.Equal(new MediaAttachment(MediaPaths.Of(Connection, "voice_1"), "audio/amr"), Assert.Single(message.Media));
    }

    [Fact]
    public void A_voice_message_without_recognition_has_no_text()
        => Assert.Null(Message(Xml("voice", "<MediaId><![CDATA[voice_1]]></MediaId><Format><![CDATA[speex]]></Format><MsgId>1</MsgId>")).Text);

    [Theory]
    [InlineData("video")]
    [InlineData("shortvideo")]
    public void A_video_brings_the_video_and_its_thumbnail(string type)
    {
        var message = Message(Xml(type, "<MediaId><![CDATA[video_1]]></MediaId><ThumbMediaId><![CDATA[thumb_1]]></ThumbMediaId><MsgId>1234567890123459</MsgId>"));

        Assert.Equal([new(MediaPaths.Of(Connection, "video_1"), "video/mp4"), new(MediaPaths.Of(Connection, "thumb_1"), "image/jpeg")], message.Media);
    }

    [Fact]
    public void A_location_is_a_shared_location_with_its_label()
    {
        var message = Message(Xml("location", "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置信息]]></Label><MsgId>1234567890123460</MsgId>"));

        Assert.Equal(new SharedLocation(23.134521, 113.358803, "位置信息", null), message.Location);
        Assert.Equal("20", message.RawFields["Scale"]);
    }

    [Fact]
    public void A_link_reads_as_its_title_description_and_url()
    {
        var message = Message(Xml("link", "<Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[公众平台官网链接]]></Description><Url><![CDATA[https://mp.weixin.qq.com]]></Url><MsgId>1234567890123461</MsgId>"));

        Assert.Equal("公众平台官网链接\n公众平台官网链接\nhttps://mp.weixin.qq.com", message.Text);
    }

    [Fact]
    public void Following_through_a_qr_code_is_a_subscribed_event_keyed_by_its_scene()
    {
        var message = Message(Xml("event", "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>"));

        Assert.Equal(new CustomerEvent(CustomerEventKinds.Subscribed, "123123", "TICKET"), message.Event);
        Assert.Equal("event:oCustomerOpenId0001:1348831860:subscribe", message.ChannelMessageId);
        Assert.Null(message.Text);
    }

    [Fact]
    public void Following_from_a_search_is_a_subscribed_event_without_a_key()
        => Assert.Equal(new CustomerEvent(CustomerEventKinds.Subscribed, null, null), Message(Xml("event", "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey>")).Event);

    [Theory]
    [InlineData("<Event><![CDATA[unsubscribe]]></Event><EventKey><![CDATA[]]></EventKey>", CustomerEventKinds.Unsubscribed, null)]
    [InlineData("<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[SCENE_VALUE]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>", CustomerEventKinds.Scanned, "SCENE_VALUE")]
    [InlineData("<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[EVENTKEY]]></EventKey>", CustomerEventKinds.MenuClicked, "EVENTKEY")]
    [InlineData("<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://www.qq.com/]]></EventKey><MenuId>MENUID</MenuId>", CustomerEventKinds.LinkOpened, "https://www.qq.com/")]
    public void Events_become_the_customer_events_they_are(string body, string kind, string? key)
    {
        var message = Message(Xml("event", body));

        Assert.Equal(kind, message.Event?.Kind);
        Assert.Equal(key, message.Event?.Key);
    }

    [Fact]
    public void The_same_customer_doing_two_things_in_one_second_gives_two_ids()
        => Assert.NotEqual(
            Message(Xml("event", "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[A]]></EventKey>")).ChannelMessageId,
            Message(Xml("event", "<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[B]]></EventKey>")).ChannelMessageId);

    [Theory]
    [InlineData("success", MessageStatuses.Delivered, null)]
    [InlineData("failed:user block", MessageStatuses.Failed, SendFailures.RecipientUnavailable)]
    [InlineData("failed: system failed", MessageStatuses.Failed, SendFailures.Refused)]
    public void A_template_send_job_finishing_is_a_status_of_that_template_message(string status, string expected, string? error)
    {
        var xml = Xml("event", $"<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163836</MsgID><Status><![CDATA[{status}]]></Status>");

        var reported = Assert.IsType<WeChatInboundItem.Status>(WeChatInbound.Normalize(WeChatXml.Parse(xml), Connection, Now)).Reported;

        Assert.Equal((Channels.WeChat, "200163836", expected, error), (reported.Channel, reported.ChannelMessageId, reported.Status, reported.ErrorCode));
    }

    [Fact]
    public void The_periodic_location_report_is_acknowledged_and_not_kept()
        => Assert.IsType<WeChatInboundItem.Ignored>(WeChatInbound.Normalize(WeChatXml.Parse(Xml("event",
            "<Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>")), Connection, Now));

    [Theory]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>")]
    [InlineData("<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1 OR 1=1</MsgId></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType><Location_X>north</Location_X><Location_Y>1</Location_Y><MsgId>1</MsgId></xml>")]
    public void A_webhook_missing_what_every_webhook_has_is_unreadable(string xml)
        => Assert.Throws<FormatException>(() => WeChatInbound.Normalize(WeChatXml.Parse(xml), Connection, Now));
}
