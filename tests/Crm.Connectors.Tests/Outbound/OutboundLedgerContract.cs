using Crm.Connectors.Outbound;
using StackExchange.Redis;
using Xunit;

namespace Crm.Connectors.Tests.Outbound;

/// <summary>What both ledgers must do so a redelivered send command never reaches Twilio twice.</summary>
public abstract class OutboundLedgerContract
{
    protected abstract IOutboundLedger Ledger { get; }

    [Fact]
    public async Task Only_the_first_claim_may_send()
    {
        var id = Guid.NewGuid();

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Ledger.ClaimAsync(id)));

        Assert.Single(claims, c => c.Outcome == ClaimOutcome.Claimed);
        Assert.All(claims.Where(c => c.Outcome != ClaimOutcome.Claimed), c => Assert.Equal(ClaimOutcome.InFlight, c.Outcome));
    }

    [Fact]
    public async Task A_sent_message_is_remembered_with_its_provider_id()
    {
        var id = Guid.NewGuid();
        await Ledger.ClaimAsync(id);
        await Ledger.RecordSentAsync(id, "SM123");

        Assert.Equal(new OutboundClaim(ClaimOutcome.AlreadySent, "SM123"), await Ledger.ClaimAsync(id));
        // Releasing after a send must not forget it.
        await Ledger.ReleaseAsync(id);
        Assert.Equal(ClaimOutcome.AlreadySent, (await Ledger.ClaimAsync(id)).Outcome);
    }

    [Fact]
    public async Task A_released_claim_can_be_taken_again()
    {
        var id = Guid.NewGuid();
        await Ledger.ClaimAsync(id);
        await Ledger.ReleaseAsync(id);

        Assert.Equal(ClaimOutcome.Claimed, (await Ledger.ClaimAsync(id)).Outcome);
    }
}

public sealed class InMemoryOutboundLedgerTests : OutboundLedgerContract
{
    protected override IOutboundLedger Ledger { get; } = new InMemoryOutboundLedger();
}

/// <summary>Against the real Redis server that deploy/test.sh starts (CRM_TEST_REDIS overrides where).</summary>
public sealed class RedisOutboundLedgerTests : OutboundLedgerContract, IDisposable
{
    private readonly ConnectionMultiplexer redis =
        ConnectionMultiplexer.Connect(Environment.GetEnvironmentVariable("CRM_TEST_REDIS") ?? "localhost:6379");

    protected override IOutboundLedger Ledger => new RedisOutboundLedger(redis);

    public void Dispose() => redis.Dispose();
}
