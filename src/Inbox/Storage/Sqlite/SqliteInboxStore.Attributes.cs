using System.Text.Json;
using Crm.Inbox.Customers;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// A workspace's customer attribute definitions and lifecycle stages. The values live on the customer's row
/// (<c>customers.attributes_json</c>, a JSON object key -> value), so a profile reads in one row and segments filter with
/// json_extract.
/// </summary>
public sealed partial class SqliteInboxStore : ICustomerAttributeDefinitionStore, ILifecycleStageStore
{
    private const string DefinitionColumns = "id, workspace_id, key, label, type, options_json, position, created_at";

    // ix_customers_workspace_lifecycle_stage (its NOCASE collation matches the comparison's, so SQLite can seek it).
    internal const string CustomersInStageSql =
        "SELECT COUNT(*) FROM customers WHERE workspace_id = $workspace AND lifecycle_stage = $stage COLLATE NOCASE";

    private static async Task InitializeAttributesAsync(SqliteConnection connection, CancellationToken ct)
    {
        await AddMissingColumnsAsync(connection, "customers", [("attributes_json", "TEXT")], ct);
        await ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS customer_attribute_definitions (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                key TEXT NOT NULL,
                label TEXT NOT NULL,
                type TEXT NOT NULL,
                options_json TEXT NOT NULL DEFAULT '[]',
                position INTEGER NOT NULL,
                created_at INTEGER NOT NULL);
            -- One key per workspace whatever its case; also the index every lookup by key and the workspace's list use.
            CREATE UNIQUE INDEX IF NOT EXISTS ux_customer_attribute_definitions_key ON customer_attribute_definitions(workspace_id, key COLLATE NOCASE);
            CREATE TABLE IF NOT EXISTS customer_lifecycle_stages (
                workspace_id TEXT PRIMARY KEY,
                stages_json TEXT NOT NULL,
                updated_at INTEGER NOT NULL);
            -- Customers in a stage: counted before a stage is removed, and filtered on by segments.
            CREATE INDEX IF NOT EXISTS ix_customers_workspace_lifecycle_stage ON customers(workspace_id, lifecycle_stage COLLATE NOCASE);
            """, ct);
        await InitializeCustomerLabelsAsync(connection, ct);
    }

    public async Task<IReadOnlyList<CustomerAttributeDefinition>> ListAttributeDefinitionsAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ux_customer_attribute_definitions_key for the workspace; a few dozen rows sorted in memory.
        return await QueryDefinitionsAsync(connection, null, "WHERE workspace_id = $workspace ORDER BY position, key", ct, ("$workspace", workspaceId.ToString()));
    }

    public async Task<CustomerAttributeDefinition?> GetAttributeDefinitionAsync(Guid workspaceId, string key, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await GetDefinitionAsync(connection, null, workspaceId, key, ct);
    }

    public Task<CustomerAttributeDefinition?> AddAttributeDefinitionAsync(CustomerAttributeDefinition definition, CancellationToken ct = default)
        => WriteAsync<CustomerAttributeDefinition?>(async (connection, transaction) =>
        {
            var added = await ExecuteAsync(connection, transaction, $"""
                INSERT INTO customer_attribute_definitions ({DefinitionColumns})
                VALUES ($id, $workspace, $key, $label, $type, $options, $position, $at) ON CONFLICT DO NOTHING
                """, ct, ("$id", definition.Id.ToString()), ("$workspace", definition.WorkspaceId.ToString()), ("$key", definition.Key),
                ("$label", definition.Label), ("$type", definition.Type), ("$options", JsonSerializer.Serialize(definition.Options, Json)),
                ("$position", definition.Position), ("$at", definition.CreatedAt.UtcTicks));
            return added == 0 ? null : definition;
        }, ct);

    public Task<DefinitionChangeResult> UpdateAttributeDefinitionAsync(Guid workspaceId, string key, string label, IReadOnlyList<string> options, int position,
        CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            if (await GetDefinitionAsync(connection, transaction, workspaceId, key, ct) is not { } current) return DefinitionChangeResult.NotFound;
            var removed = current.Options.Where(o => !options.Contains(o, StringComparer.OrdinalIgnoreCase)).ToList();
            var heldBy = new Dictionary<string, long>();
            foreach (var option in removed)
            {
                if (await CountHoldersAsync(connection, transaction, workspaceId, current, option, ct) is > 0 and var held) heldBy[option] = held;
            }
            if (heldBy.Count > 0) return new DefinitionChangeResult(DefinitionChangeOutcome.InUse, current, heldBy);

            await ExecuteAsync(connection, transaction,
                "UPDATE customer_attribute_definitions SET label = $label, options_json = $options, position = $position WHERE id = $id", ct,
                ("$id", current.Id.ToString()), ("$label", label), ("$options", JsonSerializer.Serialize(options, Json)), ("$position", position));
            return new DefinitionChangeResult(DefinitionChangeOutcome.Changed, current with { Label = label, Options = options, Position = position }, heldBy);
        }, ct);

    public Task<DefinitionChangeResult> DeleteAttributeDefinitionAsync(Guid workspaceId, string key, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            if (await GetDefinitionAsync(connection, transaction, workspaceId, key, ct) is not { } current) return DefinitionChangeResult.NotFound;
            var held = await CountHoldersAsync(connection, transaction, workspaceId, current, null, ct);
            if (held > 0) return new DefinitionChangeResult(DefinitionChangeOutcome.InUse, current, new Dictionary<string, long> { [current.Key] = held });
            await ExecuteAsync(connection, transaction, "DELETE FROM customer_attribute_definitions WHERE id = $id", ct, ("$id", current.Id.ToString()));
            return new DefinitionChangeResult(DefinitionChangeOutcome.Changed, current, new Dictionary<string, long>());
        }, ct);

    /// <summary>
    /// Customers with a value for the attribute (<paramref name="option"/> null), or holding that option. Only before an
    /// admin removes something, so it reads the workspace's customers (ix_customers_workspace_name) rather than keeping an
    /// index per attribute. Keys are [a-z0-9_], safe inside a quoted JSON path.
    /// </summary>
    private static async Task<long> CountHoldersAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId,
        CustomerAttributeDefinition definition, string? option, CancellationToken ct)
    {
        var held = option is null
            ? "json_extract(attributes_json, $path) IS NOT NULL"
            : definition.Type == AttributeTypes.MultiChoice
                ? "EXISTS (SELECT 1 FROM json_each(customers.attributes_json, $path) WHERE value = $option COLLATE NOCASE)"
                : "json_extract(attributes_json, $path) = $option COLLATE NOCASE";
        return await ScalarAsync<long>(connection, transaction,
            $"SELECT COUNT(*) FROM customers WHERE workspace_id = $workspace AND attributes_json IS NOT NULL AND {held}", ct,
            ("$workspace", workspaceId.ToString()), ("$path", AttributePath(definition.Key)), ("$option", option));
    }

    /// <summary>The JSON path of an attribute's value in <c>attributes_json</c>, for json_extract (segments use it too).</summary>
    internal static string AttributePath(string key) => $"$.\"{key}\"";

    private static async Task<CustomerAttributeDefinition?> GetDefinitionAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid workspaceId,
        string key, CancellationToken ct)
        // ux_customer_attribute_definitions_key
        => (await QueryDefinitionsAsync(connection, transaction, "WHERE workspace_id = $workspace AND key = $key COLLATE NOCASE", ct,
            ("$workspace", workspaceId.ToString()), ("$key", key))).FirstOrDefault();

    private static async Task<List<CustomerAttributeDefinition>> QueryDefinitionsAsync(SqliteConnection connection, SqliteTransaction? transaction, string where,
        CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, $"SELECT {DefinitionColumns} FROM customer_attribute_definitions {where}", parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var definitions = new List<CustomerAttributeDefinition>();
        while (await reader.ReadAsync(ct))
            definitions.Add(new CustomerAttributeDefinition(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2),
                reader.GetString(3), reader.GetString(4), JsonSerializer.Deserialize<List<string>>(reader.GetString(5), Json) ?? [], reader.GetInt32(6),
                FromTicks(reader.GetInt64(7))));
        return definitions;
    }

    public async Task<IReadOnlyList<string>> GetLifecycleStagesAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await GetLifecycleStagesAsync(connection, null, workspaceId, ct);
    }

    public Task<LifecycleStagesChange> SetLifecycleStagesAsync(Guid workspaceId, IReadOnlyList<string> stages, DateTimeOffset now, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var current = await GetLifecycleStagesAsync(connection, transaction, workspaceId, ct);
            var heldBy = new Dictionary<string, long>();
            foreach (var removed in current.Where(s => !stages.Contains(s, StringComparer.OrdinalIgnoreCase)))
            {
                var held = await ScalarAsync<long>(connection, transaction, CustomersInStageSql, ct,
                    ("$workspace", workspaceId.ToString()), ("$stage", removed));
                if (held > 0) heldBy[removed] = held;
            }
            if (heldBy.Count > 0) return new LifecycleStagesChange(false, current, heldBy);
            await ExecuteAsync(connection, transaction, """
                INSERT INTO customer_lifecycle_stages (workspace_id, stages_json, updated_at) VALUES ($workspace, $stages, $at)
                ON CONFLICT (workspace_id) DO UPDATE SET stages_json = excluded.stages_json, updated_at = excluded.updated_at
                """, ct, ("$workspace", workspaceId.ToString()), ("$stages", JsonSerializer.Serialize(stages, Json)), ("$at", now.UtcTicks));
            return new LifecycleStagesChange(true, stages, heldBy);
        }, ct);

    private static async Task<IReadOnlyList<string>> GetLifecycleStagesAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid workspaceId,
        CancellationToken ct)
    {
        // Primary key of customer_lifecycle_stages.
        var json = await ScalarAsync<string>(connection, transaction, "SELECT stages_json FROM customer_lifecycle_stages WHERE workspace_id = $workspace", ct,
            ("$workspace", workspaceId.ToString()));
        return json is null ? LifecycleStages.Default : JsonSerializer.Deserialize<List<string>>(json, Json) ?? [];
    }
}
