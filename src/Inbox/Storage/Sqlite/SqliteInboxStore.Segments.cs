using System.Text.Json;
using Crm.Inbox.Customers;
using Crm.Inbox.Segments;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>Segments: saved filters in a table of their own, evaluated as SQL over the customers (<see cref="SegmentSql"/>).</summary>
public sealed partial class SqliteInboxStore : ISegmentStore
{
    private const string SegmentColumns = "id, workspace_id, name, filter_json, built_in, created_by, created_at, updated_at";

    private static async Task InitializeSegmentsAsync(SqliteConnection connection, CancellationToken ct)
    {
        // merged_into is MERGE's column (a merged-away customer never matches); added here too so segments run before it lands.
        await AddMissingColumnsAsync(connection, "customers", [("merged_into", "TEXT")], ct);
        await ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS segments (
                id TEXT NOT NULL,
                workspace_id TEXT NOT NULL,
                name TEXT NOT NULL,
                filter_json TEXT NOT NULL,
                built_in INTEGER NOT NULL DEFAULT 0,
                created_by TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                -- Built-ins have the same id in every workspace: the workspace is part of the key.
                PRIMARY KEY (workspace_id, id));
            """, ct);
        // Only customers not merged away (every segment reads only those). A stage and the last inbound: "VIPs silent for 60
        // days" reads a range of it, and the page sorts it by its name and id without reading each row first. The last
        // inbound and the creation time: "dormant" (never wrote, and joined long ago) is counted along this index.
        await ExecuteAsync(connection, null, $"""
            DROP INDEX IF EXISTS ix_customers_workspace_stage;
            CREATE INDEX IF NOT EXISTS ix_customers_segment_stage ON customers(workspace_id, lifecycle_stage COLLATE NOCASE, last_inbound_at, {SortName}, id)
                WHERE merged_into IS NULL;
            CREATE INDEX IF NOT EXISTS ix_customers_segment_last_inbound ON customers(workspace_id, last_inbound_at, created_at, id) WHERE merged_into IS NULL;
            """, ct);
    }

    internal static (string Sql, (string, object?)[] Parameters) SegmentQuery(string select, Guid workspaceId, SegmentGroup filter, DateTimeOffset now,
        string tail, params (string, object?)[] more)
    {
        var (where, parameters) = SegmentSql.Translate(filter, now);
        return ($"{select} FROM customers c WHERE c.workspace_id = $workspace AND c.merged_into IS NULL AND {where}{tail}",
            [("$workspace", workspaceId.ToString()), .. parameters, .. more]);
    }

    public async Task<long> CountSegmentAsync(Guid workspaceId, SegmentGroup filter, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var (sql, parameters) = SegmentQuery("SELECT count(*)", workspaceId, filter, now, "");
        return await ScalarAsync<long>(connection, null, sql, ct, parameters);
    }

    public async Task<IReadOnlyList<CustomerProfile>> ListSegmentAsync(Guid workspaceId, SegmentGroup filter, DateTimeOffset now, CustomerPageCursor? after,
        int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // The customer list's keyset (ix_customers_workspace_name); see NextProfilePageSql for why the name is compared twice.
        var (sql, parameters) = after is { } cursor
            ? SegmentQuery($"SELECT {ProfileColumns}", workspaceId, filter, now,
                $" AND {SortName} >= $name AND ({SortName}, id) > ($name, $id) ORDER BY {SortName}, id LIMIT $take",
                ("$name", cursor.Name), ("$id", cursor.Id.ToString()), ("$take", take))
            : SegmentQuery($"SELECT {ProfileColumns}", workspaceId, filter, now, $" ORDER BY {SortName}, id LIMIT $take", ("$take", take));
        return await AttachIdentitiesAsync(connection, await QueryProfilesAsync(connection, null, sql, ct, parameters), ct);
    }

    public async Task<IReadOnlyList<Segment>> ListSegmentsAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // Primary key (workspace_id, id); a workspace has few segments, sorted here.
        return await QuerySegmentsAsync(connection, null, $"SELECT {SegmentColumns} FROM segments WHERE workspace_id = $workspace ORDER BY name, id", ct,
            ("$workspace", workspaceId.ToString()));
    }

    public async Task<Segment?> GetSegmentAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var found = await QuerySegmentsAsync(connection, null, $"SELECT {SegmentColumns} FROM segments WHERE workspace_id = $workspace AND id = $id", ct,
            ("$workspace", workspaceId.ToString()), ("$id", id.ToString()));
        return found.Count == 0 ? null : found[0];
    }

    public Task<Segment> SaveSegmentAsync(Segment segment, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, """
                INSERT INTO segments (id, workspace_id, name, filter_json, built_in, created_by, created_at, updated_at)
                VALUES ($id, $workspace, $name, $filter, $builtIn, $by, $created, $updated)
                ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, filter_json = excluded.filter_json, updated_at = excluded.updated_at
                """, ct,
                ("$id", segment.Id.ToString()), ("$workspace", segment.WorkspaceId.ToString()), ("$name", segment.Name), ("$filter", segment.FilterJson),
                ("$builtIn", segment.BuiltIn ? 1 : 0), ("$by", segment.CreatedBy?.ToString()), ("$created", segment.CreatedAt.UtcTicks),
                ("$updated", segment.UpdatedAt.UtcTicks));
            var saved = await QuerySegmentsAsync(connection, transaction, $"SELECT {SegmentColumns} FROM segments WHERE workspace_id = $workspace AND id = $id", ct,
                ("$workspace", segment.WorkspaceId.ToString()), ("$id", segment.Id.ToString()));
            return saved[0];
        }, ct);

    public Task<bool> DeleteSegmentAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) => await ExecuteAsync(connection, transaction,
            "DELETE FROM segments WHERE workspace_id = $workspace AND id = $id", ct, ("$workspace", workspaceId.ToString()), ("$id", id.ToString())) > 0, ct);

    public Task<int> ApplyBulkActionAsync(Guid workspaceId, IReadOnlyList<Guid> customerIds, BulkAction action, Guid? changedBy, DateTimeOffset now,
        CancellationToken ct = default)
        => customerIds.Count == 0 ? Task.FromResult(0) : WriteAsync(async (connection, transaction) =>
        {
            if (action.Kind == BulkAction.SetAttribute) return await SetAttributeAsync(connection, transaction, workspaceId, customerIds, action, changedBy, now, ct);
            var ids = customerIds.Select((id, i) => ($"$c{i}", (object?)id.ToString())).ToArray();
            var idList = string.Join(", ", ids.Select(i => i.Item1));
            // Only the customers this would change (a repeated batch finds none): their version and the value before.
            var (test, before, parameters) = action.Kind switch
            {
                BulkAction.AddLabel => ("NOT EXISTS (SELECT 1 FROM customer_labels l WHERE l.customer_id = c.id AND l.label_id = $label)", "NULL",
                    new[] { ("$label", (object?)action.LabelId!.Value.ToString()) }),
                BulkAction.RemoveLabel => ("EXISTS (SELECT 1 FROM customer_labels l WHERE l.customer_id = c.id AND l.label_id = $label)", "NULL",
                    new[] { ("$label", (object?)action.LabelId!.Value.ToString()) }),
                BulkAction.SetOwner => ("c.owner_agent_id IS NOT $owner", "c.owner_agent_id", new[] { ("$owner", (object?)action.OwnerAgentId?.ToString()) }),
                _ => throw new ArgumentOutOfRangeException(nameof(action), action.Kind, "Not a bulk action this store applies."),
            };
            var targets = new List<(string Id, long Version, string? Before)>();
            await using (var command = Command(connection, transaction,
                $"SELECT c.id, c.version, {before} FROM customers c WHERE c.workspace_id = $workspace AND c.merged_into IS NULL AND c.id IN ({idList}) AND {test}",
                [("$workspace", workspaceId.ToString()), .. ids, .. parameters]))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) targets.Add((reader.GetString(0), reader.GetInt64(1), NullableString(reader, 2)));
            }

            var labelName = action.LabelId is { } labelId
                ? await ScalarAsync<string>(connection, transaction, "SELECT name FROM labels WHERE workspace_id = $workspace AND id = $id", ct,
                    ("$workspace", workspaceId.ToString()), ("$id", labelId.ToString()))
                : null;
            foreach (var (id, version, from) in targets)
            {
                var customer = ("$customer", (object?)id);
                var (field, oldValue, newValue) = action.Kind switch
                {
                    BulkAction.AddLabel => ("labels", null, labelName),
                    BulkAction.RemoveLabel => ("labels", labelName, null),
                    _ => ("ownerAgentId", from, action.OwnerAgentId?.ToString()),
                };
                await ExecuteAsync(connection, transaction, action.Kind switch
                {
                    BulkAction.AddLabel => "INSERT INTO customer_labels (workspace_id, customer_id, label_id) VALUES ($workspace, $customer, $label) ON CONFLICT DO NOTHING",
                    BulkAction.RemoveLabel => "DELETE FROM customer_labels WHERE customer_id = $customer AND label_id = $label",
                    _ => "UPDATE customers SET owner_agent_id = $owner WHERE id = $customer",
                }, ct, [("$workspace", workspaceId.ToString()), customer, .. parameters]);
                // Like a change made by hand: a new version, and one audit entry by the agent who ran the action.
                await ExecuteAsync(connection, transaction, "UPDATE customers SET version = $version WHERE id = $customer", ct, ("$version", version + 1), customer);
                await InsertProfileChangeAsync(connection, transaction, workspaceId, Guid.Parse(id), version + 1, field, oldValue, newValue, changedBy, now, ct);
            }
            return targets.Count;
        }, ct);

    /// <summary>Sets (or clears, when the value is null) one attribute on each customer whose value differs, as a profile change would.</summary>
    private static async Task<int> SetAttributeAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, IReadOnlyList<Guid> customerIds,
        BulkAction action, Guid? changedBy, DateTimeOffset now, CancellationToken ct)
    {
        var key = action.AttributeKey!;
        var to = action.AttributeValue is { } value ? CustomerProfileFields.AttributeText(value) : null;
        var changed = 0;
        foreach (var customerId in customerIds)
        {
            if (await GetProfileAsync(connection, transaction, workspaceId, customerId, ct) is not { } profile) continue;
            if (await ScalarAsync<string>(connection, transaction, "SELECT merged_into FROM customers WHERE id = $id", ct, ("$id", customerId.ToString())) is not null)
                continue;
            var from = profile.Fields.Attributes.TryGetValue(key, out var current) ? CustomerProfileFields.AttributeText(current) : null;
            if (from == to) continue;
            var attributes = new Dictionary<string, JsonElement>(profile.Fields.Attributes);
            if (action.AttributeValue is { } set) attributes[key] = set;
            else attributes.Remove(key);
            await ExecuteAsync(connection, transaction, "UPDATE customers SET attributes_json = $attributes, version = $version WHERE id = $id", ct,
                ("$attributes", AttributesJson(attributes)), ("$version", profile.Version + 1), ("$id", customerId.ToString()));
            await InsertProfileChangeAsync(connection, transaction, workspaceId, customerId, profile.Version + 1, CustomerProfileFields.AttributeFieldPrefix + key,
                from, to, changedBy, now, ct);
            changed++;
        }
        return changed;
    }

    public async Task<IReadOnlyList<CustomerProfile>> WithBehaviourAndConsentsAsync(IReadOnlyList<CustomerProfile> profiles, CancellationToken ct = default)
    {
        if (profiles.Count == 0) return profiles;
        await using var connection = await OpenAsync(ct);
        var ids = profiles.Select((p, i) => ($"$c{i}", (object?)p.Id.ToString())).ToArray();
        var idList = string.Join(", ", ids.Select(i => i.Item1));
        // Two reads for the whole page (primary keys of customers and customer_consents), not four per customer.
        var behaviours = new Dictionary<Guid, CustomerBehaviour>();
        await using (var command = Command(connection, null, $"""
            SELECT id, first_seen_at, last_inbound_at, last_outbound_agent_at, last_outbound_automation_at, last_channel, inbound_count, outbound_count
            FROM customers WHERE id IN ({idList})
            """, ids))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                behaviours[Guid.Parse(reader.GetString(0))] = new CustomerBehaviour(NullableTime(reader, 1), NullableTime(reader, 2), NullableTime(reader, 3),
                    NullableTime(reader, 4), NullableString(reader, 5), reader.GetInt64(6), reader.GetInt64(7), []);
        }
        var consents = new Dictionary<Guid, List<ChannelConsent>>();
        await using (var command = Command(connection, null,
            $"SELECT customer_id, channel, state, changed_at, source, detail, changed_by FROM customer_consents WHERE customer_id IN ({idList}) ORDER BY channel", ids))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = Guid.Parse(reader.GetString(0));
                if (!consents.TryGetValue(id, out var list)) consents[id] = list = [];
                list.Add(new ChannelConsent(reader.GetString(1), reader.GetString(2), FromTicks(reader.GetInt64(3)), reader.GetString(4),
                    NullableString(reader, 5), NullableGuid(reader, 6)));
            }
        }
        return profiles.Select(p => p with { Behaviour = behaviours.GetValueOrDefault(p.Id) ?? CustomerBehaviour.None, Consents = consents.GetValueOrDefault(p.Id) ?? [] })
            .ToList();
    }

    private static async Task<List<Segment>> QuerySegmentsAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct,
        params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var segments = new List<Segment>();
        while (await reader.ReadAsync(ct))
            segments.Add(new Segment(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                reader.GetInt64(4) != 0, NullableGuid(reader, 5), FromTicks(reader.GetInt64(6)), FromTicks(reader.GetInt64(7))));
        return segments;
    }
}
