namespace Crm.Connectors.Outbound;

/// <summary>What the ledger knows about a message when a delivery of its send command asks to send it.</summary>
public enum ClaimOutcome
{
    /// <summary>This delivery may send; nobody else will until it settles or releases the claim.</summary>
    Claimed,

    /// <summary>The provider accepted it earlier, with <see cref="OutboundClaim.ChannelMessageId"/>.</summary>
    AlreadySent,

    /// <summary>Another delivery is sending it right now (its lease is live) and will report the outcome.</summary>
    InFlight,

    /// <summary>Claimed earlier, but the lease ran out unsettled: the sender died mid-send, so the customer may have it.</summary>
    Abandoned,

    /// <summary>Settled earlier as "may or may not have been sent": it is never sent again.</summary>
    OutcomeUnknown,

    /// <summary>The provider refused it earlier, with <see cref="OutboundClaim.ErrorCode"/> and <see cref="OutboundClaim.Reason"/>.</summary>
    AlreadyRefused,
}

public readonly record struct OutboundClaim(ClaimOutcome Outcome, string? ChannelMessageId = null, string? ErrorCode = null, string? Reason = null);

/// <summary>
/// Remembers, durably and for every connector process, which outbound messages are being sent or were
/// settled, so a redelivered send command (the bus delivers at least once) never reaches the customer twice.
/// An entry is claimed with a lease, then settled (sent, refused, unknown) or released when the send
/// certainly did not happen. Settled entries are kept long enough to outlive any redelivery, then pruned.
/// </summary>
public interface IOutboundLedger
{
    /// <summary>Creates the table or collection and its indexes; run before the first command is consumed.</summary>
    Task InitializeAsync(CancellationToken ct = default);

    /// <summary>Claims the right to send for <paramref name="lease"/>, which must cover the whole send.</summary>
    Task<OutboundClaim> ClaimAsync(Guid messageId, TimeSpan lease, CancellationToken ct = default);

    /// <summary>The provider accepted it. Wins over any other state: it is what really happened.</summary>
    Task RecordSentAsync(Guid messageId, string channelMessageId, CancellationToken ct = default);

    /// <summary>The provider refused it; later deliveries hear the same refusal instead of sending.</summary>
    Task RecordRefusedAsync(Guid messageId, string errorCode, string reason, CancellationToken ct = default);

    /// <summary>It may have been sent; later deliveries answer "unknown" and never send.</summary>
    Task RecordUnknownAsync(Guid messageId, CancellationToken ct = default);

    /// <summary>Gives up a claim when the send certainly did not happen, so a later attempt may send.</summary>
    Task ReleaseAsync(Guid messageId, CancellationToken ct = default);

    /// <summary>Forgets entries last changed before <paramref name="cutoff"/> without holding the store for long; returns how many.</summary>
    Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct = default);
}

/// <summary>The entry states both ledgers store, and how a claim reads them.</summary>
internal static class LedgerStates
{
    public const string Claimed = "claimed";
    public const string Sent = "sent";
    public const string Refused = "refused";
    public const string Unknown = "unknown";

    /// <summary>How many entries one prune statement deletes, so it never holds the store for long.</summary>
    public const int PruneBatch = 500;

    public static OutboundClaim ToClaim(string state, long leaseUntilTicks, string? channelMessageId, string? errorCode, string? reason, DateTimeOffset now)
        => state switch
        {
            Sent => new OutboundClaim(ClaimOutcome.AlreadySent, channelMessageId),
            Refused => new OutboundClaim(ClaimOutcome.AlreadyRefused, null, errorCode, reason),
            Unknown => new OutboundClaim(ClaimOutcome.OutcomeUnknown),
            _ => new OutboundClaim(leaseUntilTicks > now.UtcTicks ? ClaimOutcome.InFlight : ClaimOutcome.Abandoned),
        };
}
