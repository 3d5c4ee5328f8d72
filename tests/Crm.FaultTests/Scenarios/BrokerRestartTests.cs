using Crm.FaultTests.Checks;
using Crm.FaultTests.Hosting;
using Crm.FaultTests.Traffic;
using Xunit.Abstractions;

namespace Crm.FaultTests.Scenarios;

/// <summary>
/// RabbitMQ stopped (<c>rabbitmqctl stop_app</c>) and started again mid-stream: webhooks are still acknowledged from
/// the spool while it is down, replies are still accepted into the outbox, and afterwards everything arrives once.
/// This restarts the machine's RabbitMQ for everyone using it; it is started again in Dispose whatever happens.
/// </summary>
[Collection(FaultSuite.Name)]
public sealed class BrokerRestartTests : IDisposable
{
    private static readonly TimeSpan OutageAtLeast = TimeSpan.FromSeconds(5);

    private readonly TwilioApi twilio = new();
    private readonly CrmDeployment crm;
    private readonly ITestOutputHelper output;
    private bool brokerStopped;

    public BrokerRestartTests(ITestOutputHelper output)
    {
        this.output = output;
        crm = new CrmDeployment(twilio.Url);
    }

    [Fact]
    public async Task Webhooks_and_replies_taken_while_RabbitMQ_restarts_are_all_stored_once_and_every_reply_is_sent_once()
    {
        await crm.StartAsync();
        using var stream = new WebhookStream(new SignedWebhooks(crm.PublicBaseUrl, senders: 60), crm.Connectors.BaseUrl);
        var conversations = await FaultSuite.SeedConversationsAsync(crm, stream, 4);
        using var agent = await Agent.SignInAsync(crm.Inbox.BaseUrl, "cy");

        var beforeOutage = stream.SendAsync(4, 200, TimeSpan.FromMilliseconds(40));
        await stream.WaitForAnsweredAsync(4 + 100);
        await StopBrokerAsync();
        await beforeOutage;

        var outage = System.Diagnostics.Stopwatch.StartNew();
        var duringOutage = stream.SendAsync(204, 100, TimeSpan.FromMilliseconds(10));
        var replies = new List<Guid>();
        foreach (var conversation in conversations) replies.Add(await agent.ReplyAsync(conversation, "Written while RabbitMQ is down"));
        await duringOutage;
        output.WriteLine($"During the outage: spool depth {CrmDatabase.SpoolDepth(crm.Connectors.SpoolPath)}, answers {stream.Summary()}");
        Assert.True(stream.AnswersFor(204, 100).All(answer => answer == "2xx"),
            $"Expected every webhook to be acknowledged (spooled) while RabbitMQ is down, found {string.Join(", ", stream.AnswersFor(204, 100).GroupBy(a => a).Select(g => $"{g.Key}: {g.Count()}"))}");
        if (outage.Elapsed < OutageAtLeast) await Task.Delay(OutageAtLeast - outage.Elapsed);

        await StartBrokerAsync();
        await stream.SendAsync(304, 100, TimeSpan.FromMilliseconds(20));

        await Outcomes.AssertEveryAcknowledgedWebhookStoredExactlyOnceAsync(crm, stream, TimeSpan.FromSeconds(180));
        var final = await Outcomes.WaitForFinalStatusesAsync(crm, replies, TimeSpan.FromSeconds(180));
        output.WriteLine($"Answers: {stream.Summary()}; replies {Outcomes.Describe(final)}");
        Outcomes.AssertTruthfulAndNeverSentTwice(final, twilio);
        Assert.All(final, reply => Assert.True(reply.Status == "queued",
            $"Expected a reply written while RabbitMQ was down to be sent once it was back (queued), found {reply.Status}/{reply.ErrorCode}"));
    }

    private async Task StopBrokerAsync()
    {
        brokerStopped = true;
        await FaultEnvironment.RabbitMqCtlAsync(["stop_app"], TimeSpan.FromSeconds(120));
        output.WriteLine($"RabbitMQ stopped at {DateTime.UtcNow:HH:mm:ss}");
    }

    private async Task StartBrokerAsync()
    {
        await FaultEnvironment.RabbitMqCtlAsync(["start_app"], TimeSpan.FromSeconds(120));
        brokerStopped = false;
    }

    public void Dispose()
    {
        // Never leave the machine's RabbitMQ stopped, even when the scenario failed halfway.
        if (brokerStopped) FaultEnvironment.RabbitMqCtlAsync(["start_app"], TimeSpan.FromSeconds(120)).GetAwaiter().GetResult();
        crm.Dispose();
        twilio.Dispose();
    }
}
