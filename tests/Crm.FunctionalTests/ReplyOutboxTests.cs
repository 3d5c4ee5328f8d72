using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// Every reply reaches a truthful end through the real pipeline: kept while the bus is down, retried when
/// the connector asks, given up as unknown-outcome or not-dispatched when nothing settles it in time.
/// Where a test needs the connector's side of the contract it plays it on the bus itself.
/// </summary>
public sealed class ReplyOutboxTests : IAsyncDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly SilentTwilio silentTwilio = new();
    private readonly OutboundCommands commands = new();

    /// <summary>Short timings so retries, redispatches and give-ups happen within a test.</summary>
    private static Dictionary<string, string?> FastOutbox(string? deadline = null) => new()
    {
        ["Crm:Outbound:PollInterval"] = "00:00:00.050",
        ["Crm:Outbound:BusRetryDelay"] = "00:00:00.050",
        ["Crm:Outbound:BusRetryMax"] = "00:00:00.200",
        ["Crm:Outbound:SweepInterval"] = "00:00:00.100",
        ["Crm:Outbound:GiveUpGrace"] = "00:00:00.200",
        ["Crm:Outbound:SendDeadline"] = deadline ?? "00:10:00",
    };

    private CrmApplication Start(Dictionary<string, string?> settings, bool twilioAnswers = true)
    {
        if (!twilioAnswers)
        {
            // Twilio takes the request and never answers: the connector is mid-send for as long as a test lasts.
            settings[$"{CrmApplication.Seed}:ApiBaseUrl"] = silentTwilio.Url;
            settings["Crm:Twilio:RequestTimeout"] = "00:05:00";
        }
        return new CrmApplication(twilio, settings, testServices: services =>
        {
            services.AddSendObserver(_ => commands);
            // A connector still retrying a command of the test's own making need not hold up the end of the test.
            services.Configure<Microsoft.Extensions.Hosting.HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        });
    }

    [Fact]
    public async Task A_reply_posted_while_the_bus_refuses_sends_stays_pending_and_goes_out_once_when_the_bus_is_back()
    {
        twilio.AcceptsMessages("SMbusback00000000000000000000000001");
        commands.Refusing = true;
        await using var app = Start(FastOutbox());
        var (agent, feed, conversation) = await ConversationAsync(app, "SMbusback-in");

        var reply = await ReplyAsync(agent, conversation, "we are on it");

        // The dispatcher keeps trying while the bus refuses; the reply says what is true: not sent yet.
        await commands.RefusedAsync(reply.Id, times: 3);
        Assert.Equal(MessageStatuses.Pending, (await TimelineAsync(agent, conversation)).Single(m => m.Id == reply.Id).Status);
        Assert.Empty(twilio.SendRequests());

        commands.Refusing = false;

        var queued = await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued);
        Assert.Equal("SMbusback00000000000000000000000001", queued.ChannelMessageId);
        Assert.Single(await twilio.WaitForSendRequestsAsync(1));
        var sent = Assert.Single(commands.Sent, c => c.MessageId == reply.Id);
        Assert.Equal(("+14155550100", "we are on it", 1), (sent.To, sent.Text, sent.Attempt));
        Assert.Equal(reply.CreatedAt.AddMinutes(10), sent.NotAfter);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task A_reply_the_connector_retries_shows_retrying_and_is_sent_as_the_next_attempt()
    {
        await using var app = Start(FastOutbox(), twilioAnswers: false);
        var (agent, feed, conversation) = await ConversationAsync(app, "SMretry-in");
        var bus = app.Services.GetRequiredService<IBus>();

        var reply = await ReplyAsync(agent, conversation, "one moment");
        var first = await commands.SentAsync(c => c.MessageId == reply.Id && c.Attempt == 1);
        await bus.Publish(new OutboundMessageRetrying(reply.Id, Channels.WhatsApp, first.Attempt, "20500", "Twilio answered 500.",
            NextAttemptAt: DateTimeOffset.UtcNow.AddMilliseconds(200), DateTimeOffset.UtcNow));

        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Retrying);
        var second = await commands.SentAsync(c => c.MessageId == reply.Id && c.Attempt == 2);
        Assert.Equal((first.Text, first.To, first.NotAfter), (second.Text, second.To, second.NotAfter));
        await bus.Publish(new OutboundMessageAccepted(reply.Id, Channels.WhatsApp, "SMsecondattempt0000000000000000001", MessageStatuses.Queued, DateTimeOffset.UtcNow));

        var queued = await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued);
        Assert.Equal("SMsecondattempt0000000000000000001", queued.ChannelMessageId);
        await feed.DisposeAsync();
        silentTwilio.HangUp();
    }

    [Fact]
    public async Task A_handed_over_command_is_handed_over_again_until_an_outcome_arrives()
    {
        var settings = FastOutbox();
        settings["Crm:Outbound:RedispatchAfter"] = "00:00:00.100";
        await using var app = Start(settings, twilioAnswers: false);
        var (agent, feed, conversation) = await ConversationAsync(app, "SMlost-in");
        var bus = app.Services.GetRequiredService<IBus>();

        var reply = await ReplyAsync(agent, conversation, "are you still there?");

        // The bus may have lost the first command (an in-memory bus loses it in a crash): the same attempt goes again.
        await commands.SentAsync(c => c.MessageId == reply.Id && commands.Sent.Count(s => s.MessageId == reply.Id && s.Attempt == 1) >= 2);
        await bus.Publish(new OutboundMessageAccepted(reply.Id, Channels.WhatsApp, "SMlost0000000000000000000000000001", MessageStatuses.Queued, DateTimeOffset.UtcNow));
        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued);
        Assert.All(commands.Sent.Where(c => c.MessageId == reply.Id), c => Assert.Equal(1, c.Attempt));
        await feed.DisposeAsync();
        silentTwilio.HangUp();
    }

    [Fact]
    public async Task A_reply_the_connector_never_answers_for_ends_as_unknown_outcome_after_its_deadline()
    {
        await using var app = Start(FastOutbox(deadline: "00:00:01"), twilioAnswers: false);
        var (agent, feed, conversation) = await ConversationAsync(app, "SMsilent-in");

        var reply = await ReplyAsync(agent, conversation, "did you get this?");

        await commands.SentAsync(c => c.MessageId == reply.Id);
        var settled = await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status != MessageStatuses.Pending);
        Assert.Equal(MessageStatuses.UnknownOutcome, settled.Status);
        Assert.Equal(MessageStatuses.UnknownOutcome, (await TimelineAsync(agent, conversation)).Single(m => m.Id == reply.Id).Status);
        Assert.Single(commands.Sent, c => c.MessageId == reply.Id);
        await feed.DisposeAsync();
        silentTwilio.HangUp();
    }

    [Fact]
    public async Task A_reply_to_an_unreachable_twilio_does_not_stay_pending_past_its_deadline()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var settings = FastOutbox(deadline: "00:00:01");
        settings[$"{CrmApplication.Seed}:ApiBaseUrl"] = $"http://127.0.0.1:{closedPort}";
        await using var app = Start(settings);
        var (agent, feed, conversation) = await ConversationAsync(app, "SMunreachable-in");

        var reply = await ReplyAsync(agent, conversation, "still there?");

        // Whichever way the connector reports it (or fails to), the agent learns the reply did not simply go out.
        var settled = await feed.MessageStatusAsync(m => m.Id == reply.Id && MessageStatuses.Rank(m.Status) >= MessageStatuses.Rank(MessageStatuses.UnknownOutcome));
        Assert.Contains(settled.Status, new[] { MessageStatuses.UnknownOutcome, MessageStatuses.Failed });
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task A_reply_the_bus_never_takes_fails_as_not_dispatched_after_its_deadline()
    {
        commands.Refusing = true;
        await using var app = Start(FastOutbox(deadline: "00:00:01"));
        var (agent, feed, conversation) = await ConversationAsync(app, "SMneverout-in");

        var reply = await ReplyAsync(agent, conversation, "hello?");

        var settled = await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status != MessageStatuses.Pending);
        Assert.Equal((MessageStatuses.Failed, SendFailures.NotDispatched), (settled.Status, settled.ErrorCode));
        Assert.DoesNotContain(commands.Sent, c => c.MessageId == reply.Id);
        Assert.Empty(twilio.SendRequests());
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task Status_callbacks_for_unknown_messages_are_dropped_at_once_and_a_real_status_still_applies()
    {
        var faults = new StatusFaults();
        twilio.AcceptsMessages("SMknown000000000000000000000000001");
        await using var app = new CrmApplication(twilio, FastOutbox(), testServices: services => services.AddConsumeObserver(_ => faults));
        var (agent, feed, conversation) = await ConversationAsync(app, "SMknown-in");
        var reply = await ReplyAsync(agent, conversation, "your order shipped");
        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Queued);

        // Callbacks for messages this deployment never sent: by sid only, and with an id nobody knows.
        var unknown = Enumerable.Range(0, 60).Select(i => app.PostFromTwilioAsync(
            i % 3 == 0 ? $"/webhooks/twilio/status?messageId={Guid.NewGuid()}" : "/webhooks/twilio/status",
            TwilioFakes.StatusCallback($"SMunknown{i:D26}", "delivered")));
        Assert.All(await Task.WhenAll(unknown), response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        var real = await app.PostFromTwilioAsync("/webhooks/twilio/status", TwilioFakes.StatusCallback("SMknown000000000000000000000000001", "delivered"));
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);

        await feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Delivered);
        Assert.Equal(0, faults.Count);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task A_failed_reply_can_be_resent_once_as_a_new_reply_linked_to_it()
    {
        twilio.Given(TwilioFakes.SendRequest).InScenario("window").WillSetStateTo("open")
            .RespondWith(TwilioFakes.Refused(400, 63016, "Outside the allowed window"));
        twilio.Given(TwilioFakes.SendRequest).InScenario("window").WhenStateIs("open")
            .RespondWith(TwilioFakes.Accepted("SMresent0000000000000000000000000001"));
        await using var app = Start(FastOutbox());
        var (agent, feed, conversation) = await ConversationAsync(app, "SMresend-in");
        var original = await ReplyAsync(agent, conversation, "your refund is on its way");
        await feed.MessageStatusAsync(m => m.Id == original.Id && m.Status == MessageStatuses.Failed);

        var response = await agent.PostAsync($"/api/conversations/{conversation}/messages/{original.Id}/resend", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var resent = (await response.Content.ReadFromJsonAsync<TimelineMessage>())!;
        Assert.NotEqual(original.Id, resent.Id);
        Assert.Equal(("your refund is on its way", original.Id, MessageStatuses.Pending, "ann"), (resent.Text, resent.ResendOf, resent.Status, resent.Agent));
        await feed.MessageStatusAsync(m => m.Id == resent.Id && m.Status == MessageStatuses.Queued);
        Assert.Equal(2, (await twilio.WaitForSendRequestsAsync(2)).Count);
        var timeline = await TimelineAsync(agent, conversation);
        Assert.Equal(original.Id, timeline.Single(m => m.Id == resent.Id).ResendOf);

        // Resent already (a double click), not failed (queued), not a reply (the customer's message): 409.
        var twice = await agent.PostAsync($"/api/conversations/{conversation}/messages/{original.Id}/resend", null);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Contains($"already resent as {resent.Id}", await twice.Content.ReadAsStringAsync());
        var queued = await agent.PostAsync($"/api/conversations/{conversation}/messages/{resent.Id}/resend", null);
        Assert.Equal(HttpStatusCode.Conflict, queued.StatusCode);
        Assert.Contains("This reply is queued", await queued.Content.ReadAsStringAsync());
        var inbound = timeline.Single(m => m.Direction == Directions.Inbound);
        Assert.Equal(HttpStatusCode.Conflict, (await agent.PostAsync($"/api/conversations/{conversation}/messages/{inbound.Id}/resend", null)).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await agent.PostAsync($"/api/conversations/{conversation}/messages/{Guid.NewGuid()}/resend", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.PostAsync($"/api/conversations/{Guid.NewGuid()}/messages/{original.Id}/resend", null)).StatusCode);
        Assert.Equal(2, twilio.SendRequests().Count);
        Assert.Equal(2, (await TimelineAsync(agent, conversation)).Count(m => m.Direction == Directions.Outbound));
        await feed.DisposeAsync();
    }

    private static async Task<(HttpClient Agent, AgentFeed Feed, Guid Conversation)> ConversationAsync(CrmApplication app, string sid)
    {
        var agent = await app.SignInAsync("ann");
        var feed = await app.ConnectAgentAsync(agent);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText(sid, "+14155550100", "hello"));
        var conversation = (await feed.MessageAddedAsync(m => m.ChannelMessageId == sid)).ConversationId;
        return (agent, feed, conversation);
    }

    private static async Task<TimelineMessage> ReplyAsync(HttpClient agent, Guid conversation, string text)
    {
        var response = await agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TimelineMessage>())!;
    }

    private static async Task<IReadOnlyList<TimelineMessage>> TimelineAsync(HttpClient agent, Guid conversation)
        => (await agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages"))!.Items;

    public async ValueTask DisposeAsync()
    {
        twilio.Stop();
        silentTwilio.Dispose();
        await Task.CompletedTask;
    }

    /// <summary>Records the send commands the bus took, and refuses them while <see cref="Refusing"/>, as a broker that is down.</summary>
    private sealed class OutboundCommands : ISendObserver
    {
        private static readonly TimeSpan PatienceLimit = TimeSpan.FromSeconds(20);
        private readonly List<SendOutboundMessage> sent = [];
        private readonly List<Guid> refused = [];
        public volatile bool Refusing;

        public IReadOnlyList<SendOutboundMessage> Sent
        {
            get { lock (sent) return sent.ToList(); }
        }

        public Task PreSend<T>(SendContext<T> context) where T : class
        {
            if (context.Message is not SendOutboundMessage command || !Refusing) return Task.CompletedTask;
            lock (refused) refused.Add(command.MessageId);
            throw new InvalidOperationException("The broker is unreachable.");
        }

        public Task PostSend<T>(SendContext<T> context) where T : class
        {
            if (context.Message is SendOutboundMessage command) lock (sent) sent.Add(command);
            return Task.CompletedTask;
        }

        public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class => Task.CompletedTask;

        public Task<SendOutboundMessage> SentAsync(Func<SendOutboundMessage, bool> match)
            => WaitForAsync(() => Sent.FirstOrDefault(match), "a matching send command");

        public Task RefusedAsync(Guid messageId, int times)
            => WaitForAsync(() => { lock (refused) return refused.Count(id => id == messageId) >= times ? "" : null; }, $"{times} refused sends");

        private static async Task<T> WaitForAsync<T>(Func<T?> found, string what) where T : class
        {
            // A guard against hanging, not a speed requirement.
            using var patience = new CancellationTokenSource(PatienceLimit);
            while (true)
            {
                if (found() is { } value) return value;
                try { await Task.Delay(20, patience.Token); }
                catch (OperationCanceledException) { throw new TimeoutException($"No {what} within {PatienceLimit.TotalSeconds} s."); }
            }
        }
    }

    /// <summary>Counts consumers failing on status reports (each failure would be retried, holding a consumer slot).</summary>
    private sealed class StatusFaults : IConsumeObserver
    {
        private int count;
        public int Count => Volatile.Read(ref count);

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;
        public Task PostConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
        {
            if (context.Message is MessageStatusReported) Interlocked.Increment(ref count);
            return Task.CompletedTask;
        }
    }

    /// <summary>A TCP port that accepts connections and never answers, like a provider that hangs mid-request.</summary>
    private sealed class SilentTwilio : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly List<TcpClient> held = [];
        private readonly CancellationTokenSource stop = new();

        public SilentTwilio()
        {
            listener.Start();
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var client = await listener.AcceptTcpClientAsync(stop.Token);
                        lock (held) held.Add(client);
                    }
                }
                catch (Exception) when (stop.IsCancellationRequested) { }
            });
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        /// <summary>Closes the held connections, so a send still waiting ends now rather than holding up the host's shutdown.</summary>
        public void HangUp()
        {
            lock (held) held.ForEach(c => c.Dispose());
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            lock (held) held.ForEach(c => c.Dispose());
        }
    }
}
