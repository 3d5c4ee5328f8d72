using Crm.Inbox.Conversations;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>Workspace labels, and which conversations carry them.</summary>
public sealed partial class SqliteInboxStore
{
    private static Task InitializeLabelsAsync(SqliteConnection connection, CancellationToken ct)
        => ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS labels (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                name TEXT NOT NULL,
                color TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS ux_labels_workspace_name ON labels(workspace_id, name COLLATE NOCASE);
            -- Which conversations carry a label, for the list's label filter; the conversation's labels_json is what it shows.
            CREATE TABLE IF NOT EXISTS conversation_labels (
                conversation_id TEXT NOT NULL,
                label_id TEXT NOT NULL,
                PRIMARY KEY (conversation_id, label_id));
            CREATE INDEX IF NOT EXISTS ix_conversation_labels_label ON conversation_labels(label_id, conversation_id);
            """, ct);

    public Task<Label?> AddLabelAsync(Label label, CancellationToken ct = default)
        => WriteAsync<Label?>(async (connection, transaction) =>
        {
            var added = await ExecuteAsync(connection, transaction, """
                INSERT INTO labels (id, workspace_id, name, color, created_at) VALUES ($id, $workspace, $name, $color, $at) ON CONFLICT DO NOTHING
                """, ct, ("$id", label.Id.ToString()), ("$workspace", label.WorkspaceId.ToString()), ("$name", label.Name), ("$color", label.Color),
                ("$at", label.CreatedAt.UtcTicks));
            return added == 0 ? null : label;
        }, ct);

    public async Task<IReadOnlyList<Label>> ListLabelsAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ux_labels_workspace_name
        return await QueryLabelsAsync(connection, null, "WHERE workspace_id = $workspace ORDER BY name COLLATE NOCASE", ct, ("$workspace", workspaceId.ToString()));
    }

    public async Task<Label?> GetLabelAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return (await QueryLabelsAsync(connection, null, "WHERE id = $id AND workspace_id = $workspace", ct,
            ("$id", id.ToString()), ("$workspace", workspaceId.ToString()))).FirstOrDefault();
    }

    public Task<Label?> UpdateLabelAsync(Guid workspaceId, Guid id, string name, string color, CancellationToken ct = default)
        => WriteAsync<Label?>(async (connection, transaction) =>
        {
            try
            {
                await ExecuteAsync(connection, transaction, "UPDATE labels SET name = $name, color = $color WHERE id = $id AND workspace_id = $workspace", ct,
                    ("$id", id.ToString()), ("$workspace", workspaceId.ToString()), ("$name", name), ("$color", color));
            }
            catch (SqliteException error) when (error.SqliteErrorCode == 19) // constraint: another label has that name
            {
                return null;
            }
            return (await QueryLabelsAsync(connection, transaction, "WHERE id = $id AND workspace_id = $workspace", ct,
                ("$id", id.ToString()), ("$workspace", workspaceId.ToString()))).FirstOrDefault();
        }, ct);

    public Task<bool> DeleteLabelAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var deleted = await ExecuteAsync(connection, transaction, "DELETE FROM labels WHERE id = $id AND workspace_id = $workspace", ct,
                ("$id", id.ToString()), ("$workspace", workspaceId.ToString()));
            if (deleted == 0) return false;
            // ix_conversation_labels_label, then each conversation's own list.
            await ExecuteAsync(connection, transaction, """
                UPDATE conversations SET labels_json = (SELECT json_group_array(value) FROM json_each(conversations.labels_json) WHERE value <> $id)
                WHERE id IN (SELECT conversation_id FROM conversation_labels WHERE label_id = $id)
                """, ct, ("$id", id.ToString()));
            await ExecuteAsync(connection, transaction, "DELETE FROM conversation_labels WHERE label_id = $id", ct, ("$id", id.ToString()));
            await RemoveLabelFromCustomersAsync(connection, transaction, workspaceId, id, ct);
            return true;
        }, ct);

    public Task<ConversationChanged?> LabelConversationAsync(Guid conversationId, Label label, bool add, string? actor, DateTimeOffset at,
        CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var found = await QueryConversationsAsync(connection, transaction,
                $"SELECT {ConversationColumns} FROM conversations WHERE id = $id", ct, ("$id", conversationId.ToString()));
            if (found.Count == 0) return null;
            var conversation = found[0];
            if (conversation.Labels.Contains(label.Id) == add) return new ConversationChanged(conversation, []);

            var after = conversation with { Labels = add ? [.. conversation.Labels, label.Id] : conversation.Labels.Where(id => id != label.Id).ToList() };
            await ExecuteAsync(connection, transaction, "UPDATE conversations SET labels_json = $labels WHERE id = $id", ct,
                ("$id", conversationId.ToString()), ("$labels", System.Text.Json.JsonSerializer.Serialize(after.Labels, Json)));
            await ExecuteAsync(connection, transaction, add
                    ? "INSERT INTO conversation_labels (conversation_id, label_id) VALUES ($conversation, $label) ON CONFLICT DO NOTHING"
                    : "DELETE FROM conversation_labels WHERE conversation_id = $conversation AND label_id = $label", ct,
                ("$conversation", conversationId.ToString()), ("$label", label.Id.ToString()));
            var entry = TimelineEntries.Activity(after,
                new ActivityEntry(add ? ActivityKinds.LabelAdded : ActivityKinds.LabelRemoved, add ? null : label.Name, add ? label.Name : null), actor, at);
            await InsertMessageAsync(connection, transaction, entry, ct);
            return new ConversationChanged(after, [entry]);
        }, ct);

    private static async Task<List<Label>> QueryLabelsAsync(SqliteConnection connection, SqliteTransaction? transaction, string where, CancellationToken ct,
        params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, $"SELECT id, workspace_id, name, color, created_at FROM labels {where}", parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var labels = new List<Label>();
        while (await reader.ReadAsync(ct))
            labels.Add(new Label(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3), FromTicks(reader.GetInt64(4))));
        return labels;
    }
}
