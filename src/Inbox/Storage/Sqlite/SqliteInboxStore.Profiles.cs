using System.Globalization;
using System.Text.Json;
using Crm.Inbox.Customers;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>Customer profiles: more columns on the customer's own row, and their audit entries in a table of their own.</summary>
public sealed partial class SqliteInboxStore : ICustomerProfileStore
{
    private const string ProfileColumns =
        "id, workspace_id, display_name, language, time_zone, birthday, company, notes, phones_json, emails_json, lifecycle_stage, owner_agent_id, value_tier, created_at, version, attributes_json";

    // The list's sort key: customers without a name sort as '' (first), in both stores.
    private const string SortName = "ifnull(display_name, '')";

    // ix_customers_workspace_name, read in its order: no sort, no scan past earlier pages. Merged-away customers are kept
    // but not listed (they are few: the filter skips them on the way).
    internal const string FirstProfilePageSql =
        $"SELECT {ProfileColumns} FROM customers WHERE workspace_id = $workspace AND merged_into IS NULL ORDER BY {SortName}, id LIMIT $take";

    // SQLite seeks an expression index on a plain comparison, not on a row value: the first term seeks to the name,
    // the row value then skips only the customers of that same name already seen.
    internal const string NextProfilePageSql = $"""
        SELECT {ProfileColumns} FROM customers
        WHERE workspace_id = $workspace AND {SortName} >= $name AND ({SortName}, id) > ($name, $id) AND merged_into IS NULL
        ORDER BY {SortName}, id LIMIT $take
        """;

    private static async Task InitializeProfilesAsync(SqliteConnection connection, CancellationToken ct)
    {
        await AddMissingColumnsAsync(connection, "customers",
        [
            ("language", "TEXT"), ("time_zone", "TEXT"), ("birthday", "TEXT"), ("company", "TEXT"), ("notes", "TEXT"),
            ("phones_json", "TEXT"), ("emails_json", "TEXT"), ("lifecycle_stage", "TEXT"), ("owner_agent_id", "TEXT"), ("value_tier", "TEXT"),
            ("version", "INTEGER NOT NULL DEFAULT 0"),
        ], ct);
        await ExecuteAsync(connection, null, $"""
            -- The customer list: a workspace's customers by name, then id.
            CREATE INDEX IF NOT EXISTS ix_customers_workspace_name ON customers(workspace_id, {SortName}, id);
            CREATE TABLE IF NOT EXISTS customer_profile_changes (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                field TEXT NOT NULL,
                old_value TEXT,
                new_value TEXT,
                changed_by TEXT,
                changed_at INTEGER NOT NULL);
            -- A profile's history, newest first.
            CREATE INDEX IF NOT EXISTS ix_customer_profile_changes_customer ON customer_profile_changes(workspace_id, customer_id, version, field);
            """, ct);
    }

    public async Task<CustomerProfile?> GetProfileAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await GetProfileAsync(connection, null, workspaceId, customerId, ct);
    }

    public Task<ProfileUpdateResult> UpdateProfileAsync(Guid workspaceId, Guid customerId, long expectedVersion, CustomerProfileFields fields,
        Guid? changedBy, DateTimeOffset now, CancellationToken ct = default)
        => WriteAsync((connection, transaction) => UpdateProfileAsync(connection, transaction, workspaceId, customerId, expectedVersion, fields, changedBy, now, ct), ct);

    /// <summary>The update inside a write transaction: a merge combines the survivor's fields with it too.</summary>
    private static async Task<ProfileUpdateResult> UpdateProfileAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId,
        long expectedVersion, CustomerProfileFields fields, Guid? changedBy, DateTimeOffset now, CancellationToken ct)
    {
        var current = await GetProfileAsync(connection, transaction, workspaceId, customerId, ct);
        if (current is null) return new ProfileUpdateResult(ProfileUpdateOutcome.NotFound, null);
        if (current.Version != expectedVersion) return new ProfileUpdateResult(ProfileUpdateOutcome.Conflict, current);
        var changes = fields.ChangesFrom(current.Fields);
        if (changes.Count == 0) return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, current);

        var version = expectedVersion + 1;
        // The version check again in the statement: another process sharing the file may have written in between.
        var updated = await ExecuteAsync(connection, transaction, """
            UPDATE customers SET display_name = $name, language = $language, time_zone = $zone, birthday = $birthday, company = $company,
                notes = $notes, phones_json = $phones, emails_json = $emails, lifecycle_stage = $stage, owner_agent_id = $owner,
                value_tier = $tier, attributes_json = $attributes, version = $version
            WHERE id = $id AND workspace_id = $workspace AND version = $expected
            """, ct,
            ("$name", fields.Name), ("$language", fields.Language), ("$zone", fields.TimeZone),
            ("$birthday", fields.Birthday?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("$company", fields.Company),
            ("$notes", fields.Notes), ("$phones", JsonSerializer.Serialize(fields.Phones, Json)), ("$emails", JsonSerializer.Serialize(fields.Emails, Json)),
            ("$stage", fields.LifecycleStage), ("$owner", fields.OwnerAgentId?.ToString()), ("$tier", fields.ValueTier),
            ("$attributes", AttributesJson(fields.Attributes)), ("$version", version), ("$id", customerId.ToString()), ("$workspace", workspaceId.ToString()),
            ("$expected", expectedVersion));
        if (updated == 0) return new ProfileUpdateResult(ProfileUpdateOutcome.Conflict, await GetProfileAsync(connection, transaction, workspaceId, customerId, ct));

        foreach (var (field, from, to) in changes)
            await InsertProfileChangeAsync(connection, transaction, workspaceId, customerId, version, field, from, to, changedBy, now, ct);
        if (current.Fields.Name != fields.Name)
        {
            // Conversations show the customer's name too (ix_conversations_customer), and search finds them by it.
            await ExecuteAsync(connection, transaction, "UPDATE conversations SET customer_name = $name WHERE customer_id = $id AND customer_name IS NOT $name", ct,
                ("$name", fields.Name), ("$id", customerId.ToString()));
            await ReindexCustomerConversationsAsync(connection, transaction, customerId, ct);
        }
        // Merge suggestions find customers by their phones and emails.
        await RefreshMatchKeysAsync(connection, transaction, workspaceId, customerId, fields, current.Identities, ct);
        return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, current with { Fields = fields, Version = version });
    }

    private static Task<int> InsertProfileChangeAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId,
        long version, string field, string? from, string? to, Guid? changedBy, DateTimeOffset now, CancellationToken ct)
        => ExecuteAsync(connection, transaction, """
            INSERT INTO customer_profile_changes (id, workspace_id, customer_id, version, field, old_value, new_value, changed_by, changed_at)
            VALUES ($id, $workspace, $customer, $version, $field, $from, $to, $by, $at)
            """, ct,
            ("$id", Guid.NewGuid().ToString()), ("$workspace", workspaceId.ToString()), ("$customer", customerId.ToString()),
            ("$version", version), ("$field", field), ("$from", from), ("$to", to), ("$by", changedBy?.ToString()), ("$at", now.UtcTicks));

    public async Task<IReadOnlyList<CustomerProfile>> ListProfilesAsync(Guid workspaceId, CustomerPageCursor? after, int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var profiles = after is { } cursor
            ? await QueryProfilesAsync(connection, null, NextProfilePageSql, ct,
                ("$workspace", workspaceId.ToString()), ("$name", cursor.Name), ("$id", cursor.Id.ToString()), ("$take", take))
            : await QueryProfilesAsync(connection, null, FirstProfilePageSql, ct, ("$workspace", workspaceId.ToString()), ("$take", take));
        return await AttachIdentitiesAsync(connection, profiles, ct);
    }

    /// <summary>The page's profiles with their identities and labels, one read each for the whole page (ix_customer_identities_customer).</summary>
    private static async Task<IReadOnlyList<CustomerProfile>> AttachIdentitiesAsync(SqliteConnection connection, List<CustomerProfile> profiles, CancellationToken ct)
    {
        if (profiles.Count == 0) return profiles;
        var ids = profiles.Select((p, i) => ($"$c{i}", (object?)p.Id.ToString())).ToArray();
        var identities = new Dictionary<Guid, List<ChannelIdentity>>();
        await using (var command = Command(connection, null,
            $"SELECT customer_id, channel, value FROM customer_identities WHERE customer_id IN ({string.Join(", ", ids.Select(i => i.Item1))}) ORDER BY channel, value", ids))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = Guid.Parse(reader.GetString(0));
                if (!identities.TryGetValue(id, out var list)) identities[id] = list = [];
                list.Add(new ChannelIdentity(reader.GetString(1), reader.GetString(2)));
            }
        }
        var labels = await ReadCustomerLabelsAsync(connection, null, profiles.Select(p => p.Id).ToList(), ct);
        return profiles.Select(p => p with { Identities = identities.GetValueOrDefault(p.Id) ?? [], LabelIds = labels.GetValueOrDefault(p.Id) ?? [] }).ToList();
    }

    // The first page of the keyset paging in SqliteInboxStore.Consent.cs.
    public Task<IReadOnlyList<CustomerProfileChange>> ListProfileChangesAsync(Guid workspaceId, Guid customerId, int take, CancellationToken ct = default)
        => ListProfileChangesAsync(workspaceId, customerId, null, take, ct);

    private static async Task<CustomerProfile?> GetProfileAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid workspaceId, Guid customerId,
        CancellationToken ct)
    {
        var found = await QueryProfilesAsync(connection, transaction, $"SELECT {ProfileColumns} FROM customers WHERE id = $id AND workspace_id = $workspace", ct,
            ("$id", customerId.ToString()), ("$workspace", workspaceId.ToString()));
        if (found.Count == 0) return null;
        var identities = new List<ChannelIdentity>();
        await using (var command = Command(connection, transaction, "SELECT channel, value FROM customer_identities WHERE customer_id = $id ORDER BY channel, value",
            ("$id", customerId.ToString())))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) identities.Add(new ChannelIdentity(reader.GetString(0), reader.GetString(1)));
        }
        var labels = await ReadCustomerLabelsAsync(connection, transaction, [customerId], ct);
        return await WithCustomerStateAsync(connection, transaction, found[0] with { Identities = identities, LabelIds = labels.GetValueOrDefault(customerId) ?? [] }, ct);
    }

    /// <summary>attributes_json: null for a customer with no attribute values, so segments' json_extract reads nothing.</summary>
    private static string? AttributesJson(IReadOnlyDictionary<string, JsonElement> attributes)
        => attributes.Count == 0 ? null : JsonSerializer.Serialize(attributes, Json);

    private static async Task<List<CustomerProfile>> QueryProfilesAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct,
        params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var profiles = new List<CustomerProfile>();
        while (await reader.ReadAsync(ct))
        {
            var fields = new CustomerProfileFields
            {
                Name = NullableString(reader, 2),
                Language = NullableString(reader, 3),
                TimeZone = NullableString(reader, 4),
                Birthday = NullableString(reader, 5) is { } birthday ? DateOnly.ParseExact(birthday, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
                Company = NullableString(reader, 6),
                Notes = NullableString(reader, 7),
                Phones = NullableString(reader, 8) is { } phones ? JsonSerializer.Deserialize<List<ContactPhone>>(phones, Json) ?? [] : [],
                Emails = NullableString(reader, 9) is { } emails ? JsonSerializer.Deserialize<List<ContactEmail>>(emails, Json) ?? [] : [],
                LifecycleStage = NullableString(reader, 10),
                OwnerAgentId = NullableGuid(reader, 11),
                ValueTier = NullableString(reader, 12),
                Attributes = NullableString(reader, 15) is { } attributes
                    ? JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(attributes, Json) ?? []
                    : new Dictionary<string, JsonElement>(),
            };
            profiles.Add(new CustomerProfile(Guid.Parse(reader.GetString(0)), WorkspaceOf(reader, 1), fields, [], FromTicks(reader.GetInt64(13)), reader.GetInt64(14)));
        }
        return profiles;
    }
}
