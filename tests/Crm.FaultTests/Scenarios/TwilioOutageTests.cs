using System.Diagnostics;
using Crm.FaultTests.Checks;
using Crm.FaultTests.Hosting;
using Crm.FaultTests.Traffic;
using Xunit.Abstractions;

namespace Crm.FaultTests.Scenarios;

/// <summary>Twilio unreachable for a minute, then back: every reply ends truthfully, none reaches Twilio twice.</summary>
[Collection(FaultSuite.Name)]
public sealed class TwilioOutageTests : IDisposable
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);
    /// <summary>Shorter than the outage, so replies written as it starts expire in it; longer than its rest, so later ones outlive it.</summary>
    private static readonly TimeSpan SendDeadline = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan LateRepliesAt = TimeSpan.FromSeconds(35);

    private readonly TwilioApi twilio = new();
    private readonly CrmDeployment crm;
    private readonly ITestOutputHelper output;

    public TwilioOutageTests(ITestOutputHelper output)
    {
        this.output = output;
        crm = new CrmDeployment(twilio.Url, new Dictionary<string, string>
        {
            ["Crm:Outbound:SendDeadline"] = SendDeadline.ToString(),
            // Attempts 2 s, 4 s, then every 8 s apart: several attempts fail during the outage, and one comes soon after it.
            ["Crm:Twilio:NextAttemptBaseDelay"] = "00:00:02",
            ["Crm:Twilio:NextAttemptMaxDelay"] = "00:00:08",
            ["Crm:Outbound:GiveUpGrace"] = "00:00:15",
            ["Crm:Outbound:SweepInterval"] = "00:00:05",
        });
    }

    [Fact]
    public async Task Replies_end_queued_after_retrying_or_failed_past_their_deadline_and_none_reaches_Twilio_twice_when_Twilio_is_down_for_a_minute()
    {
        await crm.StartAsync();
        using var stream = new WebhookStream(new SignedWebhooks(crm.PublicBaseUrl, senders: 100), crm.Connectors.BaseUrl);
        var conversations = await FaultSuite.SeedConversationsAsync(crm, stream, 6);
        using var agent = await Agent.SignInAsync(crm.Inbox.BaseUrl, "ann");
        var database = new CrmDatabase(crm.SqlitePath);

        var beforeOutage = new[] { await agent.ReplyAsync(conversations[0], "Before the outage") };
        await Outcomes.WaitForFinalStatusesAsync(crm, beforeOutage, TimeSpan.FromSeconds(60));

        twilio.Stop();
        var outage = Stopwatch.StartNew();
        var early = new List<Guid>();
        foreach (var conversation in conversations.Take(3)) early.Add(await agent.ReplyAsync(conversation, "Written as Twilio went down"));
        // The outage is real: the connectors could not reach Twilio and said so.
        await WaitUntilAsync(() => early.All(id => database.ReplyOf(id).Status == "retrying"), TimeSpan.FromSeconds(30),
            () => "Expected the replies written during the outage to be retrying, found " + Outcomes.Describe(early.Select(database.ReplyOf)));
        output.WriteLine($"{outage.Elapsed.TotalSeconds:0} s into the outage the early replies are retrying");

        await Task.Delay(Max(TimeSpan.Zero, LateRepliesAt - outage.Elapsed));
        var late = new List<Guid>();
        foreach (var conversation in conversations.Skip(3)) late.Add(await agent.ReplyAsync(conversation, "Written late in the outage"));
        await Task.Delay(Max(TimeSpan.Zero, Outage - outage.Elapsed));
        output.WriteLine($"Twilio back after {outage.Elapsed.TotalSeconds:0} s; replies then: early {Outcomes.Describe(early.Select(database.ReplyOf))}, late {Outcomes.Describe(late.Select(database.ReplyOf))}");
        twilio.Start();

        var replies = await Outcomes.WaitForFinalStatusesAsync(crm, [.. beforeOutage, .. early, .. late], TimeSpan.FromSeconds(120));
        output.WriteLine("Final: " + Outcomes.Describe(replies));
        Outcomes.AssertTruthfulAndNeverSentTwice(replies, twilio);
        Assert.Equal("queued", database.ReplyOf(beforeOutage[0]).Status);
        Assert.All(early.Select(database.ReplyOf), reply =>
            Assert.True(reply is { Status: "failed", ErrorCode: "provider-unreachable" },
                $"Expected a reply whose deadline passed during the outage to be failed provider-unreachable, found {reply.Status}/{reply.ErrorCode}"));
        Assert.All(late.Select(database.ReplyOf), reply =>
            Assert.True(reply.Status == "queued", $"Expected a reply whose deadline outlived the outage to be queued once Twilio was back, found {reply.Status}/{reply.ErrorCode}"));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan guard, Func<string> failure)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > guard) Assert.Fail(failure());
            await Task.Delay(250);
        }
    }

    public void Dispose()
    {
        crm.Dispose();
        twilio.Dispose();
    }
}
