using System.Diagnostics;

namespace Crm.Benchmarks.Measuring;

public enum WebhookOutcome : byte { NotSent, Acknowledged, Refused, Failed }

/// <summary>
/// Per webhook of a run: when it was due, how Crm answered, when its push reached the agent. Arrays indexed by
/// the webhook's index (carried in its message sid), written lock-free by the senders and the agent's feed.
/// </summary>
public sealed class WebhookLedger(int count)
{
    public readonly long[] StartedAt = new long[count];
    public readonly long[] AnsweredAt = new long[count];
    public readonly WebhookOutcome[] Outcomes = new WebhookOutcome[count];
    public readonly long[] PushedAt = new long[count];

    private long acknowledged;
    private long refused;
    private long failed;
    private long pushesUnique;
    private long pushesRepeated;
    private long lastPushAt;

    public int Count => Outcomes.Length;
    public long Acknowledged => Interlocked.Read(ref acknowledged);
    public long Refused => Interlocked.Read(ref refused);
    public long Failed => Interlocked.Read(ref failed);
    /// <summary>Distinct webhooks whose message reached the agent.</summary>
    public long Pushed => Interlocked.Read(ref pushesUnique);
    /// <summary>Pushes of a message the agent had already been sent: "nothing twice" broken on the way to agents.</summary>
    public long RepeatedPushes => Interlocked.Read(ref pushesRepeated);
    public long LastPushAt => Interlocked.Read(ref lastPushAt);
    public string? FirstFailure { get; private set; }

    public void Answered(long index, int statusCode)
    {
        AnsweredAt[index] = Stopwatch.GetTimestamp();
        if (statusCode is >= 200 and < 300)
        {
            Outcomes[index] = WebhookOutcome.Acknowledged;
            Interlocked.Increment(ref acknowledged);
        }
        else
        {
            Outcomes[index] = WebhookOutcome.Refused;
            Interlocked.Increment(ref refused);
            FirstFailure ??= $"HTTP {statusCode}";
        }
    }

    public void Failure(long index, Exception error)
    {
        AnsweredAt[index] = Stopwatch.GetTimestamp();
        Outcomes[index] = WebhookOutcome.Failed;
        Interlocked.Increment(ref failed);
        FirstFailure ??= error.GetType().Name + ": " + error.Message;
    }

    public void PushArrived(long index)
    {
        var now = Stopwatch.GetTimestamp();
        if (Interlocked.CompareExchange(ref PushedAt[index], now, 0) != 0)
        {
            Interlocked.Increment(ref pushesRepeated);
            return;
        }
        Interlocked.Increment(ref pushesUnique);
        Interlocked.Exchange(ref lastPushAt, now);
    }

    /// <summary>Webhook→push latencies in milliseconds, for acknowledged webhooks whose push arrived.</summary>
    public double[] PushLatenciesMs()
    {
        var latencies = new List<double>(Count);
        for (var i = 0; i < Count; i++)
        {
            if (Outcomes[i] == WebhookOutcome.Acknowledged && PushedAt[i] != 0)
                latencies.Add(Stopwatch.GetElapsedTime(StartedAt[i], PushedAt[i]).TotalMilliseconds);
        }
        return [.. latencies];
    }

    /// <summary>How long Crm took to answer each webhook it acknowledged, in milliseconds.</summary>
    public double[] AnswerLatenciesMs()
    {
        var latencies = new List<double>(Count);
        for (var i = 0; i < Count; i++)
        {
            if (Outcomes[i] == WebhookOutcome.Acknowledged) latencies.Add(Stopwatch.GetElapsedTime(StartedAt[i], AnsweredAt[i]).TotalMilliseconds);
        }
        return [.. latencies];
    }

    /// <summary>Acknowledged webhooks whose push has arrived; counted at the end, when every answer is in.</summary>
    public long PushedOfAcknowledged()
    {
        long pushed = 0;
        for (var i = 0; i < Count; i++)
        {
            if (Outcomes[i] == WebhookOutcome.Acknowledged && Volatile.Read(ref PushedAt[i]) != 0) pushed++;
        }
        return pushed;
    }
}
