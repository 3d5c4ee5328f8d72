namespace Crm.Connectors.Outbound;

/// <summary>How long the send ledger remembers messages, bound from <see cref="Section"/>.</summary>
public sealed class OutboundLedgerOptions
{
    public const string Section = "Crm:OutboundLedger";

    /// <summary>
    /// How long an entry is kept after its last change. It must outlive every redelivery of a command,
    /// so it is far longer than any send deadline; after it a stale command is past its deadline anyway.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often old entries are pruned, so the ledger stays bounded.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);
}
