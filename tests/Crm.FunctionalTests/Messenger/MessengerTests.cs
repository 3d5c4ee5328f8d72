using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;
using static Crm.FunctionalTests.MessengerFakes;

namespace Crm.FunctionalTests;

/// <summary>A Facebook page through the real pipeline: Meta's signed webhook in, the timeline, and replies out through the Send API (WireMock).</summary>
public sealed class MessengerTests : IAsyncLifetime
{
    private const string Psid = "24000000000000001";
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly WireMockServer meta = WireMockServer.Start();
    private readonly AdjustableClock clock = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<object> spooled = new();
    private readonly WebhookLogs logs = new();
    private CrmApplication app = null!;
    private HttpClient ann = null!;
    private AgentFeed feed = null!;

    public async Task InitializeAsync()
    {
        var settings = Seed(meta);
        settings[CrmApplication.ManualAssignment.Key] = CrmApplication.ManualAssignment.Value;
        app = new CrmApplication(twilio, settings, testServices: services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
            services.AddSingleton<Crm.Connectors.Spool.IInboundSpool>(provider =>
                new SpoolWatch(provider.GetRequiredService<Crm.Connectors.Spool.SqliteInboundSpool>(), spooled));
        });
        ann = await app.SignInAsync("ann");
        feed = await app.ConnectAgentAsync(ann);
    }

    private DateTimeOffset Now => clock.GetUtcNow();

    [Fact]
    public async Task Meta_s_subscription_check_gets_the_challenge_back_as_plain_text_only_with_the_verify_token()
    {
        var client = app.CreateClient();

        var confirmed = await client.GetAsync($"{WebhookPath}?hub.mode=subscribe&hub.verify_token={VerifyToken}&hub.challenge=1158201444");
        var refused = await client.GetAsync($"{WebhookPath}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444");

        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Equal("text/plain", confirmed.Content.Headers.ContentType!.MediaType);
        Assert.Equal("1158201444", await confirmed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.DoesNotContain("1158201444", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_kind_of_messenger_item_is_stored_on_the_customer_s_timeline()
    {
        var at = Now.AddSeconds(-30);
        var response = await app.PostFromMetaAsync(Delivery(
            Text(Psid, at, "m_text", "Bonjour, ça va ?"),
            FromCustomer(Psid, at.AddMilliseconds(1), "message", """{"mid":"m_image","attachments":[{"type":"image","payload":{"url":"https://scontent.xx.fbcdn.net/v/photo.png"}}]}"""),
            FromCustomer(Psid, at.AddMilliseconds(2), "message", """{"mid":"m_location","attachments":[{"type":"location","title":"Pinned","payload":{"coordinates":{"lat":48.8584,"long":2.2945}}}]}"""),
            FromCustomer(Psid, at.AddMilliseconds(3), "message", """{"mid":"m_quick","text":"Blue","quick_reply":{"payload":"COLOR_BLUE"}}"""),
            FromCustomer(Psid, at.AddMilliseconds(4), "postback", """{"mid":"m_postback","title":"Talk to us","payload":"CONTACT"}"""),
            FromCustomer(Psid, at.AddMilliseconds(5), "referral", """{"ref":"summer","source":"SHORTLINK","type":"OPEN_THREAD"}"""),
            FromCustomer(Psid, at.AddMilliseconds(6), "reaction", """{"reaction":"like","emoji":"\ud83d\udc4d","action":"react","mid":"m_text"}"""),
            FromCustomer(Psid, at.AddMilliseconds(7), "message", """{"mid":"m_fallback","attachments":[{"type":"fallback","payload":null,"title":"A link","URL":"https://example.com"}]}""")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var conversation = (await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_text")).ConversationId;
        var timeline = await TimelineWithAsync(conversation, 8);
        TimelineMessage Entry(string id) => timeline.Single(m => m.ChannelMessageId == id);

        Assert.All(timeline, m => Assert.Equal((Channels.Messenger, Directions.Inbound, PageId), (m.Channel, m.Direction, m.BusinessIdentity)));
        Assert.Equal("Bonjour, ça va ?", Entry("m_text").Text);
        Assert.Equal(at.ToUnixTimeMilliseconds(), Entry("m_text").CreatedAt.ToUnixTimeMilliseconds());
        Assert.Equal(new MediaAttachment("https://scontent.xx.fbcdn.net/v/photo.png", "image/png"), Assert.Single(Entry("m_image").Media));
        Assert.Equal(new SharedLocation(48.8584, 2.2945, "Pinned", null), Entry("m_location").Location);
        Assert.Equal(("Blue", new ButtonReply("Blue", "COLOR_BLUE")), (Entry("m_quick").Text, Entry("m_quick").Button));
        Assert.Equal((null, new ButtonReply("Talk to us", "CONTACT")), (Entry("m_postback").Text, Entry("m_postback").Button));
        Assert.Equal(new CustomerEvent(CustomerEventKinds.Referral, "summer", "SHORTLINK/OPEN_THREAD"), Entry($"referral:{Psid}:{Millis(at.AddMilliseconds(5))}").Event);
        Assert.Equal(new CustomerEvent(CustomerEventKinds.Reaction, "👍", "m_text"), Entry($"reaction:m_text:{Psid}:{Millis(at.AddMilliseconds(6))}").Event);
        Assert.Equal("fallback", Entry("m_fallback").RawFields["attachments.0.type"]);
    }

    [Fact]
    public async Task The_customer_s_name_comes_from_meta_s_profile_api_and_a_profile_meta_refuses_leaves_the_message_unnamed()
    {
        meta.Given(WireMock.RequestBuilders.Request.Create().WithPath($"/v21.0/{Psid}").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithBody($$"""{"first_name":"Amélie","last_name":"Poulain","id":"{{Psid}}"}"""));

        await app.PostFromMetaAsync(Delivery(Text(Psid, Now, "m_named", "hi"), Text("24000000000000009", Now, "m_unnamed", "hello")));
        var named = await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_named");
        var unnamed = await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_unnamed");

        Assert.Equal("Amélie Poulain", (await ann.GetFromJsonAsync<Conversation>($"/api/conversations/{named.ConversationId}"))!.CustomerName);
        Assert.Null((await ann.GetFromJsonAsync<Conversation>($"/api/conversations/{unnamed.ConversationId}"))!.CustomerName);
    }

    [Fact]
    public async Task A_forged_signature_is_refused_and_nothing_is_stored()
    {
        var json = Delivery(Text(Psid, Now, "m_forged", "let me in"));

        var response = await app.PostFromMetaAsync(json, Crm.Connectors.Meta.MetaWebhooks.Sign("not-the-app-secret", System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_delivery_meta_retries_is_stored_once()
    {
        var json = Delivery(Text(Psid, Now, "m_retried", "only once please"));

        Assert.Equal(HttpStatusCode.OK, (await app.PostFromMetaAsync(json)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.PostFromMetaAsync(json)).StatusCode);
        var conversation = (await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_retried")).ConversationId;
        Assert.Equal(HttpStatusCode.OK, (await app.PostFromMetaAsync(Delivery(Text(Psid, Now, "m_after", "and then this")))).StatusCode);
        await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_after");

        var timeline = await TimelineAsync(conversation);
        Assert.Single(timeline, m => m.ChannelMessageId == "m_retried");
    }

    [Fact]
    public async Task A_delivery_of_three_entries_stores_three_messages()
    {
        var response = await app.PostFromMetaAsync(Delivery(
            [Text(Psid, Now.AddMilliseconds(-2), "m_batch1", "one")],
            [Text(Psid, Now.AddMilliseconds(-1), "m_batch2", "two")],
            [Text("24000000000000002", Now, "m_batch3", "three, from someone else")]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var first = await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_batch1");
        await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_batch2");
        var other = await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_batch3");
        Assert.Equal(["m_batch1", "m_batch2"], (await TimelineAsync(first.ConversationId)).Select(m => m.ChannelMessageId));
        Assert.NotEqual(first.ConversationId, other.ConversationId);
    }

    [Fact]
    public async Task A_delivery_with_one_unreadable_item_is_refused_whole()
    {
        var response = await app.PostFromMetaAsync(Delivery(Text(Psid, Now, "m_good", "fine"), FromCustomer(Psid, Now, "message", """{"text":"no mid"}""")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(spooled);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_delivery_only_for_another_page_is_refused_and_nothing_is_stored()
    {
        var json = Entries(Entry("5550001", Text(Psid, Now, "m_other", "wrong page")));

        var response = await app.PostFromMetaAsync(json);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_reply_goes_out_as_meta_documents_it_and_its_echo_is_not_stored_twice()
    {
        meta.AcceptsMessengerSends("m_reply1");
        var conversation = await CustomerWritesAsync("m_in1");

        var reply = await ReplyAsync(conversation, "We're on it");
        var sent = await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Sent);
        var echo = await app.PostFromMetaAsync(Delivery(FromPage(Psid, Now, "message", $$$"""{"mid":"m_reply1","is_echo":true,"app_id":1,"metadata":"crm:{{{reply.Id}}}","text":"We're on it"}""")));

        var request = (await meta.WaitForSendsAsync(1)).Single().RequestMessage;
        var expected = JsonNode.Parse($$$"""
            {"recipient":{"id":"{{{Psid}}}"},"messaging_type":"RESPONSE","message":{"text":"We're on it","metadata":"crm:{{{reply.Id}}}"}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(request.Body!)), request.Body);
        Assert.Equal($"Bearer {PageAccessToken}", request.Headers!["Authorization"].Single());
        Assert.Equal("m_reply1", sent.ChannelMessageId);
        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
        Assert.DoesNotContain(spooled.OfType<InboundMessageReceived>(), m => m.ChannelMessageId == "m_reply1");
        await CustomerWritesAsync("m_in2");
        Assert.Equal(["m_in1", "m_reply1", "m_in2"], (await TimelineAsync(conversation)).Select(m => m.ChannelMessageId));
    }

    [Fact]
    public async Task A_message_the_page_sent_from_elsewhere_is_recorded_as_the_business_s()
    {
        var conversation = await CustomerWritesAsync("m_in3");

        var response = await app.PostFromMetaAsync(Delivery(FromPage(Psid, Now, "message", """{"mid":"m_suite","is_echo":true,"app_id":263902037430900,"text":"Answered from Business Suite"}""")));
        var echo = await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_suite");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(conversation, echo.ConversationId);
        Assert.Equal((Directions.Outbound, MessageStatuses.Sent, true, "Answered from Business Suite"), (echo.Direction, echo.Status, echo.SentOutsideCrm, echo.Text));
    }

    [Fact]
    public async Task A_human_agent_s_reply_after_24_hours_goes_out_tagged_human_agent()
    {
        meta.AcceptsMessengerSends("m_tagged");
        var conversation = await CustomerWritesAsync("m_in4");
        clock.Advance(TimeSpan.FromDays(2));

        var reply = await ReplyAsync(conversation, "Sorry for the wait");

        var request = (await meta.WaitForSendsAsync(1)).Single().RequestMessage;
        var expected = JsonNode.Parse($$$"""
            {"recipient":{"id":"{{{Psid}}}"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT","message":{"text":"Sorry for the wait","metadata":"crm:{{{reply.Id}}}"}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(request.Body!)), request.Body);
    }

    [Fact]
    public async Task Delivery_by_mid_and_a_read_watermark_move_the_reply_to_delivered_then_read()
    {
        meta.AcceptsMessengerSends("m_reply2");
        var conversation = await CustomerWritesAsync("m_in5");
        var reply = await ReplyAsync(conversation, "Here you go");
        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Sent);

        var delivered = await app.PostFromMetaAsync(Delivery(FromCustomer(Psid, Now, "delivery", $$$"""{"mids":["m_reply2"],"watermark":{{{Millis(Now)}}}}""")));
        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Delivered);
        var read = await app.PostFromMetaAsync(Delivery(FromCustomer(Psid, Now, "read", $$$"""{"watermark":{{{Millis(Now.AddSeconds(1))}}}}""")));
        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Read);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (delivered.StatusCode, read.StatusCode));
        Assert.Equal(MessageStatuses.Read, (await TimelineAsync(conversation)).Single(m => m.Id == reply.Id).Status);
    }

    [Fact]
    public async Task A_reply_meta_refuses_as_outside_the_window_fails_with_that_reason()
    {
        meta.RefusesMessengerSends(10, 2018278, "(#10) This message is sent outside of allowed window.");
        var conversation = await CustomerWritesAsync("m_in6");

        var reply = await ReplyAsync(conversation, "Too late?");
        var failed = await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Failed);

        Assert.Equal(SendFailures.OutsideReplyWindow, failed.ErrorCode);
    }

    [Fact]
    public async Task An_admin_adds_a_page_gets_its_webhook_url_never_sees_a_secret_and_the_test_names_the_page()
    {
        meta.Given(WireMock.RequestBuilders.Request.Create().WithPath("/v21.0/me").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithBody("""{"id":"5550002","name":"Second Shop"}"""));

        var created = await ann.PostAsJsonAsync(Crm.Connectors.Connections.ChannelConnectionsApi.Path, new
        {
            type = "messenger",
            displayName = "Second shop",
            messenger = new { pageId = "5550002", appSecret = "second-app-secret", pageAccessToken = "EAAsecondtoken", verifyToken = "second-verify", apiBaseUrl = meta.Url },
        });
        var body = await created.Content.ReadAsStringAsync();
        var view = System.Text.Json.JsonSerializer.Deserialize<Crm.Connectors.Connections.ChannelConnectionsApi.ChannelConnectionView>(body,
            new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        var test = await ann.PostAsync($"{Crm.Connectors.Connections.ChannelConnectionsApi.Path}/{view.Id}/test", null);
        var subscription = await app.CreateClient().GetAsync($"/webhooks/messenger/{view.Id}?hub.mode=subscribe&hub.verify_token=second-verify&hub.challenge=77");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"{CrmApplication.PublicBaseUrl}/webhooks/messenger/{view.Id}", view.Webhooks["webhook"]);
        foreach (var secret in new[] { "second-app-secret", "EAAsecondtoken", "second-verify" }) Assert.DoesNotContain(secret, body);
        Assert.Contains("\"pageAccessTokenSet\":true", body);
        Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        Assert.Contains("Second Shop", await test.Content.ReadAsStringAsync());
        Assert.Equal("77", await subscription.Content.ReadAsStringAsync());
    }

    public static TheoryData<string> SignedButUnreadable() => new()
    {
        "not json at all",
        new string('[', 200) + new string(']', 200),
        """{"object":"page","entry":"everything"}""",
        $$$"""{"object":"page","entry":[{"id":"{{{PageId}}}","messaging":[{"sender":{"id":"{{{new string('9', 65)}}}"},"recipient":{"id":"{{{PageId}}}"},"message":{"mid":"m_1"}}]}]}""",
        $$$"""{"object":"page","entry":[{"id":"{{{PageId}}}","messaging":[{"sender":{"id":"1"},"recipient":{"id":"{{{PageId}}}"},"timestamp":1e300,"message":{"mid":"m_1"}}]}]}""",
        $$$"""{"object":"page","entry":[{"id":"{{{PageId}}}","messaging":[{"sender":{"id":"1"},"recipient":{"id":"{{{PageId}}}"},"read":{"watermark":99999999999999999}}]}]}""",
    };

    [Theory]
    [MemberData(nameof(SignedButUnreadable))]
    public async Task A_signed_delivery_beyond_messenger_s_shape_is_a_400_with_one_log_line_that_keeps_the_body_out(string json)
    {
        logs.Clear();

        var response = await app.PostFromMetaAsync(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var line = Assert.Single(logs.Entries(Microsoft.Extensions.Logging.LogLevel.Warning));
        Assert.DoesNotContain(AppSecret, line.Message);
        Assert.DoesNotContain("m_1", line.Message);
        Assert.Empty(spooled);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_and_a_plain_text_post_a_415()
    {
        var tooLong = await app.PostFromMetaAsync(Delivery(Text(Psid, Now, "m_long", new string('a', 3 * 1024 * 1024))));
        var notJson = await app.CreateClient().PostAsync(WebhookPath, new StringContent("object=page", System.Text.Encoding.UTF8, "text/plain"));

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType), (tooLong.StatusCode, notJson.StatusCode));
        Assert.Empty(spooled);
    }

    [Fact]
    public async Task A_delivery_to_an_unknown_connection_is_a_404()
    {
        var json = Delivery(Text(Psid, Now, "m_lost", "anyone?"));
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/messenger/{Guid.NewGuid()}") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Hub-Signature-256", Crm.Connectors.Meta.MetaWebhooks.Sign(AppSecret, System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Entries_for_another_page_beside_this_page_s_are_skipped_with_a_warning_and_this_page_s_are_kept()
    {
        var json = Entries(Entry("5550001", Text("5", Now, "m_foreign", "not for us")), Entry(PageId, Text(Psid, Now, "m_mine", "for us")));
        logs.Clear();

        var response = await app.PostFromMetaAsync(json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await feed.MessageAddedAsync(m => m.ChannelMessageId == "m_mine");
        Assert.Contains(logs.Entries(Microsoft.Extensions.Logging.LogLevel.Warning), e => e.Message.Contains("5550001"));
        Assert.DoesNotContain(spooled.OfType<InboundMessageReceived>(), m => m.ChannelMessageId == "m_foreign");
    }

    private async Task<Guid> CustomerWritesAsync(string mid)
    {
        Assert.Equal(HttpStatusCode.OK, (await app.PostFromMetaAsync(Delivery(Text(Psid, Now, mid, "hello")))).StatusCode);
        return (await feed.MessageAddedAsync(m => m.ChannelMessageId == mid)).ConversationId;
    }

    private async Task<TimelineMessage> ReplyAsync(Guid conversation, string text)
    {
        var response = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TimelineMessage>())!;
    }

    private async Task<IReadOnlyList<TimelineMessage>> TimelineAsync(Guid conversation)
        => (await ann.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages"))!.Items
            .Where(m => m.Direction is Directions.Inbound or Directions.Outbound).ToList();

    private async Task<IReadOnlyList<TimelineMessage>> TimelineWithAsync(Guid conversation, int count)
    {
        IReadOnlyList<TimelineMessage> timeline = [];
        await Eventually.TrueAsync(async () => (timeline = await TimelineAsync(conversation)).Count >= count,
            () => Task.FromResult($"The timeline holds {timeline.Count} entries."));
        return timeline;
    }

    /// <summary>Nothing reached the inbox: a message that had been published would be stored long before a later one is.</summary>
    private async Task AssertNothingStoredAsync()
    {
        await CustomerWritesAsync("m_marker");
        var conversations = (await ann.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items;
        var only = Assert.Single(conversations);
        Assert.Equal(["m_marker"], (await TimelineAsync(only.Id)).Select(m => m.ChannelMessageId));
    }

    /// <summary>The real spool, watched: what the webhook handed on, before the inbox (which drops repeats) sees it.</summary>
    private sealed class SpoolWatch(Crm.Connectors.Spool.IInboundSpool spool, System.Collections.Concurrent.ConcurrentQueue<object> seen) : Crm.Connectors.Spool.IInboundSpool
    {
        public async Task AcceptAsync<T>(T message, CancellationToken ct) where T : class
        {
            seen.Enqueue(message);
            await spool.AcceptAsync(message, ct);
        }
    }

    public async Task DisposeAsync()
    {
        await feed.DisposeAsync();
        await app.DisposeAsync();
        twilio.Stop();
        meta.Stop();
    }
}
