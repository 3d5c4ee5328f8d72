using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Connectors.Connections;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Replies;
using Crm.Inbox.Timelines;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// Reply windows and templates through the real pipeline: free text only inside the channel's window (refused up front
/// outside it), templates at any time, Messenger's human-agent week, customer events on the timeline, echoes of what the
/// business sent elsewhere, and provider watermarks.
/// </summary>
public sealed class ReplyWindowTests : IAsyncLifetime
{
    private const string Customer = "+14155550100";
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly AdjustableClock clock = new();
    private CrmApplication app = null!;
    private HttpClient ann = null!;
    private AgentFeed feed = null!;

    public async Task InitializeAsync()
    {
        app = new CrmApplication(twilio, new Dictionary<string, string?> { [CrmApplication.ManualAssignment.Key] = CrmApplication.ManualAssignment.Value },
            testServices: services => services.AddSingleton<TimeProvider>(clock));
        ann = await app.SignInAsync("ann");
        feed = await app.ConnectAgentAsync(ann);
    }

    [Fact]
    public async Task A_free_text_reply_outside_whatsapps_24_hour_window_is_refused_up_front_with_a_409_that_names_the_window()
    {
        twilio.AcceptsMessages();
        var conversation = await WhatsAppConversationAsync("SMwindow-1");
        var open = await WindowAsync(conversation);

        clock.Advance(TimeSpan.FromHours(25));
        var refused = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Still there?" });
        var closed = await WindowAsync(conversation);

        Assert.True(open.CanSendFreeText);
        Assert.Equal(open.LastCustomerTurnAt!.Value.AddHours(24), open.Until);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Reply window closed", problem.GetProperty("title").GetString());
        Assert.Contains("WhatsApp's 24-hour reply window", problem.GetProperty("detail").GetString());
        Assert.False(closed.CanSendFreeText);
        Assert.Empty(twilio.SendRequests());
        Assert.DoesNotContain(await TimelineAsync(conversation), m => m.Direction == Directions.Outbound);
    }

    [Fact]
    public async Task A_template_goes_out_through_twilio_as_its_content_sid_with_the_agents_values_when_the_window_is_closed()
    {
        twilio.AcceptsMessages();
        var catalog = await ann.PutAsJsonAsync($"{ChannelConnectionsApi.Path}/{CrmApplication.ConnectionId}/templates", new
        {
            templates = new[] { new { id = "HX0123456789abcdef0123456789abcdef", name = "order_shipped", language = "en", body = "Hi {{1}}, order {{2}} shipped.", variables = new[] { "1", "2" } } },
        });
        var conversation = await WhatsAppConversationAsync("SMwindow-2");
        clock.Advance(TimeSpan.FromDays(3));

        var listed = await ann.GetFromJsonAsync<ReplyWindowsApi.TemplateList>($"/api/conversations/{conversation}/templates");
        var missing = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/templates",
            new { templateId = "HX0123456789abcdef0123456789abcdef", variables = new Dictionary<string, string> { ["1"] = "Alice" } });
        var unknown = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/templates", new { templateId = "HXnope", variables = new { } });
        var sent = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/templates",
            new { templateId = "HX0123456789abcdef0123456789abcdef", variables = new Dictionary<string, string> { ["1"] = "Alice", ["2"] = "A-42" } });
        var request = (await twilio.WaitForSendRequestsAsync(1)).Single().RequestMessage;

        Assert.Equal(HttpStatusCode.OK, catalog.StatusCode);
        Assert.Equal(["order_shipped"], listed!.Templates.Select(t => t.Name));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("variables.2", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var reply = (await sent.Content.ReadFromJsonAsync<TimelineMessage>())!;
        Assert.Equal("Hi Alice, order A-42 shipped.", reply.Text);
        Assert.Equal("HX0123456789abcdef0123456789abcdef", reply.Template!.TemplateId);
        var form = request.BodyData!.BodyAsFormUrlEncoded!;
        Assert.Equal("HX0123456789abcdef0123456789abcdef", form["ContentSid"]);
        Assert.Equal("""{"1":"Alice","2":"A-42"}""", form["ContentVariables"]);
        Assert.False(form.ContainsKey("Body"));
    }

    [Fact]
    public async Task A_messenger_reply_between_24_hours_and_7_days_is_tagged_human_agent_and_after_7_days_refused()
    {
        var conversation = await PublishedConversationAsync(Inbound(Channels.Messenger, "m_window-3", "PSID-1", "hi", "PAGE-1"));

        clock.Advance(TimeSpan.FromDays(2));
        var window = await WindowAsync(conversation);
        var tagged = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Sorry for the wait" });
        clock.Advance(TimeSpan.FromDays(6));
        var late = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Hello?" });

        Assert.True(window.CanSendFreeText);
        Assert.Equal(MetaMessageTags.HumanAgent, window.Tag);
        Assert.Equal(HttpStatusCode.Accepted, tagged.StatusCode);
        Assert.Equal(MetaMessageTags.HumanAgent, (await tagged.Content.ReadFromJsonAsync<TimelineMessage>())!.Tag);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("Messenger's 24-hour reply window", await late.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Customer_events_are_kept_on_the_timeline_and_only_those_reaching_out_reopen_a_resolved_conversation()
    {
        var conversation = await PublishedConversationAsync(Inbound(Channels.WeChat, "wx-1", "oOPENID1", "hello", "gh_account"));
        await ann.PostAsJsonAsync($"/api/conversations/{conversation}/status", new { status = ConversationStatuses.Resolved });

        await PublishAsync(Inbound(Channels.WeChat, "wx-2", "oOPENID1", null, "gh_account") with { Event = new CustomerEvent(CustomerEventKinds.LinkOpened, "https://example.com/menu", null) });
        var afterLink = await ConversationAsync(conversation);
        await PublishAsync(Inbound(Channels.WeChat, "wx-3", "oOPENID1", null, "gh_account") with { Event = new CustomerEvent(CustomerEventKinds.MenuClicked, "V1001_HELP", null) });
        var afterClick = await ConversationAsync(conversation);
        var timeline = await TimelineAsync(conversation);

        Assert.Equal(ConversationStatuses.Resolved, afterLink.Status);
        Assert.Equal(ConversationStatuses.Open, afterClick.Status);
        Assert.Equal(new CustomerEvent(CustomerEventKinds.LinkOpened, "https://example.com/menu", null), timeline.Single(m => m.ChannelMessageId == "wx-2").Event);
        Assert.Equal(CustomerEventKinds.MenuClicked, timeline.Single(m => m.ChannelMessageId == "wx-3").Event!.Kind);
    }

    [Fact]
    public async Task A_message_the_business_sent_from_elsewhere_is_recorded_as_sent_and_the_customer_no_longer_waits()
    {
        var conversation = await PublishedConversationAsync(Inbound(Channels.Messenger, "m_echo-1", "PSID-2", "hi", "PAGE-1"));
        var waiting = await ConversationAsync(conversation);

        await PublishAsync(Inbound(Channels.Messenger, "m_echo-2", "PSID-2", "Answered from the page inbox", "PAGE-1") with { SentByBusiness = true });
        var answered = await ConversationAsync(conversation);
        var echo = (await TimelineAsync(conversation)).Single(m => m.ChannelMessageId == "m_echo-2");

        Assert.NotNull(waiting.WaitingSince);
        Assert.Null(answered.WaitingSince);
        Assert.Equal((Directions.Outbound, MessageStatuses.Sent, true), (echo.Direction, echo.Status, echo.SentOutsideCrm));
    }

    [Fact]
    public async Task A_read_watermark_marks_every_reply_the_provider_took_up_to_it_as_read_and_none_after()
    {
        twilio.AcceptsMessages("SMwatermark000000000000000000000001");
        var conversation = await WhatsAppConversationAsync("SMwindow-6");
        var reply = await ReplyAsync(conversation, "first");
        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued);
        var watermark = clock.GetUtcNow().AddSeconds(1);
        clock.Advance(TimeSpan.FromSeconds(5));
        twilio.AcceptsMessages("SMwatermark000000000000000000000002");
        var later = await ReplyAsync(conversation, "second");
        await feed.MessageStatusAsync(m => m.Id == later.Id && m.Status == MessageStatuses.Queued);

        await app.Services.GetRequiredService<IBus>().Publish(new StatusWatermarkReported(Channels.WhatsApp, Customer, CrmApplication.BusinessNumber,
            MessageStatuses.Read, watermark, clock.GetUtcNow()) { WorkspaceId = CrmApplication.TestWorkspace, ConnectionId = CrmApplication.ConnectionId });
        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Read);

        var timeline = await TimelineAsync(conversation);
        Assert.Equal(MessageStatuses.Read, timeline.Single(m => m.Id == reply.Id).Status);
        Assert.Equal(MessageStatuses.Queued, timeline.Single(m => m.Id == later.Id).Status);
    }

    private async Task<Guid> WhatsAppConversationAsync(string sid)
    {
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText(sid, Customer, "hello"));
        return (await feed.MessageAddedAsync(m => m.ChannelMessageId == sid)).ConversationId;
    }

    private InboundMessageReceived Inbound(string channel, string id, string customer, string? text, string business)
        => new(channel, id, customer, "Alice", business, text, [], null, null, new Dictionary<string, string>(), clock.GetUtcNow())
        {
            WorkspaceId = CrmApplication.TestWorkspace,
        };

    private async Task<Guid> PublishedConversationAsync(InboundMessageReceived inbound) => (await PublishAsync(inbound)).ConversationId;

    private async Task<TimelineMessage> PublishAsync(InboundMessageReceived inbound)
    {
        await app.Services.GetRequiredService<IBus>().Publish(inbound);
        return await feed.MessageAddedAsync(m => m.ChannelMessageId == inbound.ChannelMessageId);
    }

    private async Task<TimelineMessage> ReplyAsync(Guid conversation, string text)
    {
        var response = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TimelineMessage>())!;
    }

    private async Task<ReplyWindowsApi.ReplyWindowView> WindowAsync(Guid conversation)
        => (await ann.GetFromJsonAsync<ReplyWindowsApi.ReplyWindowView>($"/api/conversations/{conversation}/reply-window"))!;

    private async Task<Conversation> ConversationAsync(Guid conversation) => (await ann.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!;

    private async Task<IReadOnlyList<TimelineMessage>> TimelineAsync(Guid conversation)
        => (await ann.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages"))!.Items;

    public async Task DisposeAsync()
    {
        await feed.DisposeAsync();
        await app.DisposeAsync();
        twilio.Stop();
    }
}
