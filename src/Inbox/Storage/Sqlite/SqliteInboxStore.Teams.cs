using System.Text.Json;
using Crm.Inbox.Assignment;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>The workspace's teams; members are kept on the team's row (a team is read and written whole).</summary>
public sealed partial class SqliteInboxStore : ITeamStore
{
    private const string TeamColumns = "id, workspace_id, name, policy, max_open_per_agent, reassign_after_minutes, members_json, created_at";

    private static Task InitializeTeamsAsync(SqliteConnection connection, CancellationToken ct)
        => ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS teams (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                name TEXT NOT NULL,
                policy TEXT NOT NULL,
                max_open_per_agent INTEGER NOT NULL,
                reassign_after_minutes INTEGER,
                members_json TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS ux_teams_workspace_name ON teams(workspace_id, name COLLATE NOCASE);
            """, ct);

    public Task<Team?> AddTeamAsync(Team team, CancellationToken ct = default)
        => WriteAsync<Team?>(async (connection, transaction) => await ExecuteAsync(connection, transaction, $"""
            INSERT INTO teams ({TeamColumns}) VALUES ($id, $workspace, $name, $policy, $max, $reassign, $members, $at) ON CONFLICT DO NOTHING
            """, ct, TeamParameters(team)) == 0 ? null : team, ct);

    public async Task<IReadOnlyList<Team>> ListTeamsAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryTeamsAsync(connection, null, "WHERE workspace_id = $workspace ORDER BY name COLLATE NOCASE", ct, ("$workspace", workspaceId.ToString()));
    }

    public async Task<Team?> GetTeamAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return (await QueryTeamsAsync(connection, null, "WHERE id = $id AND workspace_id = $workspace", ct,
            ("$id", id.ToString()), ("$workspace", workspaceId.ToString()))).FirstOrDefault();
    }

    public Task<Team?> UpdateTeamAsync(Team team, CancellationToken ct = default)
        => WriteAsync<Team?>(async (connection, transaction) =>
        {
            try
            {
                var updated = await ExecuteAsync(connection, transaction, """
                    UPDATE teams SET name = $name, policy = $policy, max_open_per_agent = $max, reassign_after_minutes = $reassign, members_json = $members
                    WHERE id = $id AND workspace_id = $workspace
                    """, ct, TeamParameters(team));
                return updated == 0 ? null : team;
            }
            catch (SqliteException error) when (error.SqliteErrorCode == 19) // constraint: another team has that name
            {
                return null;
            }
        }, ct);

    public Task<bool> DeleteTeamAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) => await ExecuteAsync(connection, transaction,
            "DELETE FROM teams WHERE id = $id AND workspace_id = $workspace", ct, ("$id", id.ToString()), ("$workspace", workspaceId.ToString())) > 0, ct);

    private static (string, object?)[] TeamParameters(Team team) =>
    [
        ("$id", team.Id.ToString()), ("$workspace", team.WorkspaceId.ToString()), ("$name", team.Name), ("$policy", team.Policy),
        ("$max", team.MaxOpenPerAgent), ("$reassign", team.ReassignAfterMinutes), ("$members", JsonSerializer.Serialize(team.Members, Json)),
        ("$at", team.CreatedAt.UtcTicks),
    ];

    private static async Task<List<Team>> QueryTeamsAsync(SqliteConnection connection, SqliteTransaction? transaction, string where, CancellationToken ct,
        params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, $"SELECT {TeamColumns} FROM teams {where}", parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var teams = new List<Team>();
        while (await reader.ReadAsync(ct))
        {
            teams.Add(new Team(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetInt32(5),
                JsonSerializer.Deserialize<List<Guid>>(reader.GetString(6), Json) ?? [], FromTicks(reader.GetInt64(7))));
        }
        return teams;
    }
}
