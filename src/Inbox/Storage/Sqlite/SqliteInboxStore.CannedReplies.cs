using Crm.Inbox.Conversations;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>The workspace's canned replies.</summary>
public sealed partial class SqliteInboxStore
{
    private static Task InitializeCannedRepliesAsync(SqliteConnection connection, CancellationToken ct)
        => ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS canned_replies (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                shortcut TEXT NOT NULL,
                content TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS ux_canned_replies_workspace_shortcut ON canned_replies(workspace_id, shortcut COLLATE NOCASE);
            """, ct);

    public Task<CannedReply?> AddCannedReplyAsync(CannedReply reply, CancellationToken ct = default)
        => WriteAsync<CannedReply?>(async (connection, transaction) =>
        {
            var added = await ExecuteAsync(connection, transaction, """
                INSERT INTO canned_replies (id, workspace_id, shortcut, content, created_at) VALUES ($id, $workspace, $shortcut, $content, $at)
                ON CONFLICT DO NOTHING
                """, ct, ("$id", reply.Id.ToString()), ("$workspace", reply.WorkspaceId.ToString()), ("$shortcut", reply.Shortcut),
                ("$content", reply.Content), ("$at", reply.CreatedAt.UtcTicks));
            return added == 0 ? null : reply;
        }, ct);

    public async Task<IReadOnlyList<CannedReply>> ListCannedRepliesAsync(Guid workspaceId, string? prefix, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ux_canned_replies_workspace_shortcut: a range of the workspace's shortcuts (LIKE is case-insensitive, as the index).
        return await QueryCannedRepliesAsync(connection, null,
            "WHERE workspace_id = $workspace AND shortcut LIKE $prefix ESCAPE '\\' ORDER BY shortcut COLLATE NOCASE", ct,
            ("$workspace", workspaceId.ToString()), ("$prefix", (prefix ?? "").Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%"));
    }

    public async Task<CannedReply?> GetCannedReplyAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return (await QueryCannedRepliesAsync(connection, null, "WHERE id = $id AND workspace_id = $workspace", ct,
            ("$id", id.ToString()), ("$workspace", workspaceId.ToString()))).FirstOrDefault();
    }

    public Task<CannedReply?> UpdateCannedReplyAsync(Guid workspaceId, Guid id, string shortcut, string content, CancellationToken ct = default)
        => WriteAsync<CannedReply?>(async (connection, transaction) =>
        {
            try
            {
                await ExecuteAsync(connection, transaction,
                    "UPDATE canned_replies SET shortcut = $shortcut, content = $content WHERE id = $id AND workspace_id = $workspace", ct,
                    ("$id", id.ToString()), ("$workspace", workspaceId.ToString()), ("$shortcut", shortcut), ("$content", content));
            }
            catch (SqliteException error) when (error.SqliteErrorCode == 19) // constraint: another reply has that shortcut
            {
                return null;
            }
            return (await QueryCannedRepliesAsync(connection, transaction, "WHERE id = $id AND workspace_id = $workspace", ct,
                ("$id", id.ToString()), ("$workspace", workspaceId.ToString()))).FirstOrDefault();
        }, ct);

    public Task<bool> DeleteCannedReplyAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) => await ExecuteAsync(connection, transaction,
            "DELETE FROM canned_replies WHERE id = $id AND workspace_id = $workspace", ct,
            ("$id", id.ToString()), ("$workspace", workspaceId.ToString())) > 0, ct);

    private static async Task<List<CannedReply>> QueryCannedRepliesAsync(SqliteConnection connection, SqliteTransaction? transaction, string where,
        CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, $"SELECT id, workspace_id, shortcut, content, created_at FROM canned_replies {where}", parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var replies = new List<CannedReply>();
        while (await reader.ReadAsync(ct))
            replies.Add(new CannedReply(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                FromTicks(reader.GetInt64(4))));
        return replies;
    }
}
