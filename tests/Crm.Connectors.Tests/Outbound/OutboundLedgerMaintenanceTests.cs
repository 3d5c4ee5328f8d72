using Crm.Connectors.Outbound;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Crm.Connectors.Tests.Outbound;

public sealed class OutboundLedgerMaintenanceTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private readonly string file = Path.Combine(Path.GetTempPath(), $"crm-ledger-{Guid.NewGuid():N}.db");
    private readonly ManualClock clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Starting_creates_the_ledger_and_prunes_entries_past_their_retention()
    {
        var ledger = new SqliteOutboundLedger($"Data Source={file}", clock);
        var maintenance = new OutboundLedgerMaintenance(ledger,
            Options.Create(new OutboundLedgerOptions { Retention = TimeSpan.FromDays(7), PruneInterval = TimeSpan.FromHours(1) }),
            clock, NullLogger<OutboundLedgerMaintenance>.Instance);

        await maintenance.StartAsync(CancellationToken.None);
        var old = Guid.NewGuid();
        await ledger.ClaimAsync(old, Lease);
        await ledger.RecordSentAsync(old, "SMold");
        await maintenance.StopAsync(CancellationToken.None);

        clock.Advance(TimeSpan.FromDays(8));
        var recent = Guid.NewGuid();
        await ledger.ClaimAsync(recent, Lease);
        await ledger.RecordSentAsync(recent, "SMrecent");
        await maintenance.StartAsync(CancellationToken.None);

        // A guard against hanging, not a speed requirement.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while ((await ledger.ClaimAsync(old, Lease)).Outcome == ClaimOutcome.AlreadySent)
            await Task.Delay(TimeSpan.FromMilliseconds(50), patience.Token);
        await maintenance.StopAsync(CancellationToken.None);

        Assert.Equal(new OutboundClaim(ClaimOutcome.AlreadySent, "SMrecent"), await ledger.ClaimAsync(recent, Lease));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { file, file + "-wal", file + "-shm" }) File.Delete(path);
    }
}
