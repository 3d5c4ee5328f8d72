using Crm.Connectors.Outbound;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Crm.Connectors.Tests.Outbound;

/// <summary>The ledger contract on a SQLite file of its own per test, plus what only a file can show.</summary>
public sealed class SqliteOutboundLedgerTests : OutboundLedgerContract, IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private readonly string file = Path.Combine(Path.GetTempPath(), $"crm-ledger-{Guid.NewGuid():N}.db");

    private string ConnectionString => $"Data Source={file}";

    protected override async Task<IOutboundLedger> CreateLedgerAsync()
    {
        var ledger = new SqliteOutboundLedger(ConnectionString, Clock);
        await ledger.InitializeAsync();
        return ledger;
    }

    [Fact]
    public async Task A_sent_record_survives_a_restart()
    {
        var before = await CreateLedgerAsync();
        var id = Guid.NewGuid();
        await before.ClaimAsync(id, Lease);
        await before.RecordSentAsync(id, "SMkept");

        SqliteConnection.ClearAllPools(); // Nothing of the first instance stays open, as after a process restart.
        var after = await CreateLedgerAsync();

        Assert.Equal(new OutboundClaim(ClaimOutcome.AlreadySent, "SMkept"), await after.ClaimAsync(id, Lease));
    }

    [Fact]
    public async Task Two_processes_sharing_the_file_never_both_claim_a_message()
    {
        // Two ledgers on one file stand for two processes: each has its own connections and locks.
        var first = await CreateLedgerAsync();
        var second = new SqliteOutboundLedger(ConnectionString + ";Pooling=False", Clock);
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();

        var claims = await Task.WhenAll(ids.SelectMany(id => new[]
        {
            Task.Run(async () => (id, await first.ClaimAsync(id, Lease))),
            Task.Run(async () => (id, await second.ClaimAsync(id, Lease))),
        }));

        Assert.All(claims.GroupBy(c => c.id), pair => Assert.Single(pair, c => c.Item2.Outcome == ClaimOutcome.Claimed));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { file, file + "-wal", file + "-shm" }) File.Delete(path);
    }
}
