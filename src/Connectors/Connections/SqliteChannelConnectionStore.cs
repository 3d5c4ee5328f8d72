using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Crm.Connectors.Connections;

/// <summary>
/// Connections as tables in the embedded SQLite database (the inbox's crm.db). The senders of enabled
/// connections are rows of their own, whose primary key keeps each sender to one enabled connection even
/// when two processes add connections at once. Every write is one immediate transaction; a connection waits
/// for a busy writer (busy_timeout) instead of failing.
/// </summary>
public sealed class SqliteChannelConnectionStore(string connectionString) : IChannelConnectionStore
{
    private const int ConstraintViolation = 19;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, null, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS channel_connections (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                type TEXT NOT NULL,
                display_name TEXT NOT NULL,
                enabled INTEGER NOT NULL,
                routing_team_id TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                senders TEXT NOT NULL,
                settings TEXT NOT NULL,
                secrets TEXT NOT NULL);
            -- The admin API lists a workspace's connections.
            CREATE INDEX IF NOT EXISTS ix_channel_connections_workspace ON channel_connections(workspace_id);
            -- One row per sender of an enabled connection: the primary key is the "one enabled connection per sender" rule.
            CREATE TABLE IF NOT EXISTS channel_connection_senders (
                sender TEXT PRIMARY KEY,
                connection_id TEXT NOT NULL);
            -- Updates and deletes drop a connection's senders.
            CREATE INDEX IF NOT EXISTS ix_channel_connection_senders_connection ON channel_connection_senders(connection_id);
            """, ct);
        // Files made before template catalogs gain the column (old connections have none).
        if (!await HasColumnAsync(connection, "channel_connections", "templates", ct))
            await ExecuteAsync(connection, null, "ALTER TABLE channel_connections ADD COLUMN templates TEXT NOT NULL DEFAULT '[]'", ct);
    }

    public async Task<ChannelConnection?> FindAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return (await QueryAsync(connection, $"{Select} WHERE id = $id", ct, ("$id", id.ToString()))).SingleOrDefault();
    }

    public async Task<IReadOnlyList<ChannelConnection>> ListAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(connection, $"{Select} WHERE workspace_id = $workspace ORDER BY created_at, id", ct, ("$workspace", workspaceId.ToString()));
    }

    public async Task<ChannelConnection?> FindEnabledBySenderAsync(string sender, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return (await QueryAsync(connection,
            $"{Select} WHERE id = (SELECT connection_id FROM channel_connection_senders WHERE sender = $sender)", ct, ("$sender", sender))).SingleOrDefault();
    }

    public async Task<bool> AddAsync(ChannelConnection added, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var inserted = await ExecuteAsync(connection, transaction, """
            INSERT INTO channel_connections (id, workspace_id, type, display_name, enabled, routing_team_id, created_at, updated_at, senders, settings, secrets, templates)
            VALUES ($id, $workspace, $type, $name, $enabled, $team, $created, $updated, $senders, $settings, $secrets, $templates)
            ON CONFLICT (id) DO NOTHING
            """, ct, Parameters(added));
        if (inserted == 0) return false;
        await ClaimSendersAsync(connection, transaction, added, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    public async Task<bool> UpdateAsync(ChannelConnection updated, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var changed = await ExecuteAsync(connection, transaction, """
            UPDATE channel_connections SET type = $type, display_name = $name, enabled = $enabled, routing_team_id = $team,
                updated_at = $updated, senders = $senders, settings = $settings, secrets = $secrets, templates = $templates
            WHERE id = $id AND workspace_id = $workspace
            """, ct, Parameters(updated));
        if (changed == 0) return false;
        await ExecuteAsync(connection, transaction, "DELETE FROM channel_connection_senders WHERE connection_id = $id", ct, ("$id", updated.Id.ToString()));
        await ClaimSendersAsync(connection, transaction, updated, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    public async Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var deleted = await ExecuteAsync(connection, transaction, "DELETE FROM channel_connections WHERE id = $id AND workspace_id = $workspace", ct,
            ("$id", id.ToString()), ("$workspace", workspaceId.ToString()));
        if (deleted == 0) return false;
        await ExecuteAsync(connection, transaction, "DELETE FROM channel_connection_senders WHERE connection_id = $id", ct, ("$id", id.ToString()));
        await transaction.CommitAsync(ct);
        return true;
    }

    private static async Task<bool> HasColumnAsync(SqliteConnection connection, string table, string column, CancellationToken ct)
    {
        await using var command = Command(connection, null, $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = $column", [("$column", column)]);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct)) > 0;
    }

    private static async Task ClaimSendersAsync(SqliteConnection connection, SqliteTransaction transaction, ChannelConnection claimant, CancellationToken ct)
    {
        if (!claimant.Enabled) return;
        foreach (var sender in claimant.Senders.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await ExecuteAsync(connection, transaction, "INSERT INTO channel_connection_senders (sender, connection_id) VALUES ($sender, $id)", ct,
                    ("$sender", sender), ("$id", claimant.Id.ToString()));
            }
            catch (SqliteException error) when (error.SqliteErrorCode == ConstraintViolation)
            {
                // The transaction is rolled back when disposed uncommitted.
                throw new SenderTakenException(sender);
            }
        }
    }

    private const string Select = "SELECT id, workspace_id, type, display_name, enabled, routing_team_id, created_at, updated_at, senders, settings, secrets, templates FROM channel_connections";

    private static async Task<IReadOnlyList<ChannelConnection>> QueryAsync(SqliteConnection connection, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var found = new List<ChannelConnection>();
        while (await reader.ReadAsync(ct))
        {
            found.Add(new ChannelConnection(
                Guid.Parse(reader.GetString(0)),
                Guid.Parse(reader.GetString(1)),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetInt64(4) != 0,
                reader.IsDBNull(5) ? null : Guid.Parse(reader.GetString(5)),
                new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
                new DateTimeOffset(reader.GetInt64(7), TimeSpan.Zero),
                JsonSerializer.Deserialize<List<string>>(reader.GetString(8)) ?? [],
                reader.GetString(9),
                reader.GetString(10))
            {
                Templates = JsonSerializer.Deserialize<List<Crm.Contracts.MessageTemplate>>(reader.GetString(11), Json) ?? [],
            });
        }
        return found;
    }

    private static (string, object?)[] Parameters(ChannelConnection c) =>
    [
        ("$id", c.Id.ToString()), ("$workspace", c.WorkspaceId.ToString()), ("$type", c.Type), ("$name", c.DisplayName),
        ("$enabled", c.Enabled ? 1 : 0), ("$team", c.RoutingTeamId?.ToString()), ("$created", c.CreatedAt.UtcTicks),
        ("$updated", c.UpdatedAt.UtcTicks), ("$senders", JsonSerializer.Serialize(c.Senders)), ("$settings", c.SettingsJson),
        ("$secrets", c.ProtectedSecrets), ("$templates", JsonSerializer.Serialize(c.Templates, Json)),
    ];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        // Another process (or the inbox's writer) may hold the write lock for a moment: wait, do not fail.
        await ExecuteAsync(connection, null, "PRAGMA busy_timeout = 5000", ct);
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
