using Crm.Connectors.Outbound;
using Xunit;

namespace Crm.Connectors.Tests.Outbound;

/// <summary>What every ledger must do so a redelivered send command never reaches Twilio twice.</summary>
public abstract class OutboundLedgerContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    protected readonly ManualClock Clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    /// <summary>A fresh, initialized ledger reading time from <see cref="Clock"/>.</summary>
    protected abstract Task<IOutboundLedger> CreateLedgerAsync();

    [SkippableFact]
    public async Task Only_the_first_of_concurrent_claims_may_send()
    {
        var ledger = await CreateLedgerAsync();
        var id = Guid.NewGuid();

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => ledger.ClaimAsync(id, Lease))));

        Assert.Single(claims, c => c.Outcome == ClaimOutcome.Claimed);
        Assert.All(claims.Where(c => c.Outcome != ClaimOutcome.Claimed), c => Assert.Equal(ClaimOutcome.InFlight, c.Outcome));
    }

    [SkippableFact]
    public async Task A_sent_message_is_remembered_with_its_provider_id()
    {
        var ledger = await CreateLedgerAsync();
        var id = Guid.NewGuid();
        await ledger.ClaimAsync(id, Lease);
        await ledger.RecordSentAsync(id, "SM123");

        Assert.Equal(new OutboundClaim(ClaimOutcome.AlreadySent, "SM123"), await ledger.ClaimAsync(id, Lease));
        // Neither a release nor a late "unknown" may forget a send.
        await ledger.ReleaseAsync(id);
        await ledger.RecordUnknownAsync(id);
        Clock.Advance(Lease * 2);
        Assert.Equal(new OutboundClaim(ClaimOutcome.AlreadySent, "SM123"), await ledger.ClaimAsync(id, Lease));
    }

    [SkippableFact]
    public async Task A_released_claim_can_be_taken_again()
    {
        var ledger = await CreateLedgerAsync();
        var id = Guid.NewGuid();
        await ledger.ClaimAsync(id, Lease);
        await ledger.ReleaseAsync(id);

        Assert.Equal(ClaimOutcome.Claimed, (await ledger.ClaimAsync(id, Lease)).Outcome);
    }

    [SkippableFact]
    public async Task A_claim_is_in_flight_while_its_lease_lasts_and_abandoned_once_it_ran_out()
    {
        var ledger = await CreateLedgerAsync();
        var id = Guid.NewGuid();
        await ledger.ClaimAsync(id, Lease);

        Clock.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Equal(ClaimOutcome.InFlight, (await ledger.ClaimAsync(id, Lease)).Outcome);
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(ClaimOutcome.Abandoned, (await ledger.ClaimAsync(id, Lease)).Outcome);
        // Asking again must not hand out a fresh claim: the dead sender may have sent it.
        Assert.Equal(ClaimOutcome.Abandoned, (await ledger.ClaimAsync(id, Lease)).Outcome);
    }

    [SkippableFact]
    public async Task An_unknown_outcome_is_remembered_and_never_claimable_again()
    {
        var ledger = await CreateLedgerAsync();
        var id = Guid.NewGuid();
        await ledger.ClaimAsync(id, Lease);
        await ledger.RecordUnknownAsync(id);

        Assert.Equal(ClaimOutcome.OutcomeUnknown, (await ledger.ClaimAsync(id, Lease)).Outcome);
        await ledger.ReleaseAsync(id);
        Clock.Advance(Lease * 2);
        Assert.Equal(ClaimOutcome.OutcomeUnknown, (await ledger.ClaimAsync(id, Lease)).Outcome);
    }

    [SkippableFact]
    public async Task A_late_acceptance_replaces_an_unknown_outcome()
    {
        var ledger = await CreateLedgerAsync();
        var id = Guid.NewGuid();
        await ledger.ClaimAsync(id, Lease);
        await ledger.RecordUnknownAsync(id);

        await ledger.RecordSentAsync(id, "SMlate");

        Assert.Equal(new OutboundClaim(ClaimOutcome.AlreadySent, "SMlate"), await ledger.ClaimAsync(id, Lease));
    }

    [SkippableFact]
    public async Task A_refusal_is_remembered_with_its_code_and_reason()
    {
        var ledger = await CreateLedgerAsync();
        var id = Guid.NewGuid();
        await ledger.ClaimAsync(id, Lease);
        await ledger.RecordRefusedAsync(id, "63016", "Outside the allowed window");

        Assert.Equal(new OutboundClaim(ClaimOutcome.AlreadyRefused, null, "63016", "Outside the allowed window"), await ledger.ClaimAsync(id, Lease));
        await ledger.ReleaseAsync(id);
        Assert.Equal(ClaimOutcome.AlreadyRefused, (await ledger.ClaimAsync(id, Lease)).Outcome);
    }

    [SkippableFact]
    public async Task Pruning_forgets_every_entry_older_than_the_cutoff_and_keeps_the_rest()
    {
        var ledger = await CreateLedgerAsync();
        // More than one prune batch, so batching cannot stop early.
        var old = Enumerable.Range(0, 1_100).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in old)
        {
            await ledger.ClaimAsync(id, Lease);
            await ledger.RecordSentAsync(id, "SMold");
        }
        Clock.Advance(TimeSpan.FromDays(2));
        var recent = Guid.NewGuid();
        await ledger.ClaimAsync(recent, Lease);
        await ledger.RecordSentAsync(recent, "SMrecent");

        var pruned = await ledger.PruneAsync(Clock.GetUtcNow() - TimeSpan.FromDays(1));

        Assert.Equal(old.Count, pruned);
        Assert.Equal(ClaimOutcome.Claimed, (await ledger.ClaimAsync(old[0], Lease)).Outcome);
        Assert.Equal(ClaimOutcome.Claimed, (await ledger.ClaimAsync(old[^1], Lease)).Outcome);
        Assert.Equal(new OutboundClaim(ClaimOutcome.AlreadySent, "SMrecent"), await ledger.ClaimAsync(recent, Lease));
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
