using System.Diagnostics;
using Crm.FaultTests.Checks;
using Crm.FaultTests.Hosting;
using Crm.FaultTests.Traffic;
using Xunit.Abstractions;

namespace Crm.FaultTests.Scenarios;

/// <summary>kill -9 of the connectors while Twilio is still answering sends: no reply stays pending, none is sent twice.</summary>
[Collection(FaultSuite.Name)]
public sealed class SendCrashTests : IDisposable
{
    private readonly TwilioApi twilio = new(answerDelay: TimeSpan.FromSeconds(3));
    private readonly CrmDeployment crm;
    private readonly ITestOutputHelper output;

    public SendCrashTests(ITestOutputHelper output)
    {
        this.output = output;
        crm = new CrmDeployment(twilio.Url, new Dictionary<string, string>
        {
            // One attempt per send, answered within 8 s: a claim outlives its sender by at most 16 s (the lease).
            ["Crm:Twilio:RequestTimeout"] = "00:00:08",
            ["Crm:Twilio:MaxSendAttempts"] = "1",
            // A hand-over with no outcome is handed over again soon, so the abandoned claim is found soon after its lease.
            ["Crm:Outbound:RedispatchAfter"] = "00:00:03",
            ["Crm:Outbound:RedispatchMax"] = "00:00:06",
        });
    }

    [Fact]
    public async Task Replies_in_flight_when_the_connectors_are_killed_end_unknown_outcome_the_others_queued_and_none_is_sent_twice()
    {
        await crm.StartAsync();
        using var stream = new WebhookStream(new SignedWebhooks(crm.PublicBaseUrl, senders: 100), crm.Connectors.BaseUrl);
        var conversations = await FaultSuite.SeedConversationsAsync(crm, stream, 6);
        using var agent = await Agent.SignInAsync(crm.Inbox.BaseUrl, "bo");
        var database = new CrmDatabase(crm.SqlitePath);

        // One reply settled before the kill, three in Twilio's hands at the kill, two written while the connectors are down.
        var settled = await agent.ReplyAsync(conversations[0], "Sent before the crash");
        await Outcomes.WaitForFinalStatusesAsync(crm, [settled], TimeSpan.FromSeconds(60));
        var inFlight = new List<Guid>();
        foreach (var conversation in conversations.Skip(1).Take(3)) inFlight.Add(await agent.ReplyAsync(conversation, "Sent as the connectors die"));
        var waited = Stopwatch.StartNew();
        while (!inFlight.All(id => twilio.SendsOf(id) > 0))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60))
                Assert.Fail($"Expected the sends to reach Twilio, found {string.Join(", ", inFlight.Select(twilio.SendsOf))} requests; replies {Outcomes.Describe(inFlight.Select(database.ReplyOf))}.\n{crm.Logs()}");
            await Task.Delay(20);
        }
        crm.Connectors.KillHard();
        var inFlightAtKill = database.ClaimedSends();
        output.WriteLine($"Killed with {inFlightAtKill.Count} sends claimed and unsettled; replies then {Outcomes.Describe(inFlight.Select(database.ReplyOf))}");
        var afterKill = new List<Guid>();
        foreach (var conversation in conversations.Skip(4)) afterKill.Add(await agent.ReplyAsync(conversation, "Written while the connectors are down"));
        await crm.Connectors.StartAsync();

        var final = await Outcomes.WaitForFinalStatusesAsync(crm, [settled, .. inFlight, .. afterKill], TimeSpan.FromSeconds(120));
        output.WriteLine("Final: " + Outcomes.Describe(final));
        Outcomes.AssertTruthfulAndNeverSentTwice(final, twilio);
        Assert.Equal("queued", database.ReplyOf(settled).Status);
        Assert.True(inFlight.Any(inFlightAtKill.Contains), "Expected the kill to find a send unanswered by Twilio (its answer takes 3 s), found none claimed.");
        foreach (var reply in inFlight.Select(database.ReplyOf))
            Assert.True(reply.Status == (inFlightAtKill.Contains(reply.Id) ? "unknown-outcome" : "queued"),
                $"Expected a reply {(inFlightAtKill.Contains(reply.Id) ? "whose sender died mid-send to be unknown-outcome (Twilio may have it)" : "Twilio answered before the kill to be queued")}, found {reply.Status}/{reply.ErrorCode}");
        foreach (var reply in afterKill.Select(database.ReplyOf))
            Assert.True(reply.Status == "queued", $"Expected a reply written while the connectors were down to be sent after the restart and queued, found {reply.Status}/{reply.ErrorCode}");

        // Twilio's own status callback later tells what happened to a reply whose outcome was unknown.
        var unknownButReceived = final.First(r => r.Status == "unknown-outcome" && twilio.SidOf(r.Id) is not null);
        {
            using var http = new HttpClient { BaseAddress = crm.Connectors.BaseUrl };
            using var callback = stream.Webhooks.StatusCallback(TwilioApi.StatusCallbackPath(unknownButReceived.Id), twilio.SidOf(unknownButReceived.Id)!, "delivered");
            using var answer = await http.SendAsync(callback);
            Assert.True(answer.IsSuccessStatusCode, $"Expected Twilio's status callback to be accepted, found {(int)answer.StatusCode}");
            await WaitForStatusAsync(database, unknownButReceived.Id, "delivered");
        }
    }

    private async Task WaitForStatusAsync(CrmDatabase database, Guid replyId, string status)
    {
        var waited = Stopwatch.StartNew();
        while (database.ReplyOf(replyId).Status != status)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60))
                Assert.Fail($"Expected reply {replyId} to become {status} after Twilio's callback, found {database.ReplyOf(replyId).Status}.\n{crm.Logs()}");
            await Task.Delay(250);
        }
    }

    public void Dispose()
    {
        crm.Dispose();
        twilio.Dispose();
    }
}
