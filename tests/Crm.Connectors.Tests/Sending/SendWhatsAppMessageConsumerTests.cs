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
    private ITestHarness harness = null!;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Crm:Twilio:AccountSid"] = AccountSid,
            ["Crm:Twilio:AuthToken"] = "token",
            ["Crm:Twilio:WhatsAppFrom"] = "whatsapp:+14155238886",
            ["Crm:Twilio:ApiBaseUrl"] = twilio.Url,
            ["Crm:Twilio:RetryBaseDelay"] = "00:00:00.010",
            ["Crm:Twilio:MaxSendAttempts"] = "3",
        }).Build();
        provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IOutboundLedger, InMemoryOutboundLedger>()
            .AddTwilioConnector(configuration)
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
        var command = new SendOutboundMessage(Guid.NewGuid(), Guid.NewGuid(), Channels.WhatsApp, "+14155550100", "hello");

        await harness.Bus.Publish(command);
        await PublishedAsync<OutboundMessageAccepted>(1);
        await harness.Bus.Publish(command);

        var accepted = await PublishedAsync<OutboundMessageAccepted>(2);
        Assert.All(accepted, a => Assert.Equal("SMonce", a.ChannelMessageId));
        Assert.Single(twilio.LogEntries);
    }

    [Fact]
    public async Task Giving_up_after_repeated_server_errors_reports_the_failure()
    {
        twilio.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("""{"code":20503,"message":"Service Unavailable"}"""));
        var command = new SendOutboundMessage(Guid.NewGuid(), Guid.NewGuid(), Channels.WhatsApp, "+14155550100", "hello");

        await harness.Bus.Publish(command);

        var failed = Assert.Single(await PublishedAsync<OutboundMessageFailed>(1));
        Assert.Equal(command.MessageId, failed.MessageId);
        Assert.Equal("20503", failed.ErrorCode);
        Assert.Equal(3, twilio.LogEntries.Count());
    }

    private async Task<List<T>> PublishedAsync<T>(int count) where T : class
    {
        // A guard against hanging, not a speed requirement.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var published = harness.Published.Select<T>().Select(p => p.Context.Message).ToList();
            if (published.Count >= count || DateTime.UtcNow > deadline) return published;
            await Task.Delay(20);
        }
    }

    public async Task DisposeAsync()
    {
        await harness.Stop();
        await provider.DisposeAsync();
        twilio.Stop();
    }
}
