using System.Net;
using System.Net.Sockets;
using Crm.Connectors;
using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Connectors.Twilio;
using Crm.Contracts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Response = WireMock.ResponseBuilders.Response;
using Xunit;

namespace Crm.Connectors.Tests.Sending;

public sealed class SendWhatsAppMessageConsumerTests : IAsyncLifetime
{
    private const string AccountSid = "AC00000000000000000000000000000002";
    private const string MessagesPath = $"/2010-04-01/Accounts/{AccountSid}/Messages.json";
    private static readonly Guid ConnectionId = Guid.NewGuid();
    private static readonly Guid WorkspaceId = Guid.NewGuid();
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly string ledgerFile = Path.Combine(Path.GetTempPath(), $"crm-ledger-{Guid.NewGuid():N}.db");
    private ServiceProvider provider = null!;
    private int requestsSent;
    private ITestHarness harness = null!;

    public Task InitializeAsync() => StartAsync(twilio.Url!);

    private IOutboundLedger Ledger => provider.GetRequiredService<IOutboundLedger>();

    private async Task StartAsync(string apiBaseUrl)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Crm:ChannelConnections:CacheFor"] = "00:00:00",
            // Long enough for a cold first request on a busy machine; the slow-answer test waits 3 s.
            ["Crm:Twilio:RequestTimeout"] = "00:00:02",
            ["Crm:Twilio:RetryBaseDelay"] = "00:00:00.010",
            ["Crm:Twilio:MaxSendAttempts"] = "3",
        }).Build();
        provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddTwilioConnector(configuration)
            .AddSqliteOutboundLedger(LedgerConnectionString)
            .AddSqliteChannelConnections(LedgerConnectionString)
            // Counted as the client sends, not from WireMock's log, which is written after it answers.
            .AddHttpClient<TwilioMessagesClient>().AddHttpMessageHandler(() => new CountingHandler(this)).Services
            .AddMassTransitTestHarness(bus => bus.AddConsumer<SendWhatsAppMessageConsumer>())
            .BuildServiceProvider(true);
        await Ledger.InitializeAsync();
        await Connections.Store.InitializeAsync();
        if (!await Connections.AddAsync(Connection(apiBaseUrl, enabled: true))) await Connections.UpdateAsync(Connection(apiBaseUrl, enabled: true));
        harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
    }

    private string LedgerConnectionString => $"Data Source={ledgerFile}";

    private ChannelConnections Connections => provider.GetRequiredService<ChannelConnections>();

    private ChannelConnection Connection(string apiBaseUrl, bool enabled) => Connections.Twilio(ConnectionId, WorkspaceId, "Test", enabled, null,
        DateTimeOffset.UtcNow, new TwilioConnectionSettings(AccountSid, ["whatsapp:+14155238886", "whatsapp:+14155550199"], new Uri(apiBaseUrl)), "token");

    private static SendOutboundMessage Command(int attempt = 1, string? from = null, TimeSpan? deadline = null, bool withConnection = true)
        => new(Guid.NewGuid(), Guid.NewGuid(), Channels.WhatsApp, "+14155550100", "hello", from, attempt,
            DateTimeOffset.UtcNow + (deadline ?? TimeSpan.FromMinutes(10)))
        {
            WorkspaceId = withConnection ? WorkspaceId : Guid.Empty,
            ConnectionId = withConnection ? ConnectionId : null,
        };

    private void TwilioAnswers(int status, string body, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status).WithBody(body);
        if (delay is { } d) response = response.WithDelay(d);
        twilio.Given(Request.Create().WithPath(MessagesPath).UsingPost()).RespondWith(response);
    }

    [Fact]
    public async Task An_accepted_send_reports_twilios_sid_and_status()
    {
        TwilioAnswers(201, """{"sid":"SMfirst","status":"queued"}""");
        var command = Command();

        await harness.Bus.Publish(command);

        var accepted = Assert.Single(await PublishedAsync<OutboundMessageAccepted>(1));
        Assert.Equal((command.MessageId, "SMfirst", MessageStatuses.Queued), (accepted.MessageId, accepted.ChannelMessageId, accepted.Status));
    }

    [Fact]
    public async Task A_redelivered_command_does_not_send_again()
    {
        TwilioAnswers(201, """{"sid":"SMonce","status":"queued"}""");
        var command = Command();

        await harness.Bus.Publish(command);
        await PublishedAsync<OutboundMessageAccepted>(1);
        await harness.Bus.Publish(command);

        var accepted = await PublishedAsync<OutboundMessageAccepted>(2);
        Assert.All(accepted, a => Assert.Equal("SMonce", a.ChannelMessageId));
        Assert.Equal(1, requestsSent);
    }

    [Fact]
    public async Task The_commands_sender_is_used_when_it_names_one()
    {
        TwilioAnswers(201, """{"sid":"SMfrom","status":"queued"}""");

        // The inbox names the business identity the conversation came in on; the connector writes Twilio's address.
        await harness.Bus.Publish(Command(from: "+14155550199"));
        await PublishedAsync<OutboundMessageAccepted>(1);

        var body = Assert.Single(twilio.LogEntries).RequestMessage.Body!;
        Assert.Contains("From=whatsapp%3A%2B14155550199", body);
    }

    [Fact]
    public async Task Without_a_sender_in_the_command_the_connections_first_number_is_used()
    {
        TwilioAnswers(201, """{"sid":"SMdefault","status":"queued"}""");

        await harness.Bus.Publish(Command());
        await PublishedAsync<OutboundMessageAccepted>(1);

        var body = Assert.Single(twilio.LogEntries).RequestMessage.Body!;
        Assert.Contains("From=whatsapp%3A%2B14155238886", body);
    }

    [Fact]
    public async Task A_command_without_a_connection_goes_out_through_the_connection_that_owns_its_sender()
    {
        TwilioAnswers(201, """{"sid":"SMlegacy","status":"queued"}""");

        // Commands queued before connections were data name only the number the conversation came in on.
        await harness.Bus.Publish(Command(from: "+14155550199", withConnection: false));

        Assert.Equal("SMlegacy", Assert.Single(await PublishedAsync<OutboundMessageAccepted>(1)).ChannelMessageId);
        var request = Assert.Single(twilio.LogEntries).RequestMessage;
        Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{AccountSid}:token")), request.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task A_command_for_a_disabled_connection_is_not_sent_and_fails_as_connection_unavailable()
    {
        TwilioAnswers(201, """{"sid":"SMdisabled","status":"queued"}""");
        await Connections.UpdateAsync(Connection(twilio.Url!, enabled: false));

        await harness.Bus.Publish(Command());

        var failed = Assert.Single(await PublishedAsync<OutboundMessageFailed>(1));
        Assert.Equal(SendFailures.ConnectionUnavailable, failed.ErrorCode);
        Assert.Empty(twilio.LogEntries);
    }

    [Fact]
    public async Task A_sender_the_connection_does_not_own_is_not_used_and_fails_as_connection_unavailable()
    {
        TwilioAnswers(201, """{"sid":"SMforeign","status":"queued"}""");

        await harness.Bus.Publish(Command(from: "+14155550777"));

        var failed = Assert.Single(await PublishedAsync<OutboundMessageFailed>(1));
        Assert.Equal(SendFailures.ConnectionUnavailable, failed.ErrorCode);
        Assert.Contains("+14155550777", failed.Reason);
        Assert.Empty(twilio.LogEntries);
    }

    [Fact]
    public async Task A_command_past_its_deadline_is_not_sent_and_reported_expired()
    {
        TwilioAnswers(201, """{"sid":"SMlate","status":"queued"}""");
        var command = Command(deadline: TimeSpan.FromSeconds(-1));

        await harness.Bus.Publish(command);

        var failed = Assert.Single(await PublishedAsync<OutboundMessageFailed>(1));
        Assert.Equal((command.MessageId, SendFailures.Expired), (failed.MessageId, failed.ErrorCode));
        Assert.Equal(0, requestsSent);
    }

    [Fact]
    public async Task A_command_past_its_deadline_that_was_already_sent_is_reported_accepted_again()
    {
        TwilioAnswers(201, """{"sid":"SMbefore","status":"queued"}""");
        var command = Command();
        await harness.Bus.Publish(command);
        await PublishedAsync<OutboundMessageAccepted>(1);

        await harness.Bus.Publish(command with { NotAfter = DateTimeOffset.UtcNow.AddSeconds(-1) });

        var accepted = await PublishedAsync<OutboundMessageAccepted>(2);
        Assert.Equal("SMbefore", accepted[1].ChannelMessageId);
        Assert.Empty(harness.Published.Select<OutboundMessageFailed>());
        Assert.Equal(1, requestsSent);
    }

    [Fact]
    public async Task A_command_another_delivery_is_sending_is_acknowledged_without_sending_or_reporting()
    {
        TwilioAnswers(201, """{"sid":"SMother","status":"queued"}""");
        var command = Command();
        Assert.Equal(ClaimOutcome.Claimed, (await ClaimLiveAsync(command.MessageId)).Outcome);

        await harness.Bus.Publish(command);

        Assert.True(await harness.Consumed.Any<SendOutboundMessage>(x => x.Context.Message.MessageId == command.MessageId));
        Assert.False(await harness.Consumed.Any<SendOutboundMessage>(x => x.Exception is not null));
        Assert.Empty(harness.Published.Select<OutboundMessageAccepted>());
        Assert.Empty(harness.Published.Select<OutboundMessageFailed>());
        Assert.Empty(harness.Published.Select<OutboundMessageRetrying>());
        Assert.Empty(harness.Published.Select<OutboundMessageOutcomeUnknown>());
        Assert.Equal(0, requestsSent);
    }

    [Fact]
    public async Task Server_errors_after_the_inline_retries_report_a_retry_with_backoff_and_release_the_claim()
    {
        TwilioAnswers(503, """{"code":20503,"message":"Service Unavailable"}""");
        var command = Command(attempt: 3);

        await harness.Bus.Publish(command);

        var retrying = Assert.Single(await PublishedAsync<OutboundMessageRetrying>(1));
        Assert.Equal((command.MessageId, 3, "20503"), (retrying.MessageId, retrying.Attempt, retrying.ErrorCode));
        // 5 s doubling from the first attempt: the third waits 20 s.
        Assert.Equal(TimeSpan.FromSeconds(20), retrying.NextAttemptAt - retrying.ReportedAt);
        Assert.Equal(3, requestsSent);
        Assert.Empty(harness.Published.Select<OutboundMessageFailed>());
        Assert.Equal(ClaimOutcome.Claimed, (await ClaimLiveAsync(command.MessageId)).Outcome);
    }

    [Fact]
    public async Task The_backoff_between_attempts_is_capped_at_two_minutes()
    {
        TwilioAnswers(503, """{"code":20503,"message":"Service Unavailable"}""");

        await harness.Bus.Publish(Command(attempt: 12, deadline: TimeSpan.FromHours(1)));

        var retrying = Assert.Single(await PublishedAsync<OutboundMessageRetrying>(1));
        Assert.Equal(TimeSpan.FromMinutes(2), retrying.NextAttemptAt - retrying.ReportedAt);
    }

    [Fact]
    public async Task An_unreachable_twilio_with_no_time_left_before_the_deadline_is_a_failure()
    {
        TwilioAnswers(503, """{"code":20503,"message":"Service Unavailable"}""");
        var command = Command(deadline: TimeSpan.FromSeconds(4));

        await harness.Bus.Publish(command);

        var failed = Assert.Single(await PublishedAsync<OutboundMessageFailed>(1));
        Assert.Equal((command.MessageId, SendFailures.ProviderUnreachable), (failed.MessageId, failed.ErrorCode));
        Assert.Empty(harness.Published.Select<OutboundMessageRetrying>());
    }

    [Fact]
    public async Task A_send_that_cannot_connect_reports_a_retry_and_releases_its_claim()
    {
        await RestartAgainstAClosedPortAsync();
        var command = Command();

        await harness.Bus.Publish(command);

        var retrying = Assert.Single(await PublishedAsync<OutboundMessageRetrying>(1));
        Assert.Equal((command.MessageId, 1), (retrying.MessageId, retrying.Attempt));
        Assert.Equal(TimeSpan.FromSeconds(5), retrying.NextAttemptAt - retrying.ReportedAt);
        Assert.False(await harness.Consumed.Any<SendOutboundMessage>(x => x.Exception is not null));
        Assert.Equal(ClaimOutcome.Claimed, (await ClaimLiveAsync(command.MessageId)).Outcome);
    }

    [Fact]
    public async Task A_send_without_an_answer_is_reported_as_unknown_and_never_sent_again()
    {
        TwilioAnswers(201, """{"sid":"SMslow","status":"queued"}""", delay: TimeSpan.FromSeconds(3));
        var command = Command();

        await harness.Bus.Publish(command);
        var unknown = Assert.Single(await PublishedAsync<OutboundMessageOutcomeUnknown>(1));
        await harness.Bus.Publish(command with { Attempt = 2 });

        Assert.Equal(command.MessageId, unknown.MessageId);
        Assert.Equal(2, (await PublishedAsync<OutboundMessageOutcomeUnknown>(2)).Count);
        Assert.Equal(1, requestsSent);
        Assert.Empty(harness.Published.Select<OutboundMessageFailed>());
        Assert.Equal(ClaimOutcome.OutcomeUnknown, (await ClaimLiveAsync(command.MessageId)).Outcome);
    }

    [Fact]
    public async Task A_refusal_reports_crms_reason_for_twilios_code_and_a_redelivery_reports_it_again_without_sending()
    {
        TwilioAnswers(400, """{"code":63016,"message":"Outside the allowed window"}""");
        var command = Command();

        await harness.Bus.Publish(command);
        var failed = Assert.Single(await PublishedAsync<OutboundMessageFailed>(1));
        await harness.Bus.Publish(command);

        Assert.Equal((command.MessageId, SendFailures.OutsideReplyWindow, "Twilio error 63016: Outside the allowed window"), (failed.MessageId, failed.ErrorCode, failed.Reason));
        var again = (await PublishedAsync<OutboundMessageFailed>(2))[1];
        Assert.Equal(SendFailures.OutsideReplyWindow, again.ErrorCode);
        Assert.Equal(1, requestsSent);
    }

    [Fact]
    public async Task A_redelivery_after_a_crash_mid_send_reports_an_unknown_outcome_and_never_sends()
    {
        TwilioAnswers(201, """{"sid":"SMtwice","status":"queued"}""");
        var command = Command();
        // A sender claimed it an hour ago and died before settling: its lease ran out long since.
        var crashed = new SqliteOutboundLedger(LedgerConnectionString, new HourAgoClock());
        Assert.Equal(ClaimOutcome.Claimed, (await crashed.ClaimAsync(command.MessageId, TimeSpan.FromMinutes(5))).Outcome);

        await harness.Bus.Publish(command);
        var unknown = Assert.Single(await PublishedAsync<OutboundMessageOutcomeUnknown>(1));
        await harness.Bus.Publish(command);

        Assert.Equal(command.MessageId, unknown.MessageId);
        Assert.Equal(2, (await PublishedAsync<OutboundMessageOutcomeUnknown>(2)).Count);
        Assert.Equal(ClaimOutcome.OutcomeUnknown, (await ClaimLiveAsync(command.MessageId)).Outcome);
        Assert.Equal(0, requestsSent);
        Assert.Empty(harness.Published.Select<OutboundMessageAccepted>());
    }

    [Fact]
    public async Task When_the_ledger_cannot_be_read_nothing_is_sent_and_the_bus_is_left_to_retry()
    {
        TwilioAnswers(201, """{"sid":"SMblind","status":"queued"}""");
        await using (var connection = new SqliteConnection(LedgerConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE outbound_ledger"; // The store is broken: no claim can be taken.
            await drop.ExecuteNonQueryAsync();
        }

        await harness.Bus.Publish(Command());

        Assert.True(await harness.Consumed.Any<SendOutboundMessage>(x => x.Exception is SqliteException));
        Assert.Equal(0, requestsSent);
        Assert.Empty(harness.Published.Select<OutboundMessageAccepted>());
        Assert.Empty(harness.Published.Select<OutboundMessageFailed>());
        Assert.Empty(harness.Published.Select<OutboundMessageRetrying>());
        Assert.Empty(harness.Published.Select<OutboundMessageOutcomeUnknown>());
    }

    private Task<OutboundClaim> ClaimLiveAsync(Guid messageId) => Ledger.ClaimAsync(messageId, TimeSpan.FromMinutes(5));

    private sealed class HourAgoClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddHours(-1);
    }

    private async Task RestartAgainstAClosedPortAsync()
    {
        await harness.Stop();
        await provider.DisposeAsync();
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // Nothing listens there now: the connection is refused.
        await StartAsync($"http://127.0.0.1:{port}");
    }

    /// <summary>The first <paramref name="count"/> messages of type T published, as they arrive.</summary>
    private async Task<List<T>> PublishedAsync<T>(int count) where T : class
    {
        // A guard against hanging, not a speed requirement.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var published = new List<T>();
        await foreach (var message in harness.Published.SelectAsync<T>(patience.Token))
        {
            published.Add(message.Context.Message);
            if (published.Count == count) break;
        }
        return published;
    }

    private sealed class CountingHandler(SendWhatsAppMessageConsumerTests test) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref test.requestsSent);
            return base.SendAsync(request, cancellationToken);
        }
    }

    public async Task DisposeAsync()
    {
        await harness.Stop();
        await provider.DisposeAsync();
        twilio.Stop();
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { ledgerFile, ledgerFile + "-wal", ledgerFile + "-shm" }) File.Delete(path);
    }
}
