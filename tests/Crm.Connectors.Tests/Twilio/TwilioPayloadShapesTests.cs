using Crm.Connectors.Twilio;
using Xunit;

namespace Crm.Connectors.Tests.Twilio;

/// <summary>
/// Incoming WhatsApp webhooks in the exact field set and order Twilio sends them, as logged by open-source
/// Twilio integrations (2025–2026), with the people's names, numbers and ids replaced by test values.
/// </summary>
public sealed class TwilioPayloadShapesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A text to a number on a Messaging Service; ChannelMetadata repeats the profile as JSON.</summary>
    private static List<KeyValuePair<string, string>> MessagingServiceText(string from, string waId) =>
    [
        new("SmsMessageSid", "SM98382c43aedeffa8fc195d694e36e000"),
        new("NumMedia", "0"),
        new("ProfileName", "Ana Pérez"),
        new("MessageType", "text"),
        new("SmsSid", "SM98382c43aedeffa8fc195d694e36e000"),
        new("WaId", waId),
        new("SmsStatus", "received"),
        new("Body", "Responde sin decir ok"),
        new("To", "whatsapp:+34600000001"),
        new("MessagingServiceSid", "MG00000000000000000000000000000001"),
        new("NumSegments", "1"),
        new("ReferralNumMedia", "0"),
        new("MessageSid", "SM98382c43aedeffa8fc195d694e36e000"),
        new("AccountSid", "AC00000000000000000000000000000001"),
        new("ChannelMetadata", $"{{\"type\":\"whatsapp\",\"data\":{{\"context\":{{\"ProfileName\":\"Ana Pérez\",\"WaId\":\"{waId}\"}}}}}}"),
        new("From", from),
        new("ApiVersion", "2010-04-01"),
    ];

    [Fact]
    public void A_messaging_service_text_is_normalized_with_its_metadata_kept_raw()
    {
        var message = TwilioWhatsAppWebhook.Normalize(MessagingServiceText("whatsapp:+34600000002", "34600000002"), Now);

        Assert.Equal("SM98382c43aedeffa8fc195d694e36e000", message.ChannelMessageId);
        Assert.Equal("+34600000002", message.CustomerIdentity);
        Assert.Equal("+34600000001", message.BusinessIdentity);
        Assert.Equal("Ana Pérez", message.CustomerName);
        Assert.Equal("Responde sin decir ok", message.Text);
        Assert.Equal(["ChannelMetadata", "MessageType", "ReferralNumMedia"], message.RawFields.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_mexican_sender_as_twilio_sends_it_is_the_canonical_number_with_twilios_spelling_kept()
    {
        var message = TwilioWhatsAppWebhook.Normalize(MessagingServiceText("whatsapp:+5215512345678", "5215512345678"), Now);

        Assert.Equal("+525512345678", message.CustomerIdentity);
        Assert.Equal("whatsapp:+5215512345678", message.RawFields["From"]);
        Assert.Equal("5215512345678", message.RawFields["WaId"]);
    }

    /// <summary>Since the username rollout Twilio adds the business-scoped id as ExternalUserId beside the number.</summary>
    [Fact]
    public void A_business_scoped_id_sent_beside_the_number_is_kept_so_the_two_can_be_linked()
    {
        List<KeyValuePair<string, string>> form =
        [
            new("ExternalUserId", "whatsapp:CO.4480491918930000"),
            new("SmsMessageSid", "SMd35dc6b5e27d2858718fd7da213a6000"),
            new("NumMedia", "0"),
            new("ProfileName", "David"),
            new("MessageType", "text"),
            new("SmsSid", "SMd35dc6b5e27d2858718fd7da213a6000"),
            new("WaId", "573000000001"),
            new("SmsStatus", "received"),
            new("Body", "Hola"),
            new("To", "whatsapp:+14155238886"),
            new("NumSegments", "1"),
            new("ReferralNumMedia", "0"),
            new("MessageSid", "SMd35dc6b5e27d2858718fd7da213a6000"),
            new("AccountSid", "AC00000000000000000000000000000001"),
            new("ChannelMetadata", "{\"type\":\"whatsapp\",\"data\":{\"context\":{\"ProfileName\":\"David\",\"WaId\":\"573000000001\"}}}"),
            new("From", "whatsapp:+573000000001"),
            new("ApiVersion", "2010-04-01"),
        ];

        var message = TwilioWhatsAppWebhook.Normalize(form, Now);

        Assert.Equal("+573000000001", message.CustomerIdentity);
        Assert.Equal("whatsapp:CO.4480491918930000", message.RawFields["ExternalUserId"]);
    }
}
