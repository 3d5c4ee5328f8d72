using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Connectors.Connections;
using Crm.Connectors.Tests.WhatsAppCloud;
using Crm.Connectors.WhatsAppCloud;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Crm.Connectors.Tests.WhatsAppCloud.CloudApiExamples;

namespace Crm.FunctionalTests.WhatsAppCloud;

/// <summary>A WhatsApp Cloud API number through the real pipeline: Meta's deliveries in, replies and templates out, media on demand.</summary>
public sealed class WhatsAppCloudTests : SignedInAgentTests
{
    private readonly WireMockServer meta = WireMockServer.Start();

    protected override IDictionary<string, string?> Settings
        => new Dictionary<string, string?>(MetaFakes.Seed(meta)) { [CrmApplication.ManualAssignment.Key] = CrmApplication.ManualAssignment.Value };

    private const string CustomerIdentity = "+" + CustomerWaId;

    /// <summary>Meta stamps each message with when it was sent; the inbox's reply window counts from it.</summary>
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private async Task<TimelineMessage> CustomerWritesAsync(string wamid, string message = Text)
    {
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(Inbound(wamid, message, timestamp: Now))).StatusCode);
        return await Feed.MessageAddedAsync(m => m.ChannelMessageId == wamid);
    }

    private async Task<IReadOnlyList<TimelineMessage>> TimelineAsync(Guid conversation)
        => (await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages"))!.Items;

    [Fact]
    public async Task Every_message_type_of_metas_examples_is_stored_on_the_customers_timeline()
    {
        string[] types = [Text, Image, Audio, Video, Document, Sticker, Location, Contacts, ReplyButton, ListReply, TemplateButton, Reaction, Unsupported];
        var messages = string.Join(",", types.Select((type, i) => $$"""{ "from": "{{CustomerWaId}}", "id": "wamid.type-{{i}}", "timestamp": "{{Now - types.Length + i}}", {{type}} }"""));
        var delivery = Change($$"""
            "contacts": [ { "profile": { "name": "{{CustomerName}}" }, "wa_id": "{{CustomerWaId}}" } ],
            "messages": [ {{messages}} ]
            """);

        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(delivery)).StatusCode);

        TimelineMessage last = null!;
        for (var i = 0; i < types.Length; i++) last = await Feed.MessageAddedAsync(m => m.ChannelMessageId == $"wamid.type-{i}");
        var timeline = (await TimelineAsync(last.ConversationId)).ToDictionary(m => m.ChannelMessageId!);
        Assert.Equal(types.Length, timeline.Count);
        Assert.Equal("Does it come in another color?", timeline["wamid.type-0"].Text);
        Assert.Equal((MediaPaths.Of(MetaFakes.ConnectionId, "1003383421387256"), "image/jpeg", "This is the one"),
            (timeline["wamid.type-1"].Media.Single().Url, timeline["wamid.type-1"].Media.Single().ContentType, timeline["wamid.type-1"].Text));
        Assert.Equal("audio/ogg; codecs=opus", timeline["wamid.type-2"].Media.Single().ContentType);
        Assert.Equal("video/mp4", timeline["wamid.type-3"].Media.Single().ContentType);
        Assert.Equal("invoice-2026-11.pdf", timeline["wamid.type-4"].RawFields["filename"]);
        Assert.Equal("image/webp", timeline["wamid.type-5"].Media.Single().ContentType);
        Assert.Equal("Main Street Beach", timeline["wamid.type-6"].Location?.Label);
        Assert.StartsWith("Shared contact: Barbara J. Johnson", timeline["wamid.type-7"].Text);
        Assert.Equal(new ButtonReply("Cancel", "cancel-button"), timeline["wamid.type-8"].Button);
        Assert.Equal(new ButtonReply("Priority Mail Express", "priority_express"), timeline["wamid.type-9"].Button);
        Assert.Equal(new ButtonReply("Stop promotions", "unsubscribe-me"), timeline["wamid.type-10"].Button);
        Assert.Equal(new CustomerEvent(CustomerEventKinds.Reaction, "\U0001F44D", ReactedTo), timeline["wamid.type-11"].Event);
        Assert.Equal("unsupported", timeline["wamid.type-12"].RawFields["type"]);
        var conversation = await Agent.GetFromJsonAsync<Conversation>($"/api/conversations/{last.ConversationId}");
        Assert.Equal((CustomerIdentity, CustomerName, MetaFakes.BusinessIdentity, (Guid?)MetaFakes.ConnectionId),
            (conversation!.CustomerIdentity, conversation.CustomerName, conversation.BusinessIdentity, conversation.ConnectionId));
    }

    [Fact]
    public async Task A_delivery_signed_with_another_app_secret_is_refused_and_nothing_is_stored()
    {
        var response = await App.PostFromMetaAsync(Inbound("wamid.forged", Text), appSecret: "not-the-app-secret");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty((await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_refused()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, WhatsAppCloudWebhooksApi.PathOf(MetaFakes.ConnectionId))
        {
            Content = new StringContent(Inbound("wamid.tampered", Text).Replace("another color", "a refund"), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(Crm.Connectors.Meta.MetaWebhooks.SignatureHeader,
            Crm.Connectors.Meta.MetaWebhooks.Sign(MetaFakes.AppSecret, System.Text.Encoding.UTF8.GetBytes(Inbound("wamid.tampered", Text))));

        var response = await App.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Deliveries_that_are_not_for_a_cloud_connection_or_not_a_whatsapp_webhook_get_a_clear_4xx()
    {
        var json = System.Text.Encoding.UTF8.GetBytes("""{"object":"page","entry":[]}""");
        HttpRequestMessage Signed(string path, string contentType)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(json) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            request.Headers.Add(Crm.Connectors.Meta.MetaWebhooks.SignatureHeader, Crm.Connectors.Meta.MetaWebhooks.Sign(MetaFakes.AppSecret, json));
            return request;
        }
        var client = App.CreateClient();

        var notWhatsApp = await client.SendAsync(Signed(WhatsAppCloudWebhooksApi.PathOf(MetaFakes.ConnectionId), "application/json"));
        var notJson = await client.SendAsync(Signed(WhatsAppCloudWebhooksApi.PathOf(MetaFakes.ConnectionId), "text/plain"));
        var twilioConnection = await client.SendAsync(Signed(WhatsAppCloudWebhooksApi.PathOf(CrmApplication.ConnectionId), "application/json"));
        var unknown = await client.SendAsync(Signed(WhatsAppCloudWebhooksApi.PathOf(Guid.NewGuid()), "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, notWhatsApp.StatusCode);
        Assert.Contains("whatsapp_business_account", await notWhatsApp.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, twilioConnection.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Empty((await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);
    }

    [Fact]
    public async Task A_redelivered_message_is_one_timeline_entry()
    {
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(Inbound("wamid.retried", Text))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(Inbound("wamid.retried", Text))).StatusCode);
        var added = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "wamid.retried");
        // A later message proves both deliveries have been consumed before we count.
        await CustomerWritesAsync("wamid.after");

        Assert.Equal(["wamid.retried", "wamid.after"], (await TimelineAsync(added.ConversationId)).Select(m => m.ChannelMessageId));
    }

    [Fact]
    public async Task Metas_subscription_check_gets_its_challenge_back_only_with_the_connections_verify_token()
    {
        var client = App.CreateClient();
        var path = WhatsAppCloudWebhooksApi.PathOf(MetaFakes.ConnectionId);

        var confirmed = await client.GetAsync($"{path}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={MetaFakes.VerifyToken}");
        var refused = await client.GetAsync($"{path}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess");

        Assert.Equal((HttpStatusCode.OK, "1158201444"), (confirmed.StatusCode, await confirmed.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task A_delivery_for_another_number_of_the_app_is_acknowledged_and_not_stored()
    {
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(Inbound("wamid.other-number", Text, phoneNumberId: "999999999999999"))).StatusCode);
        await CustomerWritesAsync("wamid.ours");

        Assert.DoesNotContain(Feed.All("MessageAdded").Cast<TimelineMessage>(), m => m.ChannelMessageId == "wamid.other-number");
    }

    [Fact]
    public async Task A_reply_goes_out_as_metas_documented_text_message_and_its_statuses_follow()
    {
        meta.AcceptsMessages("wamid.reply-1");
        var inbound = await CustomerWritesAsync("wamid.question");

        var reply = await ReplyAsync(inbound.ConversationId, "Yes, in blue and green.");
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued && m.ChannelMessageId == "wamid.reply-1");

        var sent = Assert.Single(await meta.WaitForSendRequestsAsync(1));
        Assert.Equal("Bearer " + MetaFakes.AccessToken, sent.RequestMessage.Headers!["Authorization"].Single());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"{{{CustomerWaId}}}","type":"text","text":{"preview_url":false,"body":"Yes, in blue and green."}}
            """), JsonNode.Parse(sent.RequestMessage.Body!)), sent.RequestMessage.Body);

        await App.PostFromMetaAsync(Status("wamid.reply-1", "delivered"));
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Delivered);
        await App.PostFromMetaAsync(Status("wamid.reply-1", "read"));
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Read);
        Assert.Single(await TimelineAsync(inbound.ConversationId), m => m.Direction == Directions.Inbound);
    }

    [Fact]
    public async Task A_failed_status_with_metas_131047_fails_the_reply_as_outside_the_reply_window()
    {
        meta.AcceptsMessages("wamid.reply-late");
        var inbound = await CustomerWritesAsync("wamid.long-ago");
        var reply = await ReplyAsync(inbound.ConversationId, "Sorry for the wait");
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.ChannelMessageId == "wamid.reply-late");

        await App.PostFromMetaAsync(Status("wamid.reply-late", "failed", ReEngagementError));

        var failed = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Failed);
        Assert.Equal(SendFailures.OutsideReplyWindow, failed.ErrorCode);
    }

    [Fact]
    public async Task A_send_meta_refuses_with_131047_fails_as_outside_the_reply_window()
    {
        meta.RefusesMessages(400, 131047, "Re-engagement message");
        var inbound = await CustomerWritesAsync("wamid.refused");

        var reply = await ReplyAsync(inbound.ConversationId, "Are you still there?");

        var failed = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Failed);
        Assert.Equal(SendFailures.OutsideReplyWindow, failed.ErrorCode);
        Assert.Single(meta.SendRequests());
    }

    [Fact]
    public async Task A_template_synced_from_meta_goes_out_with_its_header_and_body_parameters_once_the_window_has_closed()
    {
        var templates = Request.Create().WithPath($"/v21.0/{WabaId}/message_templates").UsingGet().WithHeader("Authorization", "Bearer " + MetaFakes.AccessToken);
        meta.Given(templates.WithParam("after", "QVFIUmlt")).RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""
            {"data":[{"name":"welcome","language":"es","status":"APPROVED","category":"MARKETING","parameter_format":"NAMED","id":"2",
                      "components":[{"type":"BODY","text":"Hola {{customer_name}}"}]}],
             "paging":{"cursors":{"before":"QVFIUmlt","after":"QVFIUmlu"}}}
            """));
        meta.Given(Request.Create().WithPath($"/v21.0/{WabaId}/message_templates").UsingGet()).AtPriority(10).RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""
            {"data":[{"name":"order_update","language":"en_US","status":"APPROVED","category":"UTILITY","id":"1",
                      "components":[{"type":"HEADER","format":"TEXT","text":"Order {{1}}"},{"type":"BODY","text":"Hi {{1}}, order {{2}} shipped."}]},
                     {"name":"draft","language":"en_US","status":"PENDING","category":"MARKETING","id":"3","components":[{"type":"BODY","text":"Soon"}]}],
             "paging":{"cursors":{"before":"QVFIUmll","after":"QVFIUmlt"},"next":"https://graph.facebook.com/v21.0/elsewhere?after=QVFIUmlt"}}
            """));
        meta.AcceptsMessages("wamid.template-1");
        // Meta's example message is from June 2025: the 24-hour window is long closed, so only a template may go out.
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(Inbound("wamid.old-customer", Text))).StatusCode);
        var conversation = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "wamid.old-customer")).ConversationId;

        var synced = await Agent.PostAsync($"{ChannelConnectionsApi.Path}/{MetaFakes.ConnectionId}/templates/sync", null);
        var sent = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/templates", new
        {
            templateId = "order_update", variables = new Dictionary<string, string> { ["header_1"] = "A-42", ["1"] = "Ada", ["2"] = "A-42" },
        });

        var catalog = (await synced.Content.ReadFromJsonAsync<ChannelConnectionsApi.TemplateSyncResult>())!;
        Assert.True(catalog.Ok, catalog.Message);
        Assert.Equal([("order_update", "en_US"), ("welcome", "es")], catalog.Templates.Select(t => (t.Id, t.Language!)));
        Assert.Equal(["header_1", "1", "2"], catalog.Templates[0].Variables);
        Assert.Contains(meta.LogEntries, e => e.RequestMessage.Url.EndsWith("/message_templates?fields=name,language,status,category,components&limit=100", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        Assert.Equal("Hi Ada, order A-42 shipped.", (await sent.Content.ReadFromJsonAsync<TimelineMessage>())!.Text);
        var request = Assert.Single(await meta.WaitForSendRequestsAsync(1));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"{{{CustomerWaId}}}","type":"template",
             "template":{"name":"order_update","language":{"code":"en_US"},
               "components":[{"type":"header","parameters":[{"type":"text","text":"A-42"}]},
                             {"type":"body","parameters":[{"type":"text","text":"Ada"},{"type":"text","text":"A-42"}]}]}}
            """), JsonNode.Parse(request.RequestMessage.Body!)), request.RequestMessage.Body);
    }

    [Fact]
    public async Task An_admin_adds_a_cloud_number_whose_secrets_are_never_shown_and_kept_when_not_given_again()
    {
        var created = await Agent.PostAsJsonAsync(ChannelConnectionsApi.Path, new
        {
            type = "whatsapp-cloud", displayName = "Support (Cloud API)",
            whatsappCloud = new
            {
                phoneNumberId = "106540352242999", wabaId = WabaId, displayPhoneNumber = "+1 555 078 3999",
                accessToken = "EAAG-secret-token", appSecret = "second-app-secret", verifyToken = "second-verify-token", apiBaseUrl = meta.Url,
            },
        });
        var badNumber = await Agent.PostAsJsonAsync(ChannelConnectionsApi.Path, new
        {
            type = "whatsapp-cloud",
            whatsappCloud = new { phoneNumberId = "x1", wabaId = WabaId, displayPhoneNumber = "5550783999", accessToken = "t", appSecret = "s", verifyToken = "v" },
        });

        var json = await created.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.DoesNotContain("EAAG-secret-token", json);
        Assert.DoesNotContain("second-app-secret", json);
        Assert.DoesNotContain("second-verify-token", json);
        var view = JsonDocument.Parse(json).RootElement;
        var id = view.GetProperty("id").GetGuid();
        Assert.Equal("+15550783999", view.GetProperty("whatsappCloud").GetProperty("displayPhoneNumber").GetString());
        Assert.True(view.GetProperty("whatsappCloud").GetProperty("accessTokenSet").GetBoolean());
        Assert.EndsWith(WhatsAppCloudWebhooksApi.PathOf(id), view.GetProperty("webhooks").GetProperty("messages").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badNumber.StatusCode);
        var problem = await badNumber.Content.ReadAsStringAsync();
        Assert.Contains("whatsappCloud.phoneNumberId", problem);
        Assert.Contains("whatsappCloud.displayPhoneNumber", problem);

        // A new token alone: the app secret stays, so Meta's deliveries are still accepted.
        var rotated = await Agent.PatchAsJsonAsync($"{ChannelConnectionsApi.Path}/{id}", new { whatsappCloud = new { accessToken = "EAAG-rotated" } });
        var body = System.Text.Encoding.UTF8.GetBytes(Inbound("wamid.second-number", Text, phoneNumberId: "106540352242999", timestamp: Now));
        var delivery = new HttpRequestMessage(HttpMethod.Post, WhatsAppCloudWebhooksApi.PathOf(id)) { Content = new ByteArrayContent(body) };
        delivery.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        delivery.Headers.Add(Crm.Connectors.Meta.MetaWebhooks.SignatureHeader, Crm.Connectors.Meta.MetaWebhooks.Sign("second-app-secret", body));

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().SendAsync(delivery)).StatusCode);
        var added = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "wamid.second-number");
        Assert.Equal("+15550783999", added.BusinessIdentity);
    }

    [Fact]
    public async Task Testing_the_connection_says_which_number_meta_knows_the_token_for()
    {
        meta.Given(Request.Create().WithPath($"/v21.0/{PhoneNumberId}").UsingGet()
                .WithHeader("Authorization", "Bearer " + MetaFakes.AccessToken))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody($$"""{"display_phone_number":"+1 555-078-3881","verified_name":"Lucky Shrub","id":"{{PhoneNumberId}}"}"""));

        var response = await Agent.PostAsync($"{ChannelConnectionsApi.Path}/{MetaFakes.ConnectionId}/test", null);

        var result = (await response.Content.ReadFromJsonAsync<ChannelConnectionsApi.ConnectionTestResult>())!;
        Assert.True(result.Ok, result.Message);
        Assert.Contains("Lucky Shrub", result.Message);
    }

    [Fact]
    public async Task Media_is_fetched_from_meta_only_when_an_agent_opens_it_and_never_for_another_workspace()
    {
        meta.Given(Request.Create().WithPath("/v21.0/1003383421387256").UsingGet().WithHeader("Authorization", "Bearer " + MetaFakes.AccessToken))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(JsonSerializer.Serialize(new
            {
                messaging_product = "whatsapp", url = meta.Url + "/whatsapp_business/attachments/?mid=1003383421387256", mime_type = "image/jpeg",
                sha256 = "WOfBPsvWB2CB4Dz0HJQZzXhEoRpR6NXpwEuGiqf4bAE=", file_size = 4, id = "1003383421387256",
            })));
        meta.Given(Request.Create().WithPath("/whatsapp_business/attachments/").UsingGet().WithHeader("Authorization", "Bearer " + MetaFakes.AccessToken))
            .RespondWith(Response.Create().WithHeader("Content-Type", "image/jpeg").WithBody([0xFF, 0xD8, 0xFF, 0xE0]));
        var message = await CustomerWritesAsync("wamid.photo", Image);
        Assert.Empty(meta.LogEntries);

        var opened = await Agent.GetAsync(message.Media.Single().Url);
        var stranger = await App.SignInAsync("mallory", Guid.NewGuid(), AgentRoles.Admin);
        var elsewhere = await stranger.GetAsync(message.Media.Single().Url);

        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Equal("image/jpeg", opened.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0xFF, 0xD8, 0xFF, 0xE0], await opened.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        Assert.Equal(2, meta.LogEntries.Count());
    }

    [Fact]
    public async Task The_same_person_on_twilio_and_on_the_cloud_api_is_one_customer_with_two_conversations()
    {
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMsameperson", CustomerIdentity, "via Twilio"));
        var viaTwilio = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMsameperson");
        var viaCloud = await CustomerWritesAsync("wamid.same-person");

        Assert.Equal(viaTwilio.CustomerId, viaCloud.CustomerId);
        Assert.NotEqual(viaTwilio.ConversationId, viaCloud.ConversationId);
        var listed = await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>($"/api/conversations?customer={viaCloud.CustomerId}");
        Assert.Equal(new[] { viaTwilio.ConversationId, viaCloud.ConversationId }.Order(), listed!.Items.Select(c => c.Id).Order());
        Assert.Equal([CrmApplication.BusinessNumber, MetaFakes.BusinessIdentity],
            listed.Items.Select(c => c.BusinessIdentity!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_sender_seen_with_a_phone_and_a_bsuid_then_with_the_bsuid_only_is_one_customer_in_one_conversation()
    {
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(InboundWithBsuid("wamid.with-phone", Text, timestamp: Now))).StatusCode);
        var withPhone = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "wamid.with-phone");
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(InboundWithBsuid("wamid.bsuid-only", Text, from: null, timestamp: Now))).StatusCode);
        var bsuidOnly = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "wamid.bsuid-only");

        Assert.Equal((withPhone.CustomerId, withPhone.ConversationId), (bsuidOnly.CustomerId, bsuidOnly.ConversationId));
        var profile = (await Agent.GetFromJsonAsync<Crm.Inbox.Customers.CustomersApi.CustomerDetails>($"/api/customers/{withPhone.CustomerId}"))!.Profile;
        Assert.Equal([(Channels.WhatsApp, CustomerIdentity, (Guid?)MetaFakes.ConnectionId), (Channels.WhatsApp, CustomerBsuid, MetaFakes.ConnectionId)],
            profile.IdentityDetails.Select(i => (i.Channel, i.Value, i.ConnectionId)));
    }

    [Fact]
    public async Task A_reply_to_a_customer_known_only_by_a_bsuid_goes_to_metas_recipient_field()
    {
        meta.AcceptsMessages("wamid.reply-bsuid");
        Assert.Equal(HttpStatusCode.OK, (await App.PostFromMetaAsync(InboundWithBsuid("wamid.from-username", Text, from: null, timestamp: Now))).StatusCode);
        var inbound = await Feed.MessageAddedAsync(m => m.ChannelMessageId == "wamid.from-username");

        var reply = await ReplyAsync(inbound.ConversationId, "Yes, in blue.");
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued && m.ChannelMessageId == "wamid.reply-bsuid");

        var sent = Assert.Single(await meta.WaitForSendRequestsAsync(1));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""
            {"messaging_product":"whatsapp","recipient_type":"individual","recipient":"{{{CustomerBsuid}}}","type":"text","text":{"preview_url":false,"body":"Yes, in blue."}}
            """), JsonNode.Parse(sent.RequestMessage.Body!)), sent.RequestMessage.Body);
        await App.PostFromMetaAsync(StatusToBsuid("wamid.reply-bsuid", "delivered"));
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Delivered);
    }
}
