using Microsoft.Data.Sqlite;
using static Crm.Inbox.Workspaces.Sqlite.SqliteWorkspaceDatabase;

namespace Crm.Inbox.Workspaces.Sqlite;

public sealed class SqliteAgentStore(string connectionString) : IAgentStore
{
    private const string AgentColumns =
        "id, workspace_id, email, name, role, password_hash, active, failed_sign_ins, locked_until, session_stamp, created_at";

    private const string InvitationColumns =
        "id, token_hash, email, role, workspace_id, invited_by, created_at, expires_at, used_at";

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var create = connection.Command("""
            CREATE TABLE IF NOT EXISTS agents (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                email TEXT NOT NULL,
                email_normalized TEXT NOT NULL,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                active INTEGER NOT NULL,
                failed_sign_ins INTEGER NOT NULL DEFAULT 0,
                locked_until INTEGER,
                session_stamp TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            -- Sign-in finds agents by email; unique per deployment whatever the case.
            CREATE UNIQUE INDEX IF NOT EXISTS ux_agents_email ON agents(email_normalized);
            -- A workspace's agent list (oldest first) and its owner count.
            CREATE INDEX IF NOT EXISTS ix_agents_workspace ON agents(workspace_id, role, created_at);
            CREATE TABLE IF NOT EXISTS agent_invitations (
                id TEXT PRIMARY KEY,
                token_hash TEXT NOT NULL,
                email TEXT NOT NULL,
                role TEXT NOT NULL,
                workspace_id TEXT NOT NULL,
                invited_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER);
            -- Accepting finds an invitation by its token's hash.
            CREATE UNIQUE INDEX IF NOT EXISTS ux_agent_invitations_token ON agent_invitations(token_hash);
            """);
        await create.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> TryCreateAsync(Agent agent, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var insert = connection.Command($"""
            INSERT INTO agents ({AgentColumns}, email_normalized)
            VALUES ($id, $workspace, $email, $name, $role, $hash, $active, $failed, $locked, $stamp, $created, $normalized)
            ON CONFLICT DO NOTHING
            """,
            ("$id", agent.Id.ToString()), ("$workspace", agent.WorkspaceId.ToString()), ("$email", agent.Email.Trim()),
            ("$name", agent.Name), ("$role", agent.Role), ("$hash", agent.PasswordHash), ("$active", agent.IsActive ? 1 : 0),
            ("$failed", agent.FailedSignIns), ("$locked", agent.LockedUntil is { } locked ? Ticks(locked) : null),
            ("$stamp", agent.SessionStamp), ("$created", Ticks(agent.CreatedAt)), ("$normalized", Agent.NormalizeEmail(agent.Email)));
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task<Agent?> GetAsync(Guid id, CancellationToken ct = default)
        => SingleAgentAsync($"SELECT {AgentColumns} FROM agents WHERE id = $id", ct, ("$id", id.ToString()));

    public Task<Agent?> FindByEmailAsync(string email, CancellationToken ct = default)
        => SingleAgentAsync($"SELECT {AgentColumns} FROM agents WHERE email_normalized = $email", ct, ("$email", Agent.NormalizeEmail(email)));

    public async Task<IReadOnlyList<Agent>> ListAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var select = connection.Command(
            $"SELECT {AgentColumns} FROM agents WHERE workspace_id = $workspace ORDER BY created_at, id", ("$workspace", workspaceId.ToString()));
        await using var reader = await select.ExecuteReaderAsync(ct);
        var agents = new List<Agent>();
        while (await reader.ReadAsync(ct)) agents.Add(ReadAgent(reader));
        return agents;
    }

    public async Task<bool> AnyAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var select = connection.Command("SELECT EXISTS (SELECT 1 FROM agents)");
        return Convert.ToInt64(await select.ExecuteScalarAsync(ct)) == 1;
    }

    public async Task<int> CountActiveOwnersAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var select = connection.Command(
            "SELECT COUNT(*) FROM agents WHERE workspace_id = $workspace AND role = $owner AND active = 1",
            ("$workspace", workspaceId.ToString()), ("$owner", AgentRoles.Owner));
        return Convert.ToInt32(await select.ExecuteScalarAsync(ct));
    }

    public Task<Agent?> RecordFailedSignInAsync(Guid id, int maxFailures, DateTimeOffset lockUntil, CancellationToken ct = default)
        // One statement, so concurrent failures each count.
        => SingleAgentAsync($"""
            UPDATE agents SET
                failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= $max THEN 0 ELSE failed_sign_ins + 1 END,
                locked_until = CASE WHEN failed_sign_ins + 1 >= $max THEN $lockUntil ELSE locked_until END
            WHERE id = $id
            RETURNING {AgentColumns}
            """, ct, ("$id", id.ToString()), ("$max", maxFailures), ("$lockUntil", Ticks(lockUntil)));

    public async Task ResetFailedSignInsAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var update = connection.Command(
            "UPDATE agents SET failed_sign_ins = 0, locked_until = NULL WHERE id = $id AND (failed_sign_ins <> 0 OR locked_until IS NOT NULL)",
            ("$id", id.ToString()));
        await update.ExecuteNonQueryAsync(ct);
    }

    public async Task<Agent?> UpdateProfileAsync(Guid id, string? name, string? role, string? sessionStamp = null, CancellationToken ct = default)
        => await SingleAgentAsync($"""
            UPDATE agents SET name = COALESCE($name, name), role = COALESCE($role, role), session_stamp = COALESCE($stamp, session_stamp)
            WHERE id = $id AND NOT (COALESCE($role, role) <> '{AgentRoles.Owner}' AND {IsLastActiveOwner})
            RETURNING {AgentColumns}
            """, ct, ("$id", id.ToString()), ("$name", name), ("$role", role), ("$stamp", sessionStamp))
           ?? await GetAsync(id, ct);

    public async Task<Agent?> SetActiveAsync(Guid id, bool active, string sessionStamp, CancellationToken ct = default)
        => await SingleAgentAsync($"""
            UPDATE agents SET active = $active, session_stamp = $stamp
            WHERE id = $id AND NOT ($active = 0 AND {IsLastActiveOwner})
            RETURNING {AgentColumns}
            """, ct, ("$id", id.ToString()), ("$active", active ? 1 : 0), ("$stamp", sessionStamp))
           ?? await GetAsync(id, ct);

    /// <summary>
    /// The agent being updated is their workspace's only active owner. Checked inside the UPDATE, under the file's write
    /// lock, so two owners demoting each other at once cannot both succeed.
    /// </summary>
    private const string IsLastActiveOwner = $"""
        role = '{AgentRoles.Owner}' AND active = 1 AND NOT EXISTS (
            SELECT 1 FROM agents other WHERE other.workspace_id = agents.workspace_id AND other.role = '{AgentRoles.Owner}'
              AND other.active = 1 AND other.id <> agents.id)
        """;

    public async Task CreateInvitationAsync(Invitation invitation, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var insert = connection.Command($"""
            INSERT INTO agent_invitations ({InvitationColumns})
            VALUES ($id, $hash, $email, $role, $workspace, $invitedBy, $created, $expires, $used)
            """,
            ("$id", invitation.Id.ToString()), ("$hash", invitation.TokenHash), ("$email", invitation.Email), ("$role", invitation.Role),
            ("$workspace", invitation.WorkspaceId.ToString()), ("$invitedBy", invitation.InvitedBy.ToString()),
            ("$created", Ticks(invitation.CreatedAt)), ("$expires", Ticks(invitation.ExpiresAt)),
            ("$used", invitation.UsedAt is { } used ? Ticks(used) : null));
        await insert.ExecuteNonQueryAsync(ct);
    }

    public async Task<Invitation?> FindInvitationAsync(string tokenHash, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var select = connection.Command($"SELECT {InvitationColumns} FROM agent_invitations WHERE token_hash = $hash", ("$hash", tokenHash));
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Invitation(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            Guid.Parse(reader.GetString(4)), Guid.Parse(reader.GetString(5)), At(reader.GetInt64(6)), At(reader.GetInt64(7)),
            reader.IsDBNull(8) ? null : At(reader.GetInt64(8)));
    }

    public async Task<bool> TryUseInvitationAsync(Guid id, DateTimeOffset at, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var update = connection.Command(
            "UPDATE agent_invitations SET used_at = $at WHERE id = $id AND used_at IS NULL", ("$id", id.ToString()), ("$at", Ticks(at)));
        return await update.ExecuteNonQueryAsync(ct) == 1;
    }

    private async Task<Agent?> SingleAgentAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var command = connection.Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadAgent(reader) : null;
    }

    private static Agent ReadAgent(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3), reader.GetString(4),
        reader.GetString(5), reader.GetInt64(6) == 1, reader.GetInt32(7), reader.IsDBNull(8) ? null : At(reader.GetInt64(8)),
        reader.GetString(9), At(reader.GetInt64(10)));
}
