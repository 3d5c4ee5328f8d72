using Crm.Connectors;
using Crm.Connectors.Outbound;
using Crm.Connectors.Twilio;
using Crm.Contracts;
using MassTransit;
using MassTransit.Testing;
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
    private readonly WireMockServer twilio = WireMockServer.Start();
    private ServiceProvider provider = null!;
    private int requestsSent;
    private ITestHarness harness = null!;

    public Task InitializeAsync() => StartAsync(twilio.Url!);

    private async Task StartAsync(string apiBaseUrl)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Crm:Twilio:AccountSid"] = AccountSid,
            ["Crm:Twilio:AuthToken"] = "token",
            ["Crm:Twilio:WhatsAppFrom"] = "whatsapp:+14155238886",
            ["Crm:Twilio:ApiBaseUrl"] = apiBaseUrl,
            ["Crm:Twilio:RequestTimeout"] = "00:00:00.500",
            ["Crm:Twilio:RetryBaseDelay"] = "00:00:00.010",
            ["Crm:Twilio:MaxSendAttempts"] = "3",
        }).Build();
        provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IOutboundLedger, InMemoryOutboundLedger>()
            .AddTwilioConnector(configuration)
            // Counted as the client sends, not from WireMock's log, which is written after it answers.
            .AddHttpClient<TwilioMessagesClient>().AddHttpMessageHandler(() => new CountingHandler(this)).Services
            .AddMassTransitTestHarness(bus => bus.AddConsumer<SendWhatsAppMessageConsumer>())
            .BuildServiceProvider(true);
        harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
    }

    [Fact]
    public async Task A_redelivered_command_does_not_send_again()
    {
        twilio.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBody("""{"sid":"SMonce","status":"queued"}"""));
        var command = new SendOutboundMessage(Guid.NewGuid(), Guid.NewGuid(), Channels.WhatsApp, "+14155550100", "hello", null, 1, DateTimeOffset.UtcNow.AddMinutes(10));

        await harness.Bus.Publish(command);
        await PublishedAsync<OutboundMessageAccepted>(1);
        await harness.Bus.Publish(command);

        var accepted = await PublishedAsync<OutboundMessageAccepted>(2);
        Assert.All(accepted, a => Assert.Equal("SMonce", a.ChannelMessageId));
        Assert.Equal(1, requestsSent);
    }

    [Fact]
    public async Task Giving_up_after_repeated_server_errors_reports_the_failure()
    {
        twilio.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("""{"code":20503,"message":"Service Unavailable"}"""));
        var command = new SendOutboundMessage(Guid.NewGuid(), Guid.NewGuid(), Channels.WhatsApp, "+14155550100", "hello", null, 1, DateTimeOffset.UtcNow.AddMinutes(10));

        await harness.Bus.Publish(command);

        var failed = Assert.Single(await PublishedAsync<OutboundMessageFailed>(1));
        Assert.Equal(command.MessageId, failed.MessageId);
        Assert.Equal("20503", failed.ErrorCode);
        Assert.Equal(3, requestsSent);
    }

    [Fact]
    public async Task A_send_without_an_answer_is_reported_as_unknown_and_not_retried()
    {
        twilio.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBody("""{"sid":"SMslow","status":"queued"}""").WithDelay(TimeSpan.FromSeconds(3)));
        var command = new SendOutboundMessage(Guid.NewGuid(), Guid.NewGuid(), Channels.WhatsApp, "+14155550100", "hello", null, 1, DateTimeOffset.UtcNow.AddMinutes(10));

        await harness.Bus.Publish(command);

        var failed = Assert.Single(await PublishedAsync<OutboundMessageFailed>(1));
        Assert.Equal("unknown-outcome", failed.ErrorCode);
        Assert.Equal(ClaimOutcome.InFlight, (await provider.GetRequiredService<IOutboundLedger>().ClaimAsync(command.MessageId)).Outcome);
    }

    [Fact]
    public async Task A_send_that_cannot_connect_releases_its_claim_for_a_retry()
    {
        await harness.Stop();
        await provider.DisposeAsync();
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // Nothing listens there now: the connection is refused.
        await StartAsync($"http://127.0.0.1:{port}");
        var command = new SendOutboundMessage(Guid.NewGuid(), Guid.NewGuid(), Channels.WhatsApp, "+14155550100", "hello", null, 1, DateTimeOffset.UtcNow.AddMinutes(10));

        await harness.Bus.Publish(command);

        Assert.True(await harness.Consumed.Any<SendOutboundMessage>(x => x.Exception is HttpRequestException));
        Assert.Empty(harness.Published.Select<OutboundMessageFailed>());
        Assert.Equal(ClaimOutcome.Claimed, (await provider.GetRequiredService<IOutboundLedger>().ClaimAsync(command.MessageId)).Outcome);
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
    }
}
