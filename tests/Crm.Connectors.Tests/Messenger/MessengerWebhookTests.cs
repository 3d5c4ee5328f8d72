using System.Text;
using Crm.Connectors.Messenger;
using Crm.Contracts;
using Xunit;

namespace Crm.Connectors.Tests.Messenger;

public sealed class MessengerWebhookTests
{
    private const string Page = "1234567890";
    private const string Psid = "24000000000000001";
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly long SentMillis = Now.AddMinutes(-2).ToUnixTimeMilliseconds();

    /// <summary>A delivery as Meta shapes it: one entry for the page, holding <paramref name="items"/>.</summary>
    private static byte[] Delivery(params string[] items)
        => Encoding.UTF8.GetBytes($$$"""{"object":"page","entry":[{"id":"{{{Page}}}","time":{{{SentMillis}}},"messaging":[{{{string.Join(',', items)}}}]}]}""");

    private static string FromCustomer(string what) => $$$"""{"sender":{"id":"{{{Psid}}}"},"recipient":{"id":"{{{Page}}}"},"timestamp":{{{SentMillis}}},{{{what}}}}""";

    private static string FromPage(string what) => $$$"""{"sender":{"id":"{{{Page}}}"},"recipient":{"id":"{{{Psid}}}"},"timestamp":{{{SentMillis}}},{{{what}}}}""";

    private static MessengerDelivery Normalize(byte[] body) => MessengerWebhook.Normalize(body, Page, Now);

    private static InboundMessageReceived Single(params string[] items) => Assert.Single(Normalize(Delivery(items)).Messages);

    [Fact]
    public void A_text_message_is_the_customer_s_by_psid_to_the_page_with_meta_s_mid()
    {
        var message = Single(FromCustomer("\"message\":{\"mid\":\"m_text1\",\"text\":\"hello\"}"));

        Assert.Equal(Channels.Messenger, message.Channel);
        Assert.Equal("m_text1", message.ChannelMessageId);
        Assert.Equal(Psid, message.CustomerIdentity);
        Assert.Equal(Page, message.BusinessIdentity);
        Assert.Equal("hello", message.Text);
        Assert.False(message.SentByBusiness);
        Assert.Null(message.Event);
    }

    [Fact]
    public void The_message_is_dated_by_meta_s_timestamp_when_it_is_believable()
        => Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(SentMillis), Single(FromCustomer("\"message\":{\"mid\":\"m_t\",\"text\":\"hi\"}")).ReceivedAt);

    [Theory]
    [InlineData(-8 * 24 * 60)]
    [InlineData(10)]
    public void A_timestamp_days_old_or_in_the_future_gives_way_to_the_time_it_arrived(int minutesFromNow)
    {
        var millis = Now.AddMinutes(minutesFromNow).ToUnixTimeMilliseconds();
        var item = $$$"""{"sender":{"id":"{{{Psid}}}"},"recipient":{"id":"{{{Page}}}"},"timestamp":{{{millis}}},"message":{"mid":"m_t","text":"hi"}}""";

        Assert.Equal(Now, Single(item).ReceivedAt);
    }

    [Fact]
    public void Non_ascii_escaped_by_meta_is_read_as_the_characters()
        => Assert.Equal("café 👋", Single(FromCustomer("\"message\":{\"mid\":\"m_e\",\"text\":\"caf\\u00e9 \\ud83d\\udc4b\"}")).Text);

    [Fact]
    public void Media_attachments_keep_their_urls_with_a_content_type_guessed_from_kind_and_extension()
    {
        var message = Single(FromCustomer("""
            "message":{"mid":"m_media","attachments":[
              {"type":"image","payload":{"url":"https://scontent.xx.fbcdn.net/v/photo_n.png?_nc_cat=1"}},
              {"type":"audio","payload":{"url":"https://cdn.fbsbx.com/v/audioclip-1.mp4?_nc_cat=1"}},
              {"type":"video","payload":{"url":"https://video.xx.fbcdn.net/v/clip.mp4"}},
              {"type":"file","payload":{"url":"https://cdn.fbsbx.com/v/invoice.pdf?dl=1"}}]}
            """));

        Assert.Null(message.Text);
        Assert.Equal(
        [
            new MediaAttachment("https://scontent.xx.fbcdn.net/v/photo_n.png?_nc_cat=1", "image/png"),
            new MediaAttachment("https://cdn.fbsbx.com/v/audioclip-1.mp4?_nc_cat=1", "audio/mp4"),
            new MediaAttachment("https://video.xx.fbcdn.net/v/clip.mp4", "video/mp4"),
            new MediaAttachment("https://cdn.fbsbx.com/v/invoice.pdf?dl=1", "application/pdf"),
        ], message.Media);
    }

    [Fact]
    public void A_sticker_is_an_image_and_keeps_its_sticker_id()
    {
        var message = Single(FromCustomer("\"message\":{\"mid\":\"m_s\",\"attachments\":[{\"type\":\"image\",\"payload\":{\"url\":\"https://scontent.xx.fbcdn.net/v/t39/like.jpg\",\"sticker_id\":369239263222822}}]}"));

        Assert.Equal("image/jpeg", Assert.Single(message.Media).ContentType);
        Assert.Equal("369239263222822", message.RawFields["attachments.0.sticker_id"]);
    }

    [Fact]
    public void A_location_attachment_is_a_shared_location()
    {
        var message = Single(FromCustomer("""
            "message":{"mid":"m_loc","attachments":[{"type":"location","title":"Pinned Location","url":"https://l.facebook.com/l.php?u=maps",
              "payload":{"coordinates":{"lat":31.2304,"long":121.4737}}}]}
            """));

        Assert.Equal(new SharedLocation(31.2304, 121.4737, "Pinned Location", "https://l.facebook.com/l.php?u=maps"), message.Location);
        Assert.Empty(message.Media);
    }

    [Fact]
    public void Fallback_and_template_attachments_are_kept_as_meta_sent_them()
    {
        var message = Single(FromCustomer("""
            "message":{"mid":"m_fb","text":"look","attachments":[{"type":"fallback","payload":null,"title":"A shared link","URL":"https://example.com/a"},
              {"type":"template","payload":{"template_type":"generic","elements":[]}}]}
            """));

        Assert.Equal("fallback", message.RawFields["attachments.0.type"]);
        Assert.Contains("https://example.com/a", message.RawFields["attachments.0"]);
        Assert.Equal("template", message.RawFields["attachments.1.type"]);
        Assert.Contains("generic", message.RawFields["attachments.1"]);
        Assert.Empty(message.Media);
    }

    [Fact]
    public void A_quick_reply_is_a_button_reply_beside_its_text()
    {
        var message = Single(FromCustomer("\"message\":{\"mid\":\"m_qr\",\"text\":\"Red\",\"quick_reply\":{\"payload\":\"COLOR_RED\"}}"));

        Assert.Equal("Red", message.Text);
        Assert.Equal(new ButtonReply("Red", "COLOR_RED"), message.Button);
    }

    [Fact]
    public void A_postback_is_a_button_reply_without_text_under_its_mid()
    {
        var message = Single(FromCustomer("\"postback\":{\"mid\":\"m_pb\",\"title\":\"Get Started\",\"payload\":\"GET_STARTED\"}"));

        Assert.Equal("m_pb", message.ChannelMessageId);
        Assert.Null(message.Text);
        Assert.Equal(new ButtonReply("Get Started", "GET_STARTED"), message.Button);
    }

    [Fact]
    public void A_postback_without_a_mid_gets_an_id_a_retry_repeats()
    {
        var item = FromCustomer("\"postback\":{\"title\":\"Menu\",\"payload\":\"MENU\"}");

        Assert.Equal($"postback:{Psid}:{SentMillis}", Single(item).ChannelMessageId);
        Assert.Equal(Single(item).ChannelMessageId, Single(item).ChannelMessageId);
    }

    [Fact]
    public void Get_started_after_a_link_is_a_button_reply_that_also_says_where_the_customer_came_from()
    {
        var message = Single(FromCustomer("\"postback\":{\"mid\":\"m_gs\",\"title\":\"Get Started\",\"payload\":\"GET_STARTED\",\"referral\":{\"ref\":\"winter\",\"source\":\"SHORTLINK\",\"type\":\"OPEN_THREAD\"}}"));

        Assert.Equal(new ButtonReply("Get Started", "GET_STARTED"), message.Button);
        Assert.Equal(new CustomerEvent(CustomerEventKinds.Referral, "winter", "SHORTLINK/OPEN_THREAD"), message.Event);
    }

    [Fact]
    public void A_message_from_an_ad_keeps_its_text_and_the_ad_it_came_from()
    {
        var message = Single(FromCustomer("\"message\":{\"mid\":\"m_ad\",\"text\":\"Is this in stock?\",\"referral\":{\"source\":\"ADS\",\"type\":\"OPEN_THREAD\",\"ad_id\":\"6045246247433\"}}"));

        Assert.Equal("Is this in stock?", message.Text);
        Assert.Equal(new CustomerEvent(CustomerEventKinds.Referral, null, "ADS/OPEN_THREAD"), message.Event);
        Assert.Equal("6045246247433", message.RawFields["referral.ad_id"]);
    }

    [Fact]
    public void A_referral_is_a_customer_event_with_the_ref_and_its_source()
    {
        var message = Single(FromCustomer("\"referral\":{\"ref\":\"spring-sale\",\"source\":\"SHORTLINK\",\"type\":\"OPEN_THREAD\"}"));

        Assert.Equal(new CustomerEvent(CustomerEventKinds.Referral, "spring-sale", "SHORTLINK/OPEN_THREAD"), message.Event);
        Assert.Null(message.Text);
        Assert.Equal($"referral:{Psid}:{SentMillis}", message.ChannelMessageId);
    }

    [Fact]
    public void A_reaction_is_a_customer_event_naming_the_emoji_and_the_reacted_message()
    {
        var message = Single(FromCustomer("\"reaction\":{\"reaction\":\"love\",\"emoji\":\"\\u2764\\ufe0f\",\"action\":\"react\",\"mid\":\"m_ours\"}"));

        Assert.Equal(new CustomerEvent(CustomerEventKinds.Reaction, "❤️", "m_ours"), message.Event);
        Assert.Equal($"reaction:m_ours:{Psid}:{SentMillis}", message.ChannelMessageId);
        Assert.Null(message.Text);
    }

    [Fact]
    public void Removing_a_reaction_is_a_reaction_event_with_no_emoji_and_its_own_id()
    {
        var react = Single(FromCustomer("\"reaction\":{\"reaction\":\"love\",\"emoji\":\"\\u2764\",\"action\":\"react\",\"mid\":\"m_ours\"}"));
        var later = Now.AddMinutes(-1).ToUnixTimeMilliseconds();
        var unreact = Single($$$"""{"sender":{"id":"{{{Psid}}}"},"recipient":{"id":"{{{Page}}}"},"timestamp":{{{later}}},"reaction":{"action":"unreact","mid":"m_ours"}}""");

        Assert.Equal(new CustomerEvent(CustomerEventKinds.Reaction, "", "m_ours"), unreact.Event);
        Assert.NotEqual(react.ChannelMessageId, unreact.ChannelMessageId);
    }

    [Fact]
    public void The_echo_of_crm_s_own_send_is_not_published()
    {
        var delivery = Normalize(Delivery(FromPage("\"message\":{\"mid\":\"m_echo\",\"is_echo\":true,\"app_id\":1517776481860111,\"metadata\":\"crm:6f1c2d4e-0000-4000-8000-000000000001\",\"text\":\"on its way\"}")));

        Assert.Empty(delivery.Messages);
        Assert.Single(delivery.Ignored);
    }

    [Fact]
    public void An_echo_of_a_message_sent_from_elsewhere_is_the_business_s_to_the_recipient()
    {
        var message = Single(FromPage("\"message\":{\"mid\":\"m_suite\",\"is_echo\":true,\"app_id\":263902037430900,\"text\":\"sent from Business Suite\"}"));

        Assert.True(message.SentByBusiness);
        Assert.Equal(Psid, message.CustomerIdentity);
        Assert.Equal(Page, message.BusinessIdentity);
        Assert.Equal("sent from Business Suite", message.Text);
        Assert.Equal("m_suite", message.ChannelMessageId);
        Assert.Equal("263902037430900", message.RawFields["app_id"]);
    }

    [Fact]
    public void An_echo_with_another_app_s_metadata_is_recorded()
        => Assert.True(Single(FromPage("\"message\":{\"mid\":\"m_bot\",\"is_echo\":true,\"metadata\":\"other-bot:42\",\"text\":\"from a bot\"}")).SentByBusiness);

    [Fact]
    public void A_delivery_reports_each_mid_delivered_and_its_watermark()
    {
        var watermark = Now.AddMinutes(-1).ToUnixTimeMilliseconds();
        var delivery = Normalize(Delivery(FromCustomer($$$"""
            "delivery":{"mids":["m_one","m_two"],"watermark":{{{watermark}}}}
            """)));

        Assert.Empty(delivery.Messages);
        Assert.Equal(["m_one", "m_two"], delivery.Statuses.Select(s => s.ChannelMessageId));
        Assert.All(delivery.Statuses, s => Assert.Equal(MessageStatuses.Delivered, s.Status));
        var mark = Assert.Single(delivery.Watermarks);
        Assert.Equal(new StatusWatermarkReported(Channels.Messenger, Psid, Page, MessageStatuses.Delivered, DateTimeOffset.FromUnixTimeMilliseconds(watermark), Now), mark);
    }

    [Fact]
    public void A_read_is_a_read_watermark_for_the_customer_and_page()
    {
        var watermark = Now.AddMinutes(-1).ToUnixTimeMilliseconds();
        var mark = Assert.Single(Normalize(Delivery(FromCustomer($$$"""
            "read":{"watermark":{{{watermark}}}}
            """))).Watermarks);

        Assert.Equal(MessageStatuses.Read, mark.Status);
        Assert.Equal(Psid, mark.CustomerIdentity);
        Assert.Equal(Page, mark.BusinessIdentity);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(watermark), mark.Watermark);
    }

    [Fact]
    public void The_page_s_own_reaction_is_not_taken_for_the_customer_s()
    {
        var delivery = Normalize(Delivery(FromPage("\"reaction\":{\"reaction\":\"like\",\"emoji\":\"\\ud83d\\udc4d\",\"action\":\"react\",\"mid\":\"m_theirs\"}")));

        Assert.Empty(delivery.Messages);
        Assert.Equal("the page's own reaction", Assert.Single(delivery.Ignored));
    }

    [Fact]
    public void Items_crm_has_no_use_for_are_acknowledged_not_refused()
    {
        var delivery = Normalize(Delivery(FromCustomer("\"optin\":{\"ref\":\"x\"}"), FromCustomer("\"message\":{\"mid\":\"m_after\",\"text\":\"hi\"}")));

        Assert.Equal("optin", Assert.Single(delivery.Ignored));
        Assert.Equal("m_after", Assert.Single(delivery.Messages).ChannelMessageId);
    }

    [Fact]
    public void Every_entry_and_item_of_a_batch_is_normalized()
    {
        string Text(string mid, string text) => FromCustomer($"\"message\":{{\"mid\":\"{mid}\",\"text\":\"{text}\"}}");
        var body = Encoding.UTF8.GetBytes($$$"""
            {"object":"page","entry":[
              {"id":"{{{Page}}}","time":1,"messaging":[{{{Text("m_1", "one")}}},{{{Text("m_2", "two")}}}]},
              {"id":"{{{Page}}}","time":2,"messaging":[{{{Text("m_3", "three")}}}]}]}
            """);

        Assert.Equal(["m_1", "m_2", "m_3"], Normalize(body).Messages.Select(m => m.ChannelMessageId));
    }

    [Fact]
    public void Entries_for_another_page_are_set_aside()
    {
        var ours = FromCustomer("\"message\":{\"mid\":\"m_ours\",\"text\":\"ours\"}");
        var body = Encoding.UTF8.GetBytes($$$"""
            {"object":"page","entry":[
              {"id":"999","time":1,"messaging":[{"sender":{"id":"5"},"recipient":{"id":"999"},"timestamp":1,"message":{"mid":"m_x","text":"not ours"}}]},
              {"id":"{{{Page}}}","time":2,"messaging":[{{{ours}}}]}]}
            """);

        var delivery = Normalize(body);

        Assert.Equal(["999"], delivery.OtherPages);
        Assert.Equal(1, delivery.OwnEntries);
        Assert.Equal("m_ours", Assert.Single(delivery.Messages).ChannelMessageId);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"object":"instagram","entry":[{"id":"1234567890","messaging":[]}]}""")]
    [InlineData("""{"object":"page"}""")]
    [InlineData("""{"object":"page","entry":[]}""")]
    [InlineData("""{"object":"page","entry":[{"messaging":[]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":{}}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"recipient":{"id":"1234567890"},"message":{"mid":"m_1"}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"1234567890"},"message":{"text":"no mid"}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"1234567890"},"message":{"mid":"m 1<script>"}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"1234567890"},"message":{"mid":"m_1","text":7}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"777"},"message":{"mid":"m_1","text":"to another page"}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"1234567890"},"timestamp":"soon","message":{"mid":"m_1"}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"1234567890"},"read":{"watermark":"x"}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"1234567890"},"delivery":{"mids":[1],"watermark":1}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"1234567890"},"reaction":{"action":"love","mid":"m_1"}}]}]}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1234567890","messaging":[{"sender":{"id":"5"},"recipient":{"id":"1234567890"},"message":{"mid":"m_1","is_echo":true}}]}]}""")]
    public void A_delivery_not_in_messenger_s_shape_is_refused_whole(string json)
        => Assert.Throws<FormatException>(() => MessengerWebhook.Normalize(Encoding.UTF8.GetBytes(json), Page, Now));

    [Fact]
    public void One_bad_item_refuses_the_good_ones_beside_it()
        => Assert.Throws<FormatException>(() => Normalize(Delivery(FromCustomer("\"message\":{\"mid\":\"m_good\",\"text\":\"fine\"}"), FromCustomer("\"message\":{\"text\":\"no mid\"}"))));

    [Fact]
    public void The_refusal_says_where_not_what_the_customer_wrote()
    {
        var error = Assert.Throws<FormatException>(() => Normalize(Delivery(FromCustomer("\"message\":{\"text\":\"my secret plans\"}"))));

        Assert.Contains("entry[0].messaging[0].message.mid", error.Message);
        Assert.DoesNotContain("secret plans", error.Message);
    }
}
