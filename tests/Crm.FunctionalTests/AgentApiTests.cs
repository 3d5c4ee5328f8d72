using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using Microsoft.AspNetCore.SignalR.Client;

namespace Crm.FunctionalTests;

public sealed class AgentApiTests : SignedInAgentTests
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>([CrmApplication.ManualAssignment]);

    [Fact]
    public async Task The_api_requires_a_token()
    {
        var anonymous = App.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/conversations")).StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/conversations")).StatusCode);
    }

    [Fact]
    public async Task The_hub_refuses_a_connection_without_a_token()
    {
        var anonymous = App.CreateClient();

        await Assert.ThrowsAnyAsync<Exception>(() => App.ConnectAgentAsync(anonymous));
    }

    [Fact]
    public async Task A_reply_without_text_is_refused_and_nothing_is_sent()
    {
        var conversation = await ConversationWithCustomerAsync("SMempty");

        var response = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "   " });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("text is required", await response.Content.ReadAsStringAsync());
        Assert.Empty(Twilio.SendRequests());
    }

    [Fact]
    public async Task A_reply_that_is_not_json_is_a_bad_request()
    {
        var conversation = await ConversationWithCustomerAsync("SMbadjson");

        var response = await Agent.PostAsync($"/api/conversations/{conversation}/messages",
            new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(Twilio.SendRequests());
    }

    [Fact]
    public async Task A_reply_to_an_unknown_conversation_is_not_found()
    {
        var response = await Agent.PostAsJsonAsync($"/api/conversations/{Guid.NewGuid()}/messages", new { text = "hello?" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Twilio_errors_are_retried_without_sending_twice()
    {
        Twilio.Given(TwilioFakes.SendRequest).InScenario("flaky").WillSetStateTo("rate-limited")
            .RespondWith(TwilioFakes.Refused(500, 20500, "Internal Server Error"));
        Twilio.Given(TwilioFakes.SendRequest).InScenario("flaky").WhenStateIs("rate-limited").WillSetStateTo("up")
            .RespondWith(TwilioFakes.Refused(429, 20429, "Too Many Requests"));
        Twilio.Given(TwilioFakes.SendRequest).InScenario("flaky").WhenStateIs("up")
            .RespondWith(TwilioFakes.Accepted("SMafterretry000000000000000000000001"));
        var conversation = await ConversationWithCustomerAsync("SMflaky");

        var reply = await ReplyAsync(conversation, "sorry for the wait");

        var queued = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued);
        Assert.Equal("SMafterretry000000000000000000000001", queued.ChannelMessageId);
        Assert.Equal(3, (await Twilio.WaitForSendRequestsAsync(3)).Count);
    }

    [Fact]
    public async Task A_refused_reply_is_marked_failed_with_crms_reason_for_twilios_error_code()
    {
        Twilio.Given(TwilioFakes.SendRequest).RespondWith(TwilioFakes.Refused(400, 63016, "Outside the allowed window"));
        var conversation = await ConversationWithCustomerAsync("SMrefused");

        var reply = await ReplyAsync(conversation, "are you there?");

        var failed = await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Failed);
        Assert.Equal(SendFailures.OutsideReplyWindow, failed.ErrorCode);
        Assert.Single(await Twilio.WaitForSendRequestsAsync(1));
    }

    [Fact]
    public async Task A_late_status_callback_does_not_move_a_message_backwards()
    {
        var (conversation, reply) = await QueuedReplyAsync("SMorder0000000000000000000000000001", "tracking link");

        // Twilio names the message by its sid only (no messageId in the URL) in this callback.
        await App.PostFromTwilioAsync("/webhooks/twilio/status", TwilioFakes.StatusCallback("SMorder0000000000000000000000000001", "read"));
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Read);
        await App.PostFromTwilioAsync("/webhooks/twilio/status", TwilioFakes.StatusCallback("SMorder0000000000000000000000000001", "sent"));
        await App.PostFromTwilioAsync("/webhooks/twilio/status", TwilioFakes.StatusCallback("SMorder0000000000000000000000000001", "undelivered", "30003"));
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Undelivered);

        var timeline = await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages");
        var stored = timeline!.Items.Single(m => m.Id == reply.Id);
        Assert.Equal(MessageStatuses.Undelivered, stored.Status);
        Assert.Equal("30003", stored.ErrorCode);
        Assert.DoesNotContain(Feed.All("MessageStatusChanged").Cast<TimelineMessage>(), m => m.Id == reply.Id && m.Status == MessageStatuses.Sent);
    }

    [Fact]
    public async Task The_list_shows_one_customers_conversations_when_asked()
    {
        var alices = await ConversationWithCustomerAsync("SMalice");
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMbob", "+14155550177", "hi"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMbob");
        var alice = (await Agent.GetFromJsonAsync<Conversation>($"/api/conversations/{alices}"))!.CustomerId;

        var listed = await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>($"/api/conversations?customer={alice}");

        Assert.Equal([alices], listed!.Items.Select(c => c.Id));
        Assert.Equal(2, (await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items.Count);
        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.GetAsync("/api/conversations?customer=not-an-id")).StatusCode);
    }

    [Fact]
    public async Task Messages_page_backwards_with_the_older_cursor()
    {
        for (var i = 0; i < 5; i++)
        {
            await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText($"SMpage{i}", "+14155550123", $"message {i}"));
            await Feed.MessageAddedAsync(m => m.ChannelMessageId == $"SMpage{i}");
        }
        var conversation = (await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items.Single().Id;

        var newest = await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages?limit=3");
        var older = await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages?limit=3&before={newest!.OlderCursor}");

        Assert.Equal(["message 2", "message 3", "message 4"], newest.Items.Select(m => m.Text));
        Assert.Equal(["message 0", "message 1"], older!.Items.Select(m => m.Text));
        Assert.Null(older.OlderCursor);
        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.GetAsync($"/api/conversations/{conversation}/messages?limit=0")).StatusCode);
    }

    [Theory]
    [InlineData("/api/conversations?cursor=not-a-cursor")]
    [InlineData("/api/conversations?cursor=")]
    [InlineData("/api/conversations/{0}/messages?before=not-a-cursor")]
    [InlineData("/api/conversations/{0}/messages?before=6f1d2a4e-0000-0000-0000-000000000002")]
    public async Task A_malformed_cursor_is_a_bad_request(string path)
    {
        var conversation = await ConversationWithCustomerAsync("SMcursor");

        var response = await Agent.GetAsync(string.Format(path, conversation));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("cursor", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Conversations_page_with_the_next_cursor_latest_activity_first()
    {
        for (var i = 0; i < 5; i++)
        {
            await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText($"SMlist{i}", $"+1415555061{i}", $"message {i}"));
            await Feed.MessageAddedAsync(m => m.ChannelMessageId == $"SMlist{i}");
        }

        var first = await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations?limit=3");
        var second = await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>($"/api/conversations?limit=3&cursor={first!.NextCursor}");

        Assert.Equal(["message 4", "message 3", "message 2"], first.Items.Select(c => c.LastMessagePreview));
        Assert.Equal(["message 1", "message 0"], second!.Items.Select(c => c.LastMessagePreview));
        Assert.Null(second.NextCursor);
    }
}
