using static Crm.Inbox.Workspaces.Sqlite.SqliteWorkspaceDatabase;

namespace Crm.Inbox.Workspaces.Sqlite;

public sealed class SqliteWorkspaceStore(string connectionString) : IWorkspaceStore
{
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var create = connection.Command("""
            CREATE TABLE IF NOT EXISTS workspaces (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            """);
        await create.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> TryCreateAsync(Workspace workspace, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var insert = connection.Command(
            "INSERT INTO workspaces (id, name, created_at) VALUES ($id, $name, $created) ON CONFLICT DO NOTHING",
            ("$id", workspace.Id.ToString()), ("$name", workspace.Name), ("$created", Ticks(workspace.CreatedAt)));
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<Workspace?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await using var select = connection.Command("SELECT id, name, created_at FROM workspaces WHERE id = $id", ("$id", id.ToString()));
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new Workspace(Guid.Parse(reader.GetString(0)), reader.GetString(1), At(reader.GetInt64(2))) : null;
    }
}
