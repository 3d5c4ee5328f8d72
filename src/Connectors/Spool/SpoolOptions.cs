namespace Crm.Connectors.Spool;

public sealed class SpoolOptions
{
    public const string Section = "Crm:Spool";

    /// <summary>The spool's SQLite file, on the connectors' own disk. Default: data/spool.db beside the app.</summary>
    public string? Path { get; set; }

    /// <summary>Most webhooks committed in one transaction (one fsync); more waiting make bigger batches, not more fsyncs.</summary>
    public int MaxCommitBatch { get; set; } = 512;

    /// <summary>
    /// Webhooks accepted but not yet committed. When the disk falls this far behind, further webhooks wait
    /// for room instead of growing memory.
    /// </summary>
    public int MaxPendingCommits { get; set; } = 8_192;

    /// <summary>Most messages handed to the bus in one pass.</summary>
    public int ForwardBatch { get; set; } = 500;

    /// <summary>How long one hand-off to the bus may take before it counts as failed and is tried again.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait between attempts while the bus refuses messages.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// With a bus that keeps nothing durably (the in-memory one), a message stays spooled until the inbox
    /// has consumed it; one not consumed within this time (lost in a crash, or its consumer failed) is sent again.
    /// </summary>
    public TimeSpan RedeliverAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most messages handed to an in-memory bus and not yet consumed; the forwarder waits beyond it.</summary>
    public int MaxAwaitingConsume { get; set; } = 10_000;

    /// <summary>
    /// True when the bus keeps nothing durably (in-memory), so the spool waits for the consumer, not for the
    /// publish, before it forgets a message. Set by the host from its topology.
    /// </summary>
    public bool ForgetOnlyWhenConsumed { get; set; }

    /// <summary>Backlog (messages) beyond which /health/ready reports the spool as degraded.</summary>
    public int DegradedDepth { get; set; } = 10_000;
}
