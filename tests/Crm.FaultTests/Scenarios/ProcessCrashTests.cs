using Crm.FaultTests.Checks;
using Crm.FaultTests.Hosting;
using Crm.FaultTests.Traffic;
using Xunit.Abstractions;

namespace Crm.FaultTests.Scenarios;

/// <summary>kill -9 of either process, or a graceful stop, while webhooks stream in: nothing acknowledged is lost or stored twice.</summary>
[Collection(FaultSuite.Name)]
public sealed class ProcessCrashTests : IDisposable
{
    private readonly TwilioApi twilio = new();
    private readonly CrmDeployment crm;
    private readonly ITestOutputHelper output;

    public ProcessCrashTests(ITestOutputHelper output)
    {
        this.output = output;
        crm = new CrmDeployment(twilio.Url);
    }

    [Fact]
    public async Task Every_acknowledged_webhook_is_stored_exactly_once_when_the_inbox_is_killed_mid_stream()
    {
        await crm.StartAsync();
        using var stream = new WebhookStream(new SignedWebhooks(crm.PublicBaseUrl, senders: 60), crm.Connectors.BaseUrl);

        var firstPart = stream.SendAsync(0, 300, TimeSpan.FromMilliseconds(60));
        await stream.WaitForAnsweredAsync(150);
        crm.Inbox.KillHard();
        output.WriteLine($"Inbox killed after {stream.Answered} answers; queues then: {await FaultEnvironment.QueueDepthsAsync()}");
        // The connectors keep acknowledging into their spool and RabbitMQ keeps what they hand over.
        var restart = crm.Inbox.StartAsync();
        await Task.WhenAll(firstPart, restart);
        await stream.SendAsync(300, 100, TimeSpan.FromMilliseconds(20));

        Assert.All(stream.AnswersFor(0, 400), answer => Assert.Equal("2xx", answer));
        await Outcomes.AssertEveryAcknowledgedWebhookStoredExactlyOnceAsync(crm, stream, TimeSpan.FromSeconds(120));
        output.WriteLine($"Answers: {stream.Summary()}; all acknowledged ones stored once");
    }

    [Fact]
    public async Task An_inbox_stopped_gracefully_mid_stream_loses_nothing_and_leaves_nothing_in_an_error_queue()
    {
        await crm.StartAsync();
        using var stream = new WebhookStream(new SignedWebhooks(crm.PublicBaseUrl, senders: 60), crm.Connectors.BaseUrl, clients: 16);

        // As fast as the connectors take them, and the stop only once the inbox is storing them: it is mid-batch.
        var firstPart = stream.SendAsync(0, 400, TimeSpan.Zero);
        var database = new CrmDatabase(crm.SqlitePath);
        var guard = DateTime.UtcNow.AddSeconds(60);
        while (database.StoredInbound("SM" + stream.Webhooks.RunTag).Count < 50 && DateTime.UtcNow < guard) await Task.Delay(20);
        crm.Inbox.StopGracefully();
        output.WriteLine($"Inbox stopped after {stream.Answered} answers; queues then: {await FaultEnvironment.QueueDepthsAsync()}");
        await firstPart;
        await crm.Inbox.StartAsync();

        Assert.All(stream.AnswersFor(0, 400), answer => Assert.Equal("2xx", answer));
        await Outcomes.AssertEveryAcknowledgedWebhookStoredExactlyOnceAsync(crm, stream, TimeSpan.FromSeconds(120));
        // A stop is not a fault: nothing the stopping inbox had in hand may end where nothing reads it.
        Assert.DoesNotMatch(@"_error\s+[1-9]", await FaultEnvironment.QueueDepthsAsync());
        output.WriteLine($"Answers: {stream.Summary()}; all acknowledged ones stored once");
    }

    [Fact]
    public async Task Every_acknowledged_webhook_is_stored_exactly_once_when_the_connectors_are_killed_mid_stream()
    {
        await crm.StartAsync();
        using var stream = new WebhookStream(new SignedWebhooks(crm.PublicBaseUrl, senders: 60), crm.Connectors.BaseUrl, clients: 16);

        // Faster than the forwarder drains, so the kill finds webhooks acknowledged from the spool but not yet on the bus.
        var firstPart = stream.SendAsync(0, 300, TimeSpan.Zero);
        await stream.WaitForAnsweredAsync(150);
        crm.Connectors.KillHard();
        output.WriteLine($"Connectors killed after {stream.Answered} answers with {CrmDatabase.SpoolDepth(crm.Connectors.SpoolPath)} webhooks in the spool");
        // Webhooks in flight at the kill, or sent while it is down, get no answer: never acknowledged, Twilio retries them.
        await firstPart;
        await crm.Connectors.StartAsync(); // same port, same spool file
        await stream.SendAsync(300, 100, TimeSpan.FromMilliseconds(10));

        Assert.All(stream.AnswersFor(300, 100), answer => Assert.Equal("2xx", answer));
        await Outcomes.AssertEveryAcknowledgedWebhookStoredExactlyOnceAsync(crm, stream, TimeSpan.FromSeconds(120));
        output.WriteLine($"Answers: {stream.Summary()}; all acknowledged ones stored once");
    }

    public void Dispose()
    {
        crm.Dispose();
        twilio.Dispose();
    }
}
