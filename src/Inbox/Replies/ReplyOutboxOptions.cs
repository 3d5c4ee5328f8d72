namespace Crm.Inbox.Replies;

/// <summary>How agents' replies are handed to the connectors (<c>Crm:Outbound</c>).</summary>
public sealed class ReplyOutboxOptions
{
    public const string Section = "Crm:Outbound";

    /// <summary>A reply not sent within this time after it was written is never sent (the conversation moved on).</summary>
    public TimeSpan SendDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// After a hand-over to the bus with no outcome yet, the same attempt is handed over again after this
    /// (doubling up to <see cref="RedispatchMax"/>): the in-memory bus loses commands in a crash, and the
    /// connector's ledger makes a repeated command harmless.
    /// </summary>
    public TimeSpan RedispatchAfter { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan RedispatchMax { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>When the bus refuses a command, the next try waits this long (doubling up to <see cref="BusRetryMax"/>).</summary>
    public TimeSpan BusRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan BusRetryMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one hand-over to the bus may take before it counts as "maybe sent".</summary>
    public TimeSpan BusSendTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the dispatcher looks for due replies besides being woken by a new one (other processes' replies, retries).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A claimed reply is due again after this if its dispatcher died before reporting back.</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Replies claimed, or given up, per pass.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// A reply still pending or retrying this long after its deadline is given up. Covers connector clocks
    /// that run behind, and a send in progress at the deadline that is still waiting for the provider's answer.
    /// </summary>
    public TimeSpan GiveUpGrace { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>base × 2^tries, capped: how long to wait after <paramref name="tries"/> earlier tries.</summary>
    public static TimeSpan Backoff(TimeSpan first, int tries, TimeSpan max)
        => TimeSpan.FromTicks(Math.Min(max.Ticks, first.Ticks * (1L << Math.Clamp(tries, 0, 20))));
}
