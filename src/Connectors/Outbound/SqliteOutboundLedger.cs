using Microsoft.Data.Sqlite;

namespace Crm.Connectors.Outbound;

/// <summary>
/// The ledger as a table in the embedded SQLite database (the inbox's file, or a file of its own).
/// Other processes may share the file: every operation is one short autocommit statement, and a
/// connection waits for a busy writer (busy_timeout) instead of failing.
/// </summary>
public sealed class SqliteOutboundLedger(string connectionString, TimeProvider clock) : IOutboundLedger
{
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS outbound_ledger (
                message_id TEXT PRIMARY KEY,
                state TEXT NOT NULL,
                lease_until INTEGER NOT NULL,
                channel_message_id TEXT,
                error_code TEXT,
                reason TEXT,
                updated_at INTEGER NOT NULL);
            -- Pruning finds old entries by age.
            CREATE INDEX IF NOT EXISTS ix_outbound_ledger_updated_at ON outbound_ledger(updated_at);
            """, ct);
    }

    public async Task<OutboundClaim> ClaimAsync(Guid messageId, TimeSpan lease, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        while (true)
        {
            var now = clock.GetUtcNow();
            // The primary key makes the insert the arbiter: of racing claimants, exactly one inserts.
            var inserted = await ExecuteAsync(connection, """
                INSERT INTO outbound_ledger (message_id, state, lease_until, updated_at)
                VALUES ($id, 'claimed', $leaseUntil, $now)
                ON CONFLICT (message_id) DO NOTHING
                """, ct, ("$id", Key(messageId)), ("$leaseUntil", (now + lease).UtcTicks), ("$now", now.UtcTicks));
            if (inserted == 1) return new OutboundClaim(ClaimOutcome.Claimed);

            await using var command = Command(connection,
                "SELECT state, lease_until, channel_message_id, error_code, reason FROM outbound_ledger WHERE message_id = $id",
                ("$id", Key(messageId)));
            await using var reader = await command.ExecuteReaderAsync(ct);
            // Gone between the two statements: the holder released it, so try to claim again.
            if (!await reader.ReadAsync(ct)) continue;
            return LedgerStates.ToClaim(reader.GetString(0), reader.GetInt64(1), NullableString(reader, 2),
                NullableString(reader, 3), NullableString(reader, 4), now);
        }
    }

    public async Task RecordSentAsync(Guid messageId, string channelMessageId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, """
            INSERT INTO outbound_ledger (message_id, state, lease_until, channel_message_id, updated_at)
            VALUES ($id, 'sent', 0, $sid, $now)
            ON CONFLICT (message_id) DO UPDATE SET state = 'sent', channel_message_id = $sid, error_code = NULL, reason = NULL, updated_at = $now
            """, ct, ("$id", Key(messageId)), ("$sid", channelMessageId), ("$now", clock.GetUtcNow().UtcTicks));
    }

    public async Task RecordRefusedAsync(Guid messageId, string errorCode, string reason, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, """
            UPDATE outbound_ledger SET state = 'refused', error_code = $code, reason = $reason, updated_at = $now
            WHERE message_id = $id AND state = 'claimed'
            """, ct, ("$id", Key(messageId)), ("$code", errorCode), ("$reason", reason), ("$now", clock.GetUtcNow().UtcTicks));
    }

    public async Task RecordUnknownAsync(Guid messageId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, """
            UPDATE outbound_ledger SET state = 'unknown', updated_at = $now
            WHERE message_id = $id AND state = 'claimed'
            """, ct, ("$id", Key(messageId)), ("$now", clock.GetUtcNow().UtcTicks));
    }

    public async Task ReleaseAsync(Guid messageId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, "DELETE FROM outbound_ledger WHERE message_id = $id AND state = 'claimed'", ct,
            ("$id", Key(messageId)));
    }

    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var total = 0;
        int deleted;
        do
        {
            // Small batches (ix_outbound_ledger_updated_at) so senders sharing the file never wait long.
            deleted = await ExecuteAsync(connection, """
                DELETE FROM outbound_ledger WHERE message_id IN (
                    SELECT message_id FROM outbound_ledger WHERE updated_at < $cutoff LIMIT $batch)
                """, ct, ("$cutoff", cutoff.UtcTicks), ("$batch", LedgerStates.PruneBatch));
            total += deleted;
        } while (deleted == LedgerStates.PruneBatch);
        return total;
    }

    private static string Key(Guid messageId) => messageId.ToString();

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        // Another process (or the inbox's writer) may hold the write lock for a moment: wait, do not fail.
        await ExecuteAsync(connection, "PRAGMA busy_timeout = 5000", ct);
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
