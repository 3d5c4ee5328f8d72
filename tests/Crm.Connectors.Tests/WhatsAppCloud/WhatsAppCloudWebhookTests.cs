using System.Text;
using Crm.Connectors.Connections;
using Crm.Connectors.WhatsAppCloud;
using Crm.Contracts;
using Xunit;
using static Crm.Connectors.Tests.WhatsAppCloud.CloudApiExamples;

namespace Crm.Connectors.Tests.WhatsAppCloud;

/// <summary>Meta's documented webhook examples, each message type, normalized for the inbox.</summary>
public sealed class WhatsAppCloudWebhookTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Sent = DateTimeOffset.FromUnixTimeSeconds(1749416383);
    private const string Wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";

    public static readonly WhatsAppCloudAccount Account = new(Guid.Parse("c10d0000-0000-4000-8000-000000000001"), Guid.Parse("c10d0000-0000-4000-8000-0000000000ff"),
        PhoneNumberId, WabaId, "+" + DisplayNumber, new Uri("https://graph.example.com"), "v21.0", "token", "app-secret", "verify")
    {
        RoutingTeamId = Guid.Parse("c10d0000-0000-4000-8000-0000000000aa"),
    };

    private static WhatsAppCloudDelivery Read(string json) => WhatsAppCloudWebhook.Read(Encoding.UTF8.GetBytes(json), Account, Now);

    private static InboundMessageReceived One(string message) => Assert.Single(Read(Inbound(Wamid, message)).Messages);

    [Fact]
    public void A_text_is_the_customer_by_plus_wa_id_writing_to_the_connections_display_number()
    {
        var message = One(Text);

        Assert.Equal((Channels.WhatsApp, Wamid, "+16505551234", CustomerName, "+15550783881"),
            (message.Channel, message.ChannelMessageId, message.CustomerIdentity, message.CustomerName, message.BusinessIdentity));
        Assert.Equal("Does it come in another color?", message.Text);
        Assert.Equal((Account.WorkspaceId, Account.ConnectionId, Account.RoutingTeamId), (message.WorkspaceId, message.ConnectionId, message.RoutingTeamId));
        Assert.Equal(Sent, message.ReceivedAt);
        Assert.Empty(message.RawFields);
    }

    [Fact]
    public void A_sender_with_a_phone_number_and_a_bsuid_is_the_phone_number_also_known_as_the_bsuid()
    {
        var message = Assert.Single(Read(InboundWithBsuid(Wamid, Text)).Messages);

        Assert.Equal(("+16505551234", CustomerName), (message.CustomerIdentity, message.CustomerName));
        Assert.Equal([new IdentityAlias(Channels.WhatsApp, CustomerBsuid)], message.AlsoKnownAs);
    }

    [Fact]
    public void A_sender_known_only_by_a_bsuid_is_the_bsuid_with_no_alias()
    {
        var message = Assert.Single(Read(InboundWithBsuid(Wamid, Text, from: null)).Messages);

        Assert.Equal((CustomerBsuid, CustomerName, "Does it come in another color?"), (message.CustomerIdentity, message.CustomerName, message.Text));
        Assert.Null(message.AlsoKnownAs);
        Assert.Empty(message.RawFields);
    }

    [Fact]
    public void A_message_from_before_bsuids_has_no_alias()
    {
        Assert.Null(One(Text).AlsoKnownAs);
    }

    [Fact]
    public void A_user_id_that_is_not_a_bsuid_is_no_alias_and_without_a_phone_the_message_is_skipped()
    {
        Assert.Null(Assert.Single(Read(InboundWithBsuid(Wamid, Text, bsuid: "not a bsuid")).Messages).AlsoKnownAs);

        var delivery = Read(InboundWithBsuid(Wamid, Text, from: null, bsuid: "../etc"));

        Assert.Empty(delivery.Messages);
        Assert.Single(delivery.Skipped);
    }

    [Fact]
    public void A_status_of_a_message_sent_to_a_bsuid_finds_the_message_by_its_wamid()
    {
        var status = Assert.Single(Read(StatusToBsuid("wamid.sent-by-us", "delivered")).Statuses);

        Assert.Equal(("wamid.sent-by-us", MessageStatuses.Delivered), (status.ChannelMessageId, status.Status));
    }

    [Theory]
    [InlineData(Image, "1003383421387256", "image/jpeg", "This is the one")]
    [InlineData(Audio, "1003383421387257", "audio/ogg; codecs=opus", null)]
    [InlineData(Video, "1003383421387258", "video/mp4", "Unboxing")]
    [InlineData(Document, "1003383421387259", "application/pdf", "Invoice")]
    [InlineData(Sticker, "1003383421387260", "image/webp", null)]
    public void Media_is_a_crm_address_of_its_media_id_with_its_type_and_the_caption_as_text(string example, string mediaId, string contentType, string? caption)
    {
        var message = One(example);

        var media = Assert.Single(message.Media);
        Assert.Equal(MediaPaths.Of(Account.ConnectionId, mediaId), media.Url);
        Assert.Equal(contentType, media.ContentType);
        Assert.Equal(caption, message.Text);
    }

    [Fact]
    public void A_documents_file_name_and_a_voice_notes_flag_are_kept_raw()
    {
        Assert.Equal("invoice-2026-11.pdf", One(Document).RawFields["filename"]);
        Assert.Equal("true", One(Audio).RawFields["voice"]);
    }

    [Fact]
    public void A_location_is_shared_with_its_name_and_address()
    {
        Assert.Equal(new SharedLocation(37.483307, -122.148981, "Main Street Beach", "1 Hacker Way, Menlo Park, CA 94025"), One(Location).Location);
    }

    [Fact]
    public void A_shared_contact_card_reads_as_a_line_an_agent_understands_with_the_card_kept_raw()
    {
        var message = One(Contacts);

        Assert.Equal("Shared contact: Barbara J. Johnson, +1 (940) 555-1234", message.Text);
        Assert.Equal("contacts", message.RawFields["type"]);
        Assert.Contains("bjohnson@example.com", message.RawFields["contacts"]);
    }

    [Fact]
    public void Tapping_a_reply_button_or_a_list_row_is_a_button_reply_with_its_title_and_id()
    {
        var button = One(ReplyButton);
        var row = One(ListReply);

        Assert.Equal(new ButtonReply("Cancel", "cancel-button"), button.Button);
        Assert.Equal("Cancel", button.Text);
        Assert.Equal(ReactedTo, button.RawFields["context.id"]);
        Assert.Equal(new ButtonReply("Priority Mail Express", "priority_express"), row.Button);
        Assert.Equal("Next Day to 2 Days", row.RawFields["list_reply.description"]);
    }

    [Fact]
    public void A_templates_quick_reply_is_a_button_reply_with_its_payload()
    {
        var message = One(TemplateButton);

        Assert.Equal(new ButtonReply("Stop promotions", "unsubscribe-me"), message.Button);
        Assert.Equal("Stop promotions", message.Text);
    }

    [Fact]
    public void A_reaction_is_a_customer_event_with_the_emoji_and_the_reacted_message_under_its_own_wamid()
    {
        var message = One(Reaction);

        Assert.Equal(Wamid, message.ChannelMessageId);
        Assert.Equal(new CustomerEvent(CustomerEventKinds.Reaction, "\U0001F44D", ReactedTo), message.Event);
        Assert.Null(message.Text);
    }

    [Fact]
    public void A_reaction_taken_back_has_an_empty_emoji()
    {
        var message = One("""
            "type": "reaction", "reaction": { "message_id": "wamid.earlier" }
            """);

        Assert.Equal(new CustomerEvent(CustomerEventKinds.Reaction, "", "wamid.earlier"), message.Event);
    }

    [Fact]
    public void An_unsupported_message_is_kept_with_its_type_and_metas_errors()
    {
        var message = One(Unsupported);

        Assert.Equal("unsupported", message.RawFields["type"]);
        Assert.Equal("Meta error 131051: Message type unknown", message.RawFields["errors"]);
    }

    [Fact]
    public void A_type_this_build_does_not_know_is_kept_with_its_content()
    {
        var message = One("""
            "type": "order", "order": { "catalog_id": "1234", "product_items": [ { "product_retailer_id": "sku-1", "quantity": "2" } ] }
            """);

        Assert.Equal("order", message.RawFields["type"]);
        Assert.Contains("sku-1", message.RawFields["order"]);
    }

    [Fact]
    public void A_mexican_wa_id_is_the_same_canonical_customer_as_twilios_with_whatsapps_spelling_kept()
    {
        var message = Assert.Single(Read(Inbound(Wamid, Text, from: "5215512345678")).Messages);

        Assert.Equal("+525512345678", message.CustomerIdentity);
        Assert.Equal("5215512345678", message.RawFields["from"]);
    }

    [Fact]
    public void A_change_for_another_phone_number_of_the_app_is_skipped_and_said_why()
    {
        var delivery = Read(Inbound(Wamid, Text, phoneNumberId: "999999999999999"));

        Assert.Empty(delivery.Messages);
        Assert.Contains("999999999999999", Assert.Single(delivery.Skipped));
    }

    [Fact]
    public void A_message_without_an_id_is_skipped_while_the_rest_of_the_delivery_is_kept()
    {
        var delivery = Read(Change($$"""
            "contacts": [ { "profile": { "name": "{{CustomerName}}" }, "wa_id": "{{CustomerWaId}}" } ],
            "messages": [
              { "from": "{{CustomerWaId}}", "timestamp": "1749416383", {{Text}} },
              { "from": "{{CustomerWaId}}", "id": "{{Wamid}}", "timestamp": "1749416384", {{Text}} }
            ]
            """));

        Assert.Equal(Wamid, Assert.Single(delivery.Messages).ChannelMessageId);
        Assert.Single(delivery.Skipped);
    }

    [Fact]
    public void Statuses_are_reported_by_wamid_and_never_become_customer_messages()
    {
        var delivered = Read(Status("wamid.sent-by-us", "delivered"));
        var read = Assert.Single(Read(Status("wamid.sent-by-us", "read")).Statuses);

        Assert.Empty(delivered.Messages);
        var status = Assert.Single(delivered.Statuses);
        Assert.Equal((null, Channels.WhatsApp, "wamid.sent-by-us", MessageStatuses.Delivered, null), (status.MessageId, status.Channel, status.ChannelMessageId, status.Status, status.ErrorCode));
        Assert.Equal((Account.WorkspaceId, Account.ConnectionId), (status.WorkspaceId, status.ConnectionId));
        Assert.Equal(MessageStatuses.Read, read.Status);
    }

    [Fact]
    public void A_failed_status_carries_metas_code_as_crms_reason()
    {
        var status = Assert.Single(Read(Status("wamid.sent-by-us", "failed", ReEngagementError)).Statuses);

        Assert.Equal((MessageStatuses.Failed, SendFailures.OutsideReplyWindow), (status.Status, status.ErrorCode));
    }

    [Fact]
    public void A_played_voice_message_says_nothing_the_inbox_stores()
    {
        Assert.Empty(Read(Status("wamid.sent-by-us", "played")).Statuses);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"object":"page","entry":[]}""")]
    public void A_body_that_is_not_a_whatsapp_business_account_webhook_is_unreadable(string body)
    {
        Assert.Throws<FormatException>(() => Read(body));
    }

    [Fact]
    public void Changes_of_other_fields_are_not_messages()
    {
        var delivery = Read("""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_name":"hello"}}]}]}
            """);

        Assert.Equal((0, 0, 0), (delivery.Messages.Count, delivery.Statuses.Count, delivery.Skipped.Count));
    }
}
