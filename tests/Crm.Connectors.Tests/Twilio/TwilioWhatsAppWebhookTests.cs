using Crm.Connectors.Twilio;
using Crm.Contracts;
using Xunit;

namespace Crm.Connectors.Tests.Twilio;

public sealed class TwilioWhatsAppWebhookTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The fields Twilio sends with every incoming WhatsApp message, as it sends them.</summary>
    private static List<KeyValuePair<string, string>> Form(params (string Key, string Value)[] extra)
    {
        List<KeyValuePair<string, string>> form =
        [
            new("SmsMessageSid", "SM0123456789abcdef0123456789abcdef"),
            new("NumMedia", "0"),
            new("ProfileName", "Alice"),
            new("MessageType", "text"),
            new("SmsSid", "SM0123456789abcdef0123456789abcdef"),
            new("WaId", "14155550100"),
            new("SmsStatus", "received"),
            new("Body", ""),
            new("To", "whatsapp:+14155238886"),
            new("NumSegments", "1"),
            new("MessageSid", "SM0123456789abcdef0123456789abcdef"),
            new("AccountSid", "AC00000000000000000000000000000001"),
            new("From", "whatsapp:+14155550100"),
            new("ApiVersion", "2010-04-01"),
        ];
        foreach (var (key, value) in extra)
        {
            form.RemoveAll(field => field.Key == key);
            form.Add(new(key, value));
        }
        return form;
    }

    [Fact]
    public void A_text_message_is_normalized()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(("Body", "Hi, where is my order?")), Now);

        Assert.Equal(Channels.WhatsApp, message.Channel);
        Assert.Equal("SM0123456789abcdef0123456789abcdef", message.ChannelMessageId);
        Assert.Equal("+14155550100", message.CustomerIdentity);
        Assert.Equal("Alice", message.CustomerName);
        Assert.Equal("+14155238886", message.BusinessIdentity);
        Assert.Equal("Hi, where is my order?", message.Text);
        Assert.Empty(message.Media);
        Assert.Null(message.Location);
        Assert.Null(message.Button);
        Assert.Equal(Now, message.ReceivedAt);
        // Only what Twilio sent beyond the known and routine fields.
        Assert.Equal(new Dictionary<string, string> { ["MessageType"] = "text" }, message.RawFields);
    }

    [Fact]
    public void An_empty_body_and_profile_name_are_null()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(("ProfileName", "")), Now);

        Assert.Null(message.Text);
        Assert.Null(message.CustomerName);
    }

    [Fact]
    public void Two_media_items_are_kept_in_index_order_with_their_content_types()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(
            ("NumMedia", "2"),
            ("MediaContentType1", "application/pdf"),
            ("MediaUrl1", "https://api.twilio.com/media/ME2"),
            ("MediaContentType0", "image/jpeg"),
            ("MediaUrl0", "https://api.twilio.com/media/ME1"),
            ("Body", "Here is the receipt")), Now);

        Assert.Equal(
            [new MediaAttachment("https://api.twilio.com/media/ME1", "image/jpeg"), new MediaAttachment("https://api.twilio.com/media/ME2", "application/pdf")],
            message.Media);
        Assert.Equal("Here is the receipt", message.Text);
        Assert.DoesNotContain(message.RawFields.Keys, key => key.StartsWith("Media", StringComparison.Ordinal) || key == "NumMedia");
    }

    [Fact]
    public void Media_is_found_even_when_NumMedia_is_missing_or_wrong()
    {
        var form = Form(("NumMedia", "1"), ("MediaUrl0", "https://m/0"), ("MediaUrl2", "https://m/2"), ("MediaContentType2", "audio/ogg"));
        form.RemoveAll(field => field.Key == "NumMedia");

        var message = TwilioWhatsAppWebhook.Normalize(form, Now);

        Assert.Equal([new MediaAttachment("https://m/0", null), new MediaAttachment("https://m/2", "audio/ogg")], message.Media);
    }

    [Fact]
    public void A_shared_location_is_normalized()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(
            ("MessageType", "location"),
            ("Latitude", "37.7879277"),
            ("Longitude", "-122.4075394"),
            ("Label", "Twilio HQ"),
            ("Address", "101 Spear St, San Francisco")), Now);

        Assert.Equal(new SharedLocation(37.7879277, -122.4075394, "Twilio HQ", "101 Spear St, San Francisco"), message.Location);
        Assert.Equal(new Dictionary<string, string> { ["MessageType"] = "location" }, message.RawFields);
    }

    [Fact]
    public void Unreadable_coordinates_give_no_location_and_are_kept_raw()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(("Latitude", "north"), ("Longitude", "-122.4")), Now);

        Assert.Null(message.Location);
        Assert.Equal("north", message.RawFields["Latitude"]);
        Assert.Equal("-122.4", message.RawFields["Longitude"]);
    }

    [Fact]
    public void A_quick_reply_button_is_normalized()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(
            ("MessageType", "button"),
            ("Body", "Yes, please"),
            ("ButtonText", "Yes, please"),
            ("ButtonPayload", "confirm-order-42")), Now);

        Assert.Equal(new ButtonReply("Yes, please", "confirm-order-42"), message.Button);
        Assert.False(message.RawFields.ContainsKey("ButtonText"));
        Assert.False(message.RawFields.ContainsKey("ButtonPayload"));
    }

    [Fact]
    public void Unknown_fields_are_kept_raw_and_repeated_ones_joined()
    {
        var form = Form(("ReferralNumMedia", "0"), ("ChannelMetadata", "{\"type\":\"whatsapp\"}"), ("Tag", "a"));
        form.Add(new("Tag", "b"));

        var message = TwilioWhatsAppWebhook.Normalize(form, Now);

        Assert.Equal("0", message.RawFields["ReferralNumMedia"]);
        Assert.Equal("{\"type\":\"whatsapp\"}", message.RawFields["ChannelMetadata"]);
        Assert.Equal("a,b", message.RawFields["Tag"]);
        Assert.Equal("text", message.RawFields["MessageType"]);
        Assert.DoesNotContain("AccountSid", message.RawFields.Keys);
        Assert.DoesNotContain("SmsSid", message.RawFields.Keys);
    }

    [Fact]
    public void The_message_id_falls_back_to_SmsMessageSid_then_SmsSid()
    {
        var form = Form();
        form.RemoveAll(field => field.Key is "MessageSid" or "SmsMessageSid");
        form.RemoveAll(field => field.Key == "SmsSid");
        form.Add(new("SmsSid", "SM-old"));

        Assert.Equal("SM-old", TwilioWhatsAppWebhook.Normalize(form, Now).ChannelMessageId);

        form.Add(new("SmsMessageSid", "SM-newer"));
        Assert.Equal("SM-newer", TwilioWhatsAppWebhook.Normalize(form, Now).ChannelMessageId);
    }

    [Fact]
    public void A_missing_message_id_is_a_format_error()
    {
        var form = Form();
        form.RemoveAll(field => field.Key is "MessageSid" or "SmsMessageSid" or "SmsSid");

        var error = Assert.Throws<FormatException>(() => TwilioWhatsAppWebhook.Normalize(form, Now));
        Assert.Contains("MessageSid", error.Message);
    }

    [Fact]
    public void A_missing_sender_is_a_format_error()
    {
        var form = Form();
        form.RemoveAll(field => field.Key == "From");

        var error = Assert.Throws<FormatException>(() => TwilioWhatsAppWebhook.Normalize(form, Now));
        Assert.Contains("From", error.Message);
    }

    [Theory]
    [InlineData("whatsapp:+44 7700 900123", "+447700900123")]
    [InlineData("whatsapp:14155238886", "+14155238886")]
    public void Sender_numbers_are_normalized_to_e164(string from, string expected)
        => Assert.Equal(expected, TwilioWhatsAppWebhook.Normalize(Form(("From", from)), Now).CustomerIdentity);

    [Theory]
    [InlineData("whatsapp:+5215512345678", "5215512345678", "+525512345678")]
    [InlineData("whatsapp:+5491123456789", "5491123456789", "+541123456789")]
    [InlineData("whatsapp:+553187654321", "553187654321", "+5531987654321")]
    public void A_sender_in_a_whatsapp_national_spelling_is_accepted_as_its_canonical_number(string from, string waId, string expected)
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(("From", from), ("WaId", waId)), Now);

        Assert.Equal(expected, message.CustomerIdentity);
        // How WhatsApp spelled it is kept, so the folding can be undone or checked.
        Assert.Equal(from, message.RawFields["From"]);
        Assert.Equal(waId, message.RawFields["WaId"]);
    }

    [Fact]
    public void Mexicos_two_spellings_are_one_customer()
        => Assert.Equal(
            TwilioWhatsAppWebhook.Normalize(Form(("From", "whatsapp:+525512345678")), Now).CustomerIdentity,
            TwilioWhatsAppWebhook.Normalize(Form(("From", "whatsapp:+5215512345678")), Now).CustomerIdentity);

    [Theory]
    [InlineData("whatsapp:US.13491208655302741918", "bsuid:US.13491208655302741918")]
    [InlineData("whatsapp:IN.2081648738043044942", "bsuid:IN.2081648738043044942")]
    public void A_sender_known_only_by_a_business_scoped_user_id_is_accepted(string from, string expected)
    {
        var form = Form(("From", from));
        form.RemoveAll(field => field.Key == "WaId");

        var message = TwilioWhatsAppWebhook.Normalize(form, Now);

        Assert.Equal(expected, message.CustomerIdentity);
        Assert.Equal(from, WhatsAppNumbers.ToWhatsAppAddress(message.CustomerIdentity));
    }

    [Fact]
    public void A_business_scoped_sender_keeps_the_phone_number_twilio_sent_with_it()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(("From", "whatsapp:US.13491208655302741918"), ("WaId", "14155550100")), Now);

        Assert.Equal("bsuid:US.13491208655302741918", message.CustomerIdentity);
        Assert.Equal("14155550100", message.RawFields["WaId"]);
    }

    [Fact]
    public void A_plain_e164_sender_keeps_no_redundant_raw_copy_of_its_address()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(), Now);

        Assert.DoesNotContain("From", message.RawFields.Keys);
        Assert.DoesNotContain("WaId", message.RawFields.Keys);
    }

    [Fact]
    public void A_sender_of_no_known_shape_is_accepted_as_given()
        => Assert.Equal("address:whatsapp:not-a-number", TwilioWhatsAppWebhook.Normalize(Form(("From", "whatsapp:not-a-number")), Now).CustomerIdentity);

    [Fact]
    public void A_sender_with_a_control_character_is_a_format_error()
    {
        var error = Assert.Throws<FormatException>(() => TwilioWhatsAppWebhook.Normalize(Form(("From", "whatsapp:+1415555\u001b0100")), Now));
        Assert.Contains("From", error.Message);
    }

    [Fact]
    public void Nul_bytes_are_dropped_from_every_field_and_other_control_characters_kept()
    {
        var message = TwilioWhatsAppWebhook.Normalize(Form(("Body", "remove\0 nul\0, keep\ttab"), ("Odd\0Field", "x\0y")), Now);

        Assert.Equal("remove nul, keep\ttab", message.Text);
        Assert.Equal("xy", message.RawFields["OddField"]);
    }

    [Fact]
    public void The_business_number_is_normalized_like_the_sender()
        => Assert.Equal("+14155238886", TwilioWhatsAppWebhook.Normalize(Form(("To", "whatsapp:+1 415 523 8886")), Now).BusinessIdentity);

    [Theory]
    [InlineData("a")]
    [InlineData("\U0001F600")]
    // A family: four people joined by zero-width joiners, seven code points, one character on screen.
    [InlineData("\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466")]
    public void A_body_of_whatsapps_full_length_is_kept_however_its_characters_are_built(string character)
    {
        var longest = string.Concat(Enumerable.Repeat(character, TwilioWhatsAppWebhook.MaxBodyLength));

        Assert.Equal(longest, TwilioWhatsAppWebhook.Normalize(Form(("Body", longest)), Now).Text);
    }

    [Fact]
    public void A_body_longer_than_whatsapp_allows_is_a_format_error()
    {
        var error = Assert.Throws<FormatException>(() => TwilioWhatsAppWebhook.Normalize(Form(("Body", new string('a', TwilioWhatsAppWebhook.MaxBodyLength + 1))), Now));
        Assert.Contains("Body", error.Message);
    }

    [Theory]
    [InlineData("SM<script>")]
    [InlineData("SM 1")]
    [InlineData("SM\u001b")]
    public void A_message_id_that_cannot_be_twilios_is_a_format_error(string sid)
        => Assert.Throws<FormatException>(() => TwilioWhatsAppWebhook.Normalize(Form(("MessageSid", sid)), Now));

    [Fact]
    public void A_message_id_longer_than_any_twilio_id_is_a_format_error()
        => Assert.Throws<FormatException>(() => TwilioWhatsAppWebhook.Normalize(Form(("MessageSid", "SM" + new string('0', TwilioWhatsAppWebhook.MaxMessageSidLength))), Now));

    [Fact]
    public void Ten_media_items_are_kept_and_eleven_are_a_format_error()
    {
        var ten = Enumerable.Range(0, TwilioWhatsAppWebhook.MaxMedia).Select(i => ($"MediaUrl{i}", $"https://m/{i}")).ToArray();
        Assert.Equal(10, TwilioWhatsAppWebhook.Normalize(Form(ten), Now).Media.Count);

        var error = Assert.Throws<FormatException>(() => TwilioWhatsAppWebhook.Normalize(Form([.. ten, ("MediaUrl10", "https://m/10")]), Now));
        Assert.Contains("media", error.Message);
    }
}
