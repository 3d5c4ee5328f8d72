using System.Net;
using System.Net.Http.Json;
using Crm.Connectors.Twilio;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;

namespace Crm.FunctionalTests;

public sealed class TwilioWebhookTests : SignedInAgentTests
{
    /// <summary>Webhooks, not assignment: the timelines hold only the customer's messages.</summary>
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>([CrmApplication.ManualAssignment]);

    [Fact]
    public async Task A_forged_signature_is_refused_and_nothing_is_stored()
    {
        var form = TwilioFakes.WhatsAppText("SMforged", "+14155550100", "let me in");
        var forged = TwilioSignature.Compute("not-the-auth-token", CrmApplication.PublicBaseUrl + CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp"), form);

        var response = await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", form, forged);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty((await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);
    }

    [Fact]
    public async Task A_tampered_body_is_refused()
    {
        var signed = TwilioFakes.WhatsAppText("SMtamper", "+14155550100", "pay 10");
        var signature = TwilioSignature.Compute(CrmApplication.AuthToken, CrmApplication.PublicBaseUrl + CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp"), signed);
        var tampered = TwilioFakes.WhatsAppText("SMtamper", "+14155550100", "pay 1000");

        var response = await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", tampered, signature);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_forged_status_callback_changes_nothing()
    {
        var (conversation, reply) = await QueuedReplyAsync("SMforgedstatus00000000000000000000001", "on its way");
        var path = $"/webhooks/twilio/status?messageId={reply.Id}";
        var form = TwilioFakes.StatusCallback("SMforgedstatus00000000000000000000001", "failed", "30008");

        var response = await App.PostFromTwilioAsync(path, form, TwilioSignature.Compute("guessed", CrmApplication.PublicBaseUrl + CrmApplication.ConnectionPath(path), form));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var timeline = await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages");
        Assert.Equal(MessageStatuses.Queued, timeline!.Items.Single(m => m.Id == reply.Id).Status);
    }

    [Fact]
    public async Task An_unsigned_webhook_is_refused()
    {
        var response = await App.CreateClient().PostAsync(CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp"),
            new FormUrlEncodedContent(TwilioFakes.WhatsAppText("SMunsigned", "+14155550100", "hello")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty((await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);
    }

    [Fact]
    public async Task A_signature_made_for_the_url_with_its_default_port_is_accepted()
    {
        var form = TwilioFakes.WhatsAppText("SMport", "+14155550100", "via port 443");
        var signature = TwilioSignature.Compute(CrmApplication.AuthToken, "https://crm.example.com:443" + CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp"), form);

        var response = await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", form, signature);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMport");
    }

    [Fact]
    public async Task A_retried_webhook_adds_one_timeline_entry()
    {
        var form = TwilioFakes.WhatsAppText("SMretried", "+14155550100", "only once please");

        Assert.Equal(HttpStatusCode.OK, (await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", form)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", form)).StatusCode);
        var added = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMretried");
        // A later message proves both deliveries of the retry have been consumed before we count.
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMafter", "+14155550100", "next"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMafter");

        var timeline = await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{added.ConversationId}/messages");
        Assert.Equal(["SMretried", "SMafter"], timeline!.Items.Select(m => m.ChannelMessageId));
        Assert.Single(Feed.All("MessageAdded").Cast<TimelineMessage>(), m => m.ChannelMessageId == "SMretried");
    }

    [Fact]
    public async Task Media_location_and_unknown_fields_reach_the_timeline()
    {
        var form = TwilioFakes.WhatsAppText("SMrich", "+14155550100", "");
        form.RemoveAll(f => f.Key == "NumMedia");
        form.AddRange([
            new("NumMedia", "1"),
            new("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"),
            new("MediaContentType0", "image/jpeg"),
            new("Latitude", "52.3731"),
            new("Longitude", "4.8922"),
            new("ForwardedFrom", "somewhere-new"),
        ]);

        Assert.Equal(HttpStatusCode.OK, (await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", form)).StatusCode);

        var added = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMrich");
        var stored = (await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{added.ConversationId}/messages"))!.Items.Single();
        Assert.Equal("image/jpeg", Assert.Single(stored.Media).ContentType);
        Assert.Equal(52.3731, stored.Location?.Latitude);
        Assert.Equal("somewhere-new", stored.RawFields["ForwardedFrom"]);
    }

    [Fact]
    public async Task A_webhook_without_a_sender_is_refused_with_a_reason_and_nothing_is_stored()
    {
        var form = TwilioFakes.WhatsAppText("SMnofrom", "+14155550100", "who am I");
        form.RemoveAll(f => f.Key == "From");

        var response = await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("From", await response.Content.ReadAsStringAsync());
        Assert.Empty((await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);
    }
}
