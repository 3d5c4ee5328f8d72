using System.Globalization;
using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Customers.Import;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// Customer imports: the job row, its file in 1 MB blobs (so any process sharing the file can run it), and its rejected rows.
/// A chunk of rows, its rejections and the job's checkpoint are written in one transaction.
/// </summary>
public sealed partial class SqliteInboxStore : ICustomerImportStore
{
    private const int FileChunkBytes = 1024 * 1024;

    private const string ImportColumns = """
        id, workspace_id, created_by, created_at, file_name, size_bytes, delimiter, headers_json, preview_json, suggested_json, total, status,
        mapping_json, next_row, processed, created_count, updated_count, skipped_count, rejected_count, started_at, finished_at, failure
        """;

    // ix_customer_imports_pending, sought twice rather than with one OR, which SQLite answers with a scan of every import
    // ever made (a test pins both plans). Only the few pending jobs are sorted.
    internal const string NextQueuedImportSql = "SELECT id FROM customer_imports WHERE status = 'queued' ORDER BY queued_at, id LIMIT 1";

    internal const string NextAbandonedImportSql =
        "SELECT id FROM customer_imports WHERE status = 'running' AND lease_until < $now ORDER BY queued_at, id LIMIT 1";

    private static async Task InitializeCustomerImportsAsync(SqliteConnection connection, CancellationToken ct)
        => await ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS customer_imports (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                created_by TEXT,
                created_at INTEGER NOT NULL,
                file_name TEXT NOT NULL,
                size_bytes INTEGER NOT NULL,
                delimiter TEXT NOT NULL,
                headers_json TEXT NOT NULL,
                preview_json TEXT NOT NULL,
                suggested_json TEXT NOT NULL,
                total INTEGER NOT NULL,
                status TEXT NOT NULL,
                mapping_json TEXT,
                next_row INTEGER NOT NULL DEFAULT 1,
                processed INTEGER NOT NULL DEFAULT 0,
                created_count INTEGER NOT NULL DEFAULT 0,
                updated_count INTEGER NOT NULL DEFAULT 0,
                skipped_count INTEGER NOT NULL DEFAULT 0,
                rejected_count INTEGER NOT NULL DEFAULT 0,
                queued_at INTEGER,
                started_at INTEGER,
                finished_at INTEGER,
                failure TEXT,
                worker TEXT,
                lease_until INTEGER,
                claims INTEGER NOT NULL DEFAULT 0);
            -- A workspace's imports, newest first.
            CREATE INDEX IF NOT EXISTS ix_customer_imports_workspace_created ON customer_imports(workspace_id, created_at, id);
            -- Workers looking for work: queued jobs, and running ones whose lease ran out.
            CREATE INDEX IF NOT EXISTS ix_customer_imports_pending ON customer_imports(status, lease_until);
            CREATE TABLE IF NOT EXISTS customer_import_files (
                import_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (import_id, seq));
            CREATE TABLE IF NOT EXISTS customer_import_rejections (
                import_id TEXT NOT NULL,
                row_number INTEGER NOT NULL,
                cells_json TEXT NOT NULL,
                reasons_json TEXT NOT NULL,
                PRIMARY KEY (import_id, row_number));
            """, ct);

    public Task CreateImportAsync(CustomerImport import, ReadOnlyMemory<byte> file, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, $"""
                INSERT INTO customer_imports ({ImportColumns})
                VALUES ($id, $workspace, $by, $created, $file, $size, $delimiter, $headers, $preview, $suggested, $total, $status,
                        NULL, 1, 0, 0, 0, 0, 0, NULL, NULL, NULL)
                """, ct,
                ("$id", import.Id.ToString()), ("$workspace", import.WorkspaceId.ToString()), ("$by", import.CreatedBy?.ToString()),
                ("$created", import.CreatedAt.UtcTicks), ("$file", import.FileName), ("$size", import.SizeBytes), ("$delimiter", import.Delimiter),
                ("$headers", JsonSerializer.Serialize(import.Headers, Json)), ("$preview", JsonSerializer.Serialize(import.Preview, Json)),
                ("$suggested", JsonSerializer.Serialize(import.SuggestedMapping, Json)), ("$total", import.Total), ("$status", import.Status));
            for (int offset = 0, seq = 0; offset < file.Length; offset += FileChunkBytes, seq++)
                await ExecuteAsync(connection, transaction, "INSERT INTO customer_import_files (import_id, seq, data) VALUES ($id, $seq, $data)", ct,
                    ("$id", import.Id.ToString()), ("$seq", seq), ("$data", file.Slice(offset, Math.Min(FileChunkBytes, file.Length - offset)).ToArray()));
            return true;
        }, ct);

    public async Task<CustomerImport?> GetImportAsync(Guid workspaceId, Guid importId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var found = await QueryImportsAsync(connection, null, $"SELECT {ImportColumns} FROM customer_imports WHERE id = $id AND workspace_id = $workspace", ct,
            ("$id", importId.ToString()), ("$workspace", workspaceId.ToString()));
        return found.FirstOrDefault();
    }

    public async Task<IReadOnlyList<CustomerImport>> ListImportsAsync(Guid workspaceId, int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_customer_imports_workspace_created, backwards.
        return await QueryImportsAsync(connection, null,
            $"SELECT {ImportColumns} FROM customer_imports WHERE workspace_id = $workspace ORDER BY created_at DESC, id DESC LIMIT $take", ct,
            ("$workspace", workspaceId.ToString()), ("$take", take));
    }

    public Task<ImportChangeResult> SaveImportMappingAsync(Guid workspaceId, Guid importId, ImportMapping mapping, CancellationToken ct = default)
        => ChangeImportAsync(workspaceId, importId, ImportStatuses.Mapping, false, "mapping_json = $mapping", ct, ("$mapping", JsonSerializer.Serialize(mapping, Json)));

    public Task<ImportChangeResult> StartImportAsync(Guid workspaceId, Guid importId, DateTimeOffset now, CancellationToken ct = default)
        => ChangeImportAsync(workspaceId, importId, ImportStatuses.Mapping, true, "status = 'queued', queued_at = $now", ct, ("$now", now.UtcTicks));

    public Task<ImportChangeResult> CancelImportAsync(Guid workspaceId, Guid importId, DateTimeOffset now, CancellationToken ct = default)
        => ChangeImportAsync(workspaceId, importId, null, false, "status = 'cancelled', finished_at = $now, worker = NULL, lease_until = NULL", ct,
            ("$now", now.UtcTicks));

    /// <summary>Applies <paramref name="set"/> if the job is in <paramref name="status"/> (any unfinished one when null).</summary>
    private Task<ImportChangeResult> ChangeImportAsync(Guid workspaceId, Guid importId, string? status, bool needsMapping, string set, CancellationToken ct,
        params (string, object?)[] parameters)
        => WriteAsync(async (connection, transaction) =>
        {
            var found = await QueryImportsAsync(connection, transaction, $"SELECT {ImportColumns} FROM customer_imports WHERE id = $id AND workspace_id = $workspace", ct,
                ("$id", importId.ToString()), ("$workspace", workspaceId.ToString()));
            if (found.Count == 0) return new ImportChangeResult(ImportChangeOutcome.NotFound, null);
            var import = found[0];
            if ((status is not null ? import.Status != status : ImportStatuses.IsFinished(import.Status)) || (needsMapping && import.Mapping is null))
                return new ImportChangeResult(ImportChangeOutcome.WrongStatus, import);
            await ExecuteAsync(connection, transaction, $"UPDATE customer_imports SET {set} WHERE id = $id", ct,
                [("$id", importId.ToString()), .. parameters]);
            var changed = await QueryImportsAsync(connection, transaction, $"SELECT {ImportColumns} FROM customer_imports WHERE id = $id", ct, ("$id", importId.ToString()));
            return new ImportChangeResult(ImportChangeOutcome.Changed, changed[0]);
        }, ct);

    public Task<CustomerImport?> ClaimImportAsync(string worker, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            // ix_customer_imports_pending. BEGIN IMMEDIATE holds the file's write lock: no other process claims the same job meanwhile.
            await ExecuteAsync(connection, transaction, """
                UPDATE customer_imports SET status = 'failed', failure = $failure, finished_at = $now, worker = NULL, lease_until = NULL
                WHERE status = 'running' AND lease_until < $now AND claims >= $max
                """, ct, ("$failure", ImportStatuses.TooManyAttempts), ("$now", now.UtcTicks), ("$max", ImportStatuses.MaxClaimsWithoutProgress));
            var id = await ScalarAsync<string>(connection, transaction, NextQueuedImportSql, ct)
                     ?? await ScalarAsync<string>(connection, transaction, NextAbandonedImportSql, ct, ("$now", now.UtcTicks));
            if (id is null) return null;
            await ExecuteAsync(connection, transaction, """
                UPDATE customer_imports SET status = 'running', worker = $worker, lease_until = $lease, started_at = ifnull(started_at, $now),
                    claims = claims + 1
                WHERE id = $id
                """, ct, ("$worker", worker), ("$lease", leaseUntil.UtcTicks), ("$now", now.UtcTicks), ("$id", id));
            return (await QueryImportsAsync(connection, transaction, $"SELECT {ImportColumns} FROM customer_imports WHERE id = $id", ct, ("$id", id)))[0];
        }, ct);

    public async Task<byte[]?> ReadImportFileAsync(Guid importId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, null, "SELECT data FROM customer_import_files WHERE import_id = $id ORDER BY seq", ("$id", importId.ToString()));
        await using var reader = await command.ExecuteReaderAsync(ct);
        using var file = new MemoryStream();
        var any = false;
        while (await reader.ReadAsync(ct))
        {
            any = true;
            var data = (byte[])reader.GetValue(0);
            file.Write(data);
        }
        return any ? file.ToArray() : null;
    }

    public Task<CustomerImport?> ApplyImportChunkAsync(ImportChunk chunk, CancellationToken ct = default)
        => WriteAsync<CustomerImport?>(async (connection, transaction) =>
        {
            // The checkpoint guard first: a job cancelled or taken over by another worker, or already past these rows, gets nothing.
            var ours = await ScalarAsync<long>(connection, transaction, """
                SELECT COUNT(*) FROM customer_imports WHERE id = $id AND status = 'running' AND worker = $worker AND next_row = $from
                """, ct, ("$id", chunk.ImportId.ToString()), ("$worker", chunk.Worker), ("$from", chunk.FromRow));
            if (ours == 0) return null;

            var owners = await FindImportMatchesAsync(connection, transaction, chunk, ct);
            var (counts, rejections) = await CustomerImportChunks.ApplyAsync(chunk, owners, async (record, match) =>
            {
                var customerId = match ?? Guid.NewGuid();
                // An update refreshes the customer's match keys (UpdateProfileAsync); a new customer gets its phones and emails here.
                if (match is null) await InsertImportedCustomerAsync(connection, transaction, chunk, customerId, record, ct);
                else await UpdateImportedCustomerAsync(connection, transaction, chunk, customerId, record, ct);
                var newIdentity = record.WhatsApp is { } identity && !owners.Identities.ContainsKey(identity) ? new ChannelIdentity(Channels.WhatsApp, identity) : null;
                if (newIdentity is not null)
                    await ExecuteAsync(connection, transaction,
                        "INSERT INTO customer_identities (workspace_id, channel, value, customer_id) VALUES ($workspace, $channel, $value, $customer)", ct,
                        ("$workspace", chunk.WorkspaceId.ToString()), ("$channel", newIdentity.Channel), ("$value", newIdentity.Value), ("$customer", customerId.ToString()));
                // In the chunk's transaction, so an imported customer is in merge suggestions and automatic-merge checks at once,
                // as one created by a message or edited by an agent is; the WhatsApp number is a (verified) key like any identity's.
                var keys = CustomerMergeRules.MatchKeys(match is null ? record.Fields : new CustomerProfileFields(), newIdentity is null ? [] : [newIdentity]);
                foreach (var key in keys) await InsertImportedMatchKeyAsync(connection, transaction, chunk.WorkspaceId, customerId, key, ct);
                await WriteImportedConsentAndLabelsAsync(connection, transaction, chunk, customerId, record, ct);
                return customerId;
            });

            foreach (var rejection in rejections)
                await ExecuteAsync(connection, transaction, """
                    INSERT INTO customer_import_rejections (import_id, row_number, cells_json, reasons_json) VALUES ($id, $row, $cells, $reasons)
                    """, ct, ("$id", chunk.ImportId.ToString()), ("$row", rejection.RowNumber), ("$cells", JsonSerializer.Serialize(rejection.Cells, Json)),
                    ("$reasons", JsonSerializer.Serialize(rejection.Reasons, Json)));

            await ExecuteAsync(connection, transaction, """
                UPDATE customer_imports SET next_row = $next, processed = processed + $processed, created_count = created_count + $created,
                    updated_count = updated_count + $updated, skipped_count = skipped_count + $skipped, rejected_count = rejected_count + $rejected,
                    lease_until = $lease, claims = 0
                WHERE id = $id
                """, ct, ("$next", chunk.NextRow), ("$processed", counts.Processed), ("$created", counts.Created), ("$updated", counts.Updated),
                ("$skipped", counts.Skipped), ("$rejected", counts.Rejected), ("$lease", chunk.LeaseUntil.UtcTicks), ("$id", chunk.ImportId.ToString()));
            return (await QueryImportsAsync(connection, transaction, $"SELECT {ImportColumns} FROM customer_imports WHERE id = $id", ct,
                ("$id", chunk.ImportId.ToString())))[0];
        }, ct);

    // ix_customer_match_keys_value: one seek per phone of the chunk, then the customer by its primary key. Match keys hold
    // every phone and email of a profile, verified or not (merge suggestions pick the verified ones themselves), so an
    // import meets a number an agent typed in. Phones are keyed in canonical WhatsApp form: the exact number is checked after.
    // A merged-away customer has no keys (the merge moved its phones, emails and identities to the survivor, whose keys now
    // hold them, in the merge's transaction; undo gives them back): a row meets the survivor through the survivor's own keys,
    // and never the merged-away one, even where its old row still lists the number. The merged_into test only guards that.
    internal const string ImportPhoneOwnersSql = $"""
        SELECT k.customer_id, k.raw FROM customer_match_keys k CROSS JOIN customers c ON c.id = k.customer_id
        WHERE k.workspace_id = $workspace AND k.kind = '{MatchKey.Phone}' AND k.value IN (SELECT value FROM json_each($values))
          AND k.source = '{MatchKey.FromProfile}' AND k.raw IN (SELECT value FROM json_each($keys)) AND c.merged_into IS NULL
        ORDER BY c.created_at, c.id
        """;

    // ix_customer_match_keys_value, as above; emails are keyed in lower case.
    internal const string ImportEmailOwnersSql = $"""
        SELECT k.customer_id, k.value FROM customer_match_keys k CROSS JOIN customers c ON c.id = k.customer_id
        WHERE k.workspace_id = $workspace AND k.kind = '{MatchKey.Email}' AND k.value IN (SELECT value FROM json_each($keys))
          AND k.source = '{MatchKey.FromProfile}' AND c.merged_into IS NULL
        ORDER BY c.created_at, c.id
        """;

    /// <summary>
    /// Who already holds the chunk's phones, emails (through their match keys: SQLite cannot index inside the JSON lists on
    /// the customer row) and WhatsApp identities (customer_identities' primary key); the oldest customer when several do.
    /// </summary>
    private static async Task<ImportMatches> FindImportMatchesAsync(SqliteConnection connection, SqliteTransaction transaction, ImportChunk chunk,
        CancellationToken ct)
    {
        var matches = new ImportMatches();
        var workspace = chunk.WorkspaceId.ToString();
        async Task ReadAsync(string sql, object keys, Dictionary<string, Guid> into, params (string, object?)[] more)
        {
            await using var command = Command(connection, transaction, sql, [("$workspace", workspace), ("$keys", JsonSerializer.Serialize(keys, Json)), .. more]);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) into.TryAdd(reader.GetString(1), Guid.Parse(reader.GetString(0)));
        }

        if (chunk.Dedupe.On == DedupeKeys.Phone && chunk.Records.SelectMany(r => r.Fields.Phones).Select(p => p.Number).Distinct().ToList() is { Count: > 0 } phones)
            await ReadAsync(ImportPhoneOwnersSql, phones, matches.Phones,
                ("$values", JsonSerializer.Serialize(phones.Select(WhatsAppPhoneVariants.Canonical).Distinct(), Json)));
        if (chunk.Dedupe.On == DedupeKeys.Email && chunk.Records.SelectMany(r => r.Fields.Emails).Select(e => e.Address.ToLowerInvariant()).Distinct().ToList() is { Count: > 0 } emails)
            await ReadAsync(ImportEmailOwnersSql, emails, matches.Emails);
        if (chunk.Records.Where(r => r.WhatsApp is not null).Select(r => r.WhatsApp!).Distinct().ToList() is { Count: > 0 } identities)
            await ReadAsync($"""
                SELECT customer_id, value FROM customer_identities
                WHERE workspace_id = $workspace AND channel = '{Channels.WhatsApp}' AND value IN (SELECT value FROM json_each($keys))
                """, identities, matches.Identities);
        return matches;
    }

    /// <summary>A match key of an imported customer, with a statement the writer keeps parsed (a row has a few; a file, 100,000s).</summary>
    private Task<int> InsertImportedMatchKeyAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId, MatchKey key,
        CancellationToken ct)
    {
        var insert = Reused(connection, transaction, InsertMatchKeySql);
        SetParameters(insert, MatchKeyParameters(workspaceId, customerId, key));
        return insert.ExecuteNonQueryAsync(ct);
    }

    private async Task InsertImportedCustomerAsync(SqliteConnection connection, SqliteTransaction transaction, ImportChunk chunk, Guid customerId,
        ImportRecord record, CancellationToken ct)
    {
        var insert = Reused(connection, transaction, """
            INSERT INTO customers (id, workspace_id, display_name, created_at, language, time_zone, birthday, company, notes, phones_json, emails_json,
                lifecycle_stage, owner_agent_id, value_tier, attributes_json, version)
            VALUES ($id, $workspace, $name, $created, $language, $zone, $birthday, $company, $notes, $phones, $emails, $stage, $owner, $tier, $attributes, 0)
            """);
        var row = record.Fields;
        SetParameters(insert, ("$id", customerId.ToString()), ("$workspace", chunk.WorkspaceId.ToString()), ("$name", row.Name),
            ("$created", chunk.Now.UtcTicks), ("$language", row.Language), ("$zone", row.TimeZone),
            ("$birthday", row.Birthday?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("$company", row.Company), ("$notes", row.Notes),
            ("$phones", JsonSerializer.Serialize(row.Phones, Json)), ("$emails", JsonSerializer.Serialize(row.Emails, Json)),
            ("$stage", row.LifecycleStage), ("$owner", row.OwnerAgentId?.ToString()), ("$tier", row.ValueTier), ("$attributes", AttributesJson(row.Attributes)));
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The row's consent choices (source import; an older or equal choice changes nothing) and labels (added, never taken
    /// off), each a profile change by the importing agent, as when an agent makes it.
    /// </summary>
    private static async Task WriteImportedConsentAndLabelsAsync(SqliteConnection connection, SqliteTransaction transaction, ImportChunk chunk,
        Guid customerId, ImportRecord record, CancellationToken ct)
    {
        foreach (var (channel, state) in record.Consents)
            await WriteConsentAsync(connection, transaction, chunk.WorkspaceId, customerId, channel,
                new ConsentChange(state, ConsentSources.Import, $"import {chunk.ImportId}", chunk.ChangedBy), chunk.Now, ct);
        foreach (var label in record.Labels)
        {
            // Primary key of customer_labels: a label the customer has is not added again.
            var added = await ExecuteAsync(connection, transaction,
                "INSERT INTO customer_labels (workspace_id, customer_id, label_id) VALUES ($workspace, $customer, $label) ON CONFLICT DO NOTHING", ct,
                ("$workspace", chunk.WorkspaceId.ToString()), ("$customer", customerId.ToString()), ("$label", label.Id.ToString()));
            if (added > 0) await AuditCustomerChangeAsync(connection, transaction, chunk.WorkspaceId, customerId, "labels", null, label.Name, chunk.ChangedBy, chunk.Now, ct);
        }
    }

    private static async Task UpdateImportedCustomerAsync(SqliteConnection connection, SqliteTransaction transaction, ImportChunk chunk, Guid customerId,
        ImportRecord record, CancellationToken ct)
    {
        var current = (await GetProfileAsync(connection, transaction, chunk.WorkspaceId, customerId, ct))!;
        // Inside this store's one write transaction nobody else writes the row: the version read is still the current one.
        await UpdateProfileAsync(connection, transaction, chunk.WorkspaceId, customerId, current.Version, CustomerImportChanges.Apply(current.Fields, record),
            chunk.ChangedBy, chunk.Now, ct);
    }

    public Task<bool> FinishImportAsync(Guid importId, string worker, string status, string? failure, DateTimeOffset now, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) => await ExecuteAsync(connection, transaction, """
            UPDATE customer_imports SET status = $status, failure = $failure, finished_at = $now, worker = NULL, lease_until = NULL
            WHERE id = $id AND status = 'running' AND worker = $worker
            """, ct, ("$status", status), ("$failure", failure), ("$now", now.UtcTicks), ("$id", importId.ToString()), ("$worker", worker)) > 0, ct);

    public async Task<IReadOnlyList<ImportRejection>> ListImportRejectionsAsync(Guid workspaceId, Guid importId, int afterRow, int take,
        CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // The primary key, in row order; the workspace through the job's own row.
        await using var command = Command(connection, null, """
            SELECT r.row_number, r.cells_json, r.reasons_json FROM customer_import_rejections r
            WHERE r.import_id = $id AND r.row_number > $after
              AND EXISTS (SELECT 1 FROM customer_imports i WHERE i.id = $id AND i.workspace_id = $workspace)
            ORDER BY r.row_number LIMIT $take
            """, ("$id", importId.ToString()), ("$after", afterRow), ("$workspace", workspaceId.ToString()), ("$take", take));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rejections = new List<ImportRejection>();
        while (await reader.ReadAsync(ct))
            rejections.Add(new ImportRejection(reader.GetInt32(0), JsonSerializer.Deserialize<List<string>>(reader.GetString(1), Json) ?? [],
                JsonSerializer.Deserialize<List<string>>(reader.GetString(2), Json) ?? []));
        return rejections;
    }

    private static async Task<List<CustomerImport>> QueryImportsAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct,
        params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var imports = new List<CustomerImport>();
        while (await reader.ReadAsync(ct))
            imports.Add(new CustomerImport(
                Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), NullableGuid(reader, 2), FromTicks(reader.GetInt64(3)),
                reader.GetString(4), reader.GetInt64(5), reader.GetString(6),
                JsonSerializer.Deserialize<List<string>>(reader.GetString(7), Json) ?? [],
                JsonSerializer.Deserialize<List<List<string>>>(reader.GetString(8), Json) ?? [],
                JsonSerializer.Deserialize<Dictionary<string, string?>>(reader.GetString(9), Json) ?? [],
                reader.GetInt32(10), reader.GetString(11),
                NullableString(reader, 12) is { } mapping ? JsonSerializer.Deserialize<ImportMapping>(mapping, Json) : null,
                reader.GetInt32(13), new ImportCounters(reader.GetInt32(14), reader.GetInt32(15), reader.GetInt32(16), reader.GetInt32(17), reader.GetInt32(18)),
                reader.IsDBNull(19) ? null : FromTicks(reader.GetInt64(19)), reader.IsDBNull(20) ? null : FromTicks(reader.GetInt64(20)),
                NullableString(reader, 21)));
        return imports;
    }
}
