using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>Which workspace labels customers carry: one row per customer and label; the profile reads them in the order added.</summary>
public sealed partial class SqliteInboxStore : ICustomerLabelStore
{
    private static Task InitializeCustomerLabelsAsync(SqliteConnection connection, CancellationToken ct)
        => ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS customer_labels (
                workspace_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                label_id TEXT NOT NULL,
                PRIMARY KEY (customer_id, label_id));
            -- The customers carrying a label: segments' label conditions, and taking a deleted label off everyone.
            CREATE INDEX IF NOT EXISTS ix_customer_labels_label ON customer_labels(workspace_id, label_id, customer_id);
            """, ct);

    public Task<ProfileUpdateResult> LabelCustomerAsync(Guid workspaceId, Guid customerId, Label label, bool add, Guid? changedBy, DateTimeOffset now,
        CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var current = await GetProfileAsync(connection, transaction, workspaceId, customerId, ct);
            if (current is null || label.WorkspaceId != workspaceId) return new ProfileUpdateResult(ProfileUpdateOutcome.NotFound, null);
            // The primary key makes both idempotent: only a row actually added or removed is a change.
            var changed = await ExecuteAsync(connection, transaction, add
                    ? "INSERT INTO customer_labels (workspace_id, customer_id, label_id) VALUES ($workspace, $customer, $label) ON CONFLICT DO NOTHING"
                    : "DELETE FROM customer_labels WHERE customer_id = $customer AND label_id = $label", ct,
                ("$workspace", workspaceId.ToString()), ("$customer", customerId.ToString()), ("$label", label.Id.ToString()));
            if (changed == 0) return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, current);

            // A label is part of the profile: a new version (an agent editing from the old one is told), and an audit entry.
            var version = current.Version + 1;
            await ExecuteAsync(connection, transaction, "UPDATE customers SET version = $version WHERE id = $id", ct,
                ("$version", version), ("$id", customerId.ToString()));
            await InsertProfileChangeAsync(connection, transaction, workspaceId, customerId, version, "labels", add ? null : label.Name, add ? label.Name : null,
                changedBy, now, ct);
            return new ProfileUpdateResult(ProfileUpdateOutcome.Updated,
                current with { Version = version, LabelIds = add ? [.. current.LabelIds, label.Id] : current.LabelIds.Where(id => id != label.Id).ToList() });
        }, ct);

    /// <summary>The customers' label ids, in the order they were put on (rowid), in one read (primary key of customer_labels).</summary>
    private static async Task<Dictionary<Guid, List<Guid>>> ReadCustomerLabelsAsync(SqliteConnection connection, SqliteTransaction? transaction,
        IReadOnlyList<Guid> customerIds, CancellationToken ct)
    {
        var labels = new Dictionary<Guid, List<Guid>>();
        if (customerIds.Count == 0) return labels;
        var ids = customerIds.Select((id, i) => ($"$c{i}", (object?)id.ToString())).ToArray();
        await using var command = Command(connection, transaction,
            $"SELECT customer_id, label_id FROM customer_labels WHERE customer_id IN ({string.Join(", ", ids.Select(i => i.Item1))}) ORDER BY rowid", ids);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = Guid.Parse(reader.GetString(0));
            if (!labels.TryGetValue(id, out var list)) labels[id] = list = [];
            list.Add(Guid.Parse(reader.GetString(1)));
        }
        return labels;
    }

    // ix_customer_labels_label: the customers carrying a label, without reading anyone else's rows.
    internal const string RemoveLabelFromCustomersSql = "DELETE FROM customer_labels WHERE workspace_id = $workspace AND label_id = $label";

    /// <summary>Takes a deleted label off every customer of the workspace, in the label's delete transaction.</summary>
    private static Task<int> RemoveLabelFromCustomersAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid labelId,
        CancellationToken ct)
        => ExecuteAsync(connection, transaction, RemoveLabelFromCustomersSql, ct,
            ("$workspace", workspaceId.ToString()), ("$label", labelId.ToString()));
}
