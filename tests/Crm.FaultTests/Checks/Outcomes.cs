using System.Diagnostics;
using Crm.FaultTests.Hosting;
using Crm.FaultTests.Traffic;

namespace Crm.FaultTests.Checks;

/// <summary>The suite's promises, checked against the store and what Twilio received.</summary>
public static class Outcomes
{
    /// <summary>Statuses a reply's story may end in; "pending" and "retrying" are not endings.</summary>
    private static readonly HashSet<string> Final = ["queued", "sent", "delivered", "read", "failed", "undelivered", "unknown-outcome"];
    private static readonly HashSet<string> ReachedTwilio = ["queued", "sent", "delivered", "read"];

    /// <summary>
    /// Waits (bounded: a guard against hanging, not a speed target) until every acknowledged webhook is stored,
    /// then asserts each is stored exactly once.
    /// </summary>
    public static async Task AssertEveryAcknowledgedWebhookStoredExactlyOnceAsync(CrmDeployment crm, WebhookStream stream, TimeSpan guard)
    {
        var database = new CrmDatabase(crm.SqlitePath);
        var acknowledged = stream.AcknowledgedSids;
        Assert.True(acknowledged.Count > 0, $"Expected some webhooks to be acknowledged, found none ({stream.Summary()}).");
        var waited = Stopwatch.StartNew();
        Dictionary<string, long> stored;
        List<string> missing;
        while (true)
        {
            stored = database.StoredInbound("SM" + stream.Webhooks.RunTag);
            missing = acknowledged.Where(sid => !stored.ContainsKey(sid)).ToList();
            if (missing.Count == 0 || waited.Elapsed > guard) break;
            await Task.Delay(500);
        }
        var duplicated = stored.Where(s => s.Value > 1).Select(s => $"{s.Key} ×{s.Value}").ToList();
        Assert.True(missing.Count == 0 && duplicated.Count == 0,
            $"Expected all {acknowledged.Count} acknowledged webhooks stored exactly once ({stream.Summary()}); after {waited.Elapsed.TotalSeconds:0} s " +
            $"{stored.Count} are stored, {missing.Count} acknowledged ones are missing (e.g. {string.Join(", ", missing.Take(5))}), " +
            $"{duplicated.Count} are stored more than once ({string.Join(", ", duplicated.Take(5))}).\n{crm.Logs()}");
    }

    /// <summary>Waits (bounded) until every reply has left the outbox in a final status, and returns them.</summary>
    public static async Task<IReadOnlyList<CrmDatabase.Reply>> WaitForFinalStatusesAsync(CrmDeployment crm, IReadOnlyCollection<Guid> replyIds, TimeSpan guard)
    {
        var database = new CrmDatabase(crm.SqlitePath);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var replies = replyIds.Select(database.ReplyOf).ToList();
            var open = replies.Where(r => !IsFinal(r)).ToList();
            if (open.Count == 0) return replies;
            if (waited.Elapsed > guard)
                Assert.Fail($"Expected every reply in a final status, found after {waited.Elapsed.TotalSeconds:0} s: " +
                    $"{Describe(open)} still open, of {Describe(replies)}.\n{crm.Logs()}");
            await Task.Delay(500);
        }
    }

    /// <summary>
    /// Each reply's status tells the truth about Twilio: accepted ones reached it exactly once, failed ones never,
    /// unknown ones at most once; and no reply reached Twilio twice.
    /// </summary>
    public static void AssertTruthfulAndNeverSentTwice(IEnumerable<CrmDatabase.Reply> replies, TwilioApi twilio)
    {
        var lies = new List<string>();
        foreach (var reply in replies)
        {
            var sends = twilio.SendsOf(reply.Id);
            var truthful = reply.Status switch
            {
                _ when sends > 1 => false,
                var status when ReachedTwilio.Contains(status) => sends == 1,
                "failed" or "undelivered" => sends == 0,
                "unknown-outcome" => sends <= 1,
                _ => false,
            };
            if (!truthful) lies.Add($"{reply.Id} is {reply.Status}{(reply.ErrorCode is null ? "" : $" ({reply.ErrorCode})")} but Twilio received it {sends} time(s)");
        }
        Assert.True(lies.Count == 0, "Expected each reply's status to match what Twilio received, at most once: " + string.Join("; ", lies));
        Assert.Equal(0, twilio.RequestsWithoutReplyId);
    }

    public static bool IsFinal(CrmDatabase.Reply reply) => !reply.InOutbox && Final.Contains(reply.Status);

    public static string Describe(IEnumerable<CrmDatabase.Reply> replies)
        => "[" + string.Join(", ", replies.Select(r => $"{r.Status}{(r.ErrorCode is null ? "" : $"/{r.ErrorCode}")}{(r.InOutbox ? " (in outbox)" : "")}")) + "]";
}
