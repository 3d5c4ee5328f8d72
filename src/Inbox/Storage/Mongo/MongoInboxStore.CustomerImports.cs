using System.Globalization;
using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Customers.Import;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// Customer imports: the job document, its file in 1 MB chunk documents (under the 16 MB document limit, and readable by any
/// process), and its rejected rows. A chunk of rows, its rejections and the job's checkpoint are one transaction (the server
/// is a replica set already, see MongoInboxStore.Assignment.cs).
/// </summary>
public sealed partial class MongoInboxStore : ICustomerImportStore
{
    private const int FileChunkBytes = 1024 * 1024;

    private IMongoCollection<ImportDocument> Imports => database.GetCollection<ImportDocument>("customerImports");
    private IMongoCollection<ImportFileDocument> ImportFiles => database.GetCollection<ImportFileDocument>("customerImportFiles");
    private IMongoCollection<ImportRejectionDocument> ImportRejections => database.GetCollection<ImportRejectionDocument>("customerImportRejections");

    private static FilterDefinitionBuilder<ImportDocument> ImportFilter => Builders<ImportDocument>.Filter;

    // Emails match whatever their case: the index and the query share this collation.
    private static readonly Collation IgnoreCase = new("en", strength: CollationStrength.Secondary);

    private async Task InitializeCustomerImportsAsync(CancellationToken ct)
    {
        await Imports.Indexes.CreateManyAsync(
        [
            // A workspace's imports, newest first.
            new CreateIndexModel<ImportDocument>(Builders<ImportDocument>.IndexKeys.Ascending(i => i.WorkspaceId).Descending(i => i.CreatedAtTicks).Descending(i => i.Id),
                new CreateIndexOptions { Name = "ix_customer_imports_workspace_created" }),
            // Workers looking for work: queued jobs, and running ones whose lease ran out.
            new CreateIndexModel<ImportDocument>(Builders<ImportDocument>.IndexKeys.Ascending(i => i.Status).Ascending(i => i.LeaseUntilTicks),
                new CreateIndexOptions { Name = "ix_customer_imports_pending" }),
        ], ct);
        await ImportFiles.Indexes.CreateOneAsync(new CreateIndexModel<ImportFileDocument>(
            Builders<ImportFileDocument>.IndexKeys.Ascending(f => f.ImportId).Ascending(f => f.Seq),
            new CreateIndexOptions { Name = "ux_customer_import_files", Unique = true }), cancellationToken: ct);
        await ImportRejections.Indexes.CreateOneAsync(new CreateIndexModel<ImportRejectionDocument>(
            Builders<ImportRejectionDocument>.IndexKeys.Ascending(r => r.ImportId).Ascending(r => r.RowNumber),
            new CreateIndexOptions { Name = "ux_customer_import_rejections", Unique = true }), cancellationToken: ct);
        // Customers by phone or email (segments filter on these paths). An import's dedupe no longer reads them: it seeks the
        // match keys (ix_customers_match_keys), which a merged-away customer does not have.
        await customers.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<CustomerDocument>(Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending("phones.number"),
                new CreateIndexOptions { Name = "ix_customers_workspace_phone" }),
            new CreateIndexModel<CustomerDocument>(Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending("emails.address"),
                new CreateIndexOptions { Name = "ix_customers_workspace_email", Collation = IgnoreCase }),
        ], ct);
    }

    public async Task CreateImportAsync(CustomerImport import, ReadOnlyMemory<byte> file, CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        await session.WithTransactionAsync(async (s, token) =>
        {
            await Imports.InsertOneAsync(s, ToDocument(import), cancellationToken: token);
            var chunks = new List<ImportFileDocument>();
            for (int offset = 0, seq = 0; offset < file.Length; offset += FileChunkBytes, seq++)
                chunks.Add(new ImportFileDocument
                {
                    Id = Guid.NewGuid(), ImportId = import.Id, Seq = seq, Data = file.Slice(offset, Math.Min(FileChunkBytes, file.Length - offset)).ToArray(),
                });
            if (chunks.Count > 0) await ImportFiles.InsertManyAsync(s, chunks, cancellationToken: token);
            return true;
        }, cancellationToken: ct);
    }

    public async Task<CustomerImport?> GetImportAsync(Guid workspaceId, Guid importId, CancellationToken ct = default)
    {
        var found = await Imports.Find(ImportFilter.Eq(i => i.Id, importId) & ImportFilter.Eq(i => i.WorkspaceId, workspaceId)).FirstOrDefaultAsync(ct);
        return found is null ? null : ToImport(found);
    }

    public async Task<IReadOnlyList<CustomerImport>> ListImportsAsync(Guid workspaceId, int take, CancellationToken ct = default)
    {
        // ix_customer_imports_workspace_created
        var found = await Imports.Find(ImportFilter.Eq(i => i.WorkspaceId, workspaceId))
            .Sort(Builders<ImportDocument>.Sort.Descending(i => i.CreatedAtTicks).Descending(i => i.Id)).Limit(take).ToListAsync(ct);
        return found.Select(ToImport).ToList();
    }

    public Task<ImportChangeResult> SaveImportMappingAsync(Guid workspaceId, Guid importId, ImportMapping mapping, CancellationToken ct = default)
        => ChangeImportAsync(workspaceId, importId, ImportFilter.Eq(i => i.Status, ImportStatuses.Mapping),
            Builders<ImportDocument>.Update.Set(i => i.Mapping, ToDocument(mapping)), ct);

    public Task<ImportChangeResult> StartImportAsync(Guid workspaceId, Guid importId, DateTimeOffset now, CancellationToken ct = default)
        => ChangeImportAsync(workspaceId, importId, ImportFilter.Eq(i => i.Status, ImportStatuses.Mapping) & ImportFilter.Ne(i => i.Mapping, null),
            Builders<ImportDocument>.Update.Set(i => i.Status, ImportStatuses.Queued).Set(i => i.QueuedAtTicks, now.UtcTicks), ct);

    public Task<ImportChangeResult> CancelImportAsync(Guid workspaceId, Guid importId, DateTimeOffset now, CancellationToken ct = default)
        => ChangeImportAsync(workspaceId, importId,
            ImportFilter.In(i => i.Status, [ImportStatuses.Mapping, ImportStatuses.Queued, ImportStatuses.Running]),
            Builders<ImportDocument>.Update.Set(i => i.Status, ImportStatuses.Cancelled).Set(i => i.FinishedAtTicks, now.UtcTicks)
                .Set(i => i.Worker, null).Set(i => i.LeaseUntilTicks, null), ct);

    /// <summary>One conditional update: the job changes only while <paramref name="when"/> holds.</summary>
    private async Task<ImportChangeResult> ChangeImportAsync(Guid workspaceId, Guid importId, FilterDefinition<ImportDocument> when,
        UpdateDefinition<ImportDocument> update, CancellationToken ct)
    {
        var owned = ImportFilter.Eq(i => i.Id, importId) & ImportFilter.Eq(i => i.WorkspaceId, workspaceId);
        var changed = await Imports.FindOneAndUpdateAsync(owned & when, update,
            new FindOneAndUpdateOptions<ImportDocument> { ReturnDocument = ReturnDocument.After }, ct);
        if (changed is not null) return new ImportChangeResult(ImportChangeOutcome.Changed, ToImport(changed));
        var found = await Imports.Find(owned).FirstOrDefaultAsync(ct);
        return found is null ? new ImportChangeResult(ImportChangeOutcome.NotFound, null) : new ImportChangeResult(ImportChangeOutcome.WrongStatus, ToImport(found));
    }

    public async Task<CustomerImport?> ClaimImportAsync(string worker, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct = default)
    {
        // ix_customer_imports_pending; one atomic update, so two workers never claim the same job.
        var abandoned = ImportFilter.Eq(i => i.Status, ImportStatuses.Running) & ImportFilter.Lt(i => i.LeaseUntilTicks, now.UtcTicks);
        await Imports.UpdateManyAsync(abandoned & ImportFilter.Gte(i => i.Claims, ImportStatuses.MaxClaimsWithoutProgress),
            Builders<ImportDocument>.Update.Set(i => i.Status, ImportStatuses.Failed).Set(i => i.Failure, ImportStatuses.TooManyAttempts)
                .Set(i => i.FinishedAtTicks, now.UtcTicks).Set(i => i.Worker, null).Set(i => i.LeaseUntilTicks, null), cancellationToken: ct);
        var claimable = ImportFilter.Eq(i => i.Status, ImportStatuses.Queued)
                        | (abandoned & ImportFilter.Lt(i => i.Claims, ImportStatuses.MaxClaimsWithoutProgress));
        // A pipeline update: the first start time is kept when another worker resumes the job.
        var claim = new PipelineUpdateDefinition<ImportDocument>(new[]
        {
            new BsonDocument("$set", new BsonDocument
            {
                ["status"] = ImportStatuses.Running,
                ["worker"] = new BsonDocument("$literal", worker),
                ["leaseUntilTicks"] = leaseUntil.UtcTicks,
                ["startedAtTicks"] = new BsonDocument("$ifNull", new BsonArray { "$startedAtTicks", now.UtcTicks }),
                ["claims"] = new BsonDocument("$add", new BsonArray { new BsonDocument("$ifNull", new BsonArray { "$claims", 0 }), 1 }),
            }),
        });
        var claimed = await Imports.FindOneAndUpdateAsync(claimable, claim,
            new FindOneAndUpdateOptions<ImportDocument>
            {
                ReturnDocument = ReturnDocument.After,
                Sort = Builders<ImportDocument>.Sort.Ascending(i => i.QueuedAtTicks).Ascending(i => i.Id),
            }, ct);
        return claimed is null ? null : ToImport(claimed);
    }

    public async Task<byte[]?> ReadImportFileAsync(Guid importId, CancellationToken ct = default)
    {
        // ux_customer_import_files, in order.
        var chunks = await ImportFiles.Find(Builders<ImportFileDocument>.Filter.Eq(f => f.ImportId, importId))
            .Sort(Builders<ImportFileDocument>.Sort.Ascending(f => f.Seq)).ToListAsync(ct);
        if (chunks.Count == 0) return null;
        return chunks.SelectMany(c => c.Data).ToArray();
    }

    public async Task<CustomerImport?> ApplyImportChunkAsync(ImportChunk chunk, CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync<CustomerImport?>(async (s, token) =>
        {
            var ours = ImportFilter.Eq(i => i.Id, chunk.ImportId) & ImportFilter.Eq(i => i.Status, ImportStatuses.Running)
                       & ImportFilter.Eq(i => i.Worker, chunk.Worker) & ImportFilter.Eq(i => i.NextRow, chunk.FromRow);
            if (await Imports.Find(s, ours).AnyAsync(token) is false) return null;

            var owners = await FindImportMatchesAsync(s, chunk, token);
            var (counts, rejections) = await CustomerImportChunks.ApplyAsync(chunk, owners, async (record, match) =>
            {
                if (match is not { } existing)
                {
                    var created = Guid.NewGuid();
                    await customers.InsertOneAsync(s, NewImportedCustomer(chunk, created, record), cancellationToken: token);
                    await WriteImportedConsentAndLabelsAsync(s, chunk, created, record, token);
                    return created;
                }
                var owned = CustomerFilter.Eq(c => c.Id, existing) & CustomerFilter.Eq(c => c.WorkspaceId, chunk.WorkspaceId);
                var current = ToProfile(await customers.Find(s, owned).FirstAsync(token));
                var result = await UpdateProfileAsync(s, chunk.WorkspaceId, existing, current.Version, CustomerImportChanges.Apply(current.Fields, record),
                    chunk.ChangedBy, chunk.Now, token);
                if (result.Outcome != ProfileUpdateOutcome.Updated)
                    // Changed by someone else inside this transaction's snapshot: abort, and the worker retries the chunk.
                    throw new InvalidOperationException($"Customer {existing} changed while an import chunk was applied.");
                // The update set the customer's match keys from its profile (UpdateProfileAsync); a new WhatsApp identity adds its own.
                if (record.WhatsApp is { } identity && !owners.Identities.ContainsKey(identity))
                    await customers.UpdateOneAsync(s, owned, Builders<CustomerDocument>.Update
                        .Push(c => c.Identities, new IdentityDocument { Channel = Channels.WhatsApp, Value = identity })
                        .PushEach(c => c.MatchKeys, MatchKeyDocuments(new CustomerProfileFields(), [new ChannelIdentity(Channels.WhatsApp, identity)])),
                        cancellationToken: token);
                await WriteImportedConsentAndLabelsAsync(s, chunk, existing, record, token);
                return existing;
            });

            if (rejections.Count > 0)
                await ImportRejections.InsertManyAsync(s, rejections.Select(r => new ImportRejectionDocument
                {
                    Id = Guid.NewGuid(), ImportId = chunk.ImportId, RowNumber = r.RowNumber, Cells = [.. r.Cells], Reasons = [.. r.Reasons],
                }), cancellationToken: token);

            return ToImport(await Imports.FindOneAndUpdateAsync(s, ours, Builders<ImportDocument>.Update
                .Set(i => i.NextRow, chunk.NextRow)
                .Inc(i => i.Processed, counts.Processed)
                .Inc(i => i.Created, counts.Created)
                .Inc(i => i.Updated, counts.Updated)
                .Inc(i => i.Skipped, counts.Skipped)
                .Inc(i => i.Rejected, counts.Rejected)
                .Set(i => i.LeaseUntilTicks, chunk.LeaseUntil.UtcTicks)
                .Set(i => i.Claims, 0),
                new FindOneAndUpdateOptions<ImportDocument> { ReturnDocument = ReturnDocument.After }, token));
        }, cancellationToken: ct);
    }

    /// <summary>
    /// Who already holds the chunk's keys, the oldest customer when several do: phones and emails through the match keys
    /// (ix_customers_match_keys), which hold every phone and email of a profile, verified or not; WhatsApp identities through
    /// ux_customers_workspace_identity. A merged-away customer has no match keys and no identities (the merge moved them to
    /// the survivor, in its transaction): a row meets the survivor through the survivor's own keys, never the merged-away one.
    /// </summary>
    private async Task<ImportMatches> FindImportMatchesAsync(IClientSessionHandle s, ImportChunk chunk, CancellationToken ct)
    {
        var matches = new ImportMatches();
        var workspace = CustomerFilter.Eq(c => c.WorkspaceId, chunk.WorkspaceId) & CustomerFilter.Eq(c => c.MergedInto, null);
        var oldestFirst = Builders<CustomerDocument>.Sort.Ascending(c => c.CreatedAtTicks).Ascending(c => c.Id);
        async Task ReadAsync(string kind, IReadOnlyCollection<string> values, Func<MatchKeyDocument, string?> held, Dictionary<string, Guid> into)
        {
            var keyed = workspace & CustomerFilter.ElemMatch(c => c.MatchKeys,
                Builders<MatchKeyDocument>.Filter.Eq(k => k.Kind, kind) & Builders<MatchKeyDocument>.Filter.In(k => k.Value, values)
                & Builders<MatchKeyDocument>.Filter.Eq(k => k.Source, MatchKey.FromProfile));
            foreach (var found in await customers.Find(s, keyed).Sort(oldestFirst).ToListAsync(ct))
            foreach (var key in found.MatchKeys ?? [])
                if (key.Kind == kind && key.Source == MatchKey.FromProfile && held(key) is { } value) into.TryAdd(value, found.Id);
        }

        if (chunk.Dedupe.On == DedupeKeys.Phone && chunk.Records.SelectMany(r => r.Fields.Phones).Select(p => p.Number).ToHashSet() is { Count: > 0 } phones)
            // Keyed in canonical WhatsApp form: the exact number is checked on the key found.
            await ReadAsync(MatchKey.Phone, phones.Select(WhatsAppPhoneVariants.Canonical).Distinct().ToList(), k => phones.Contains(k.Raw) ? k.Raw : null, matches.Phones);
        if (chunk.Dedupe.On == DedupeKeys.Email && chunk.Records.SelectMany(r => r.Fields.Emails).Select(e => e.Address.ToLowerInvariant()).ToHashSet() is { Count: > 0 } emails)
            await ReadAsync(MatchKey.Email, emails, k => emails.Contains(k.Value) ? k.Value : null, matches.Emails);
        if (chunk.Records.Where(r => r.WhatsApp is not null).Select(r => r.WhatsApp!).Distinct().ToList() is { Count: > 0 } identities)
        {
            var keys = identities.ToHashSet();
            var held = workspace & CustomerFilter.ElemMatch(c => c.Identities, i => i.Channel == Channels.WhatsApp && keys.Contains(i.Value));
            foreach (var found in await customers.Find(s, held).ToListAsync(ct))
            foreach (var identity in found.Identities)
                if (identity.Channel == Channels.WhatsApp && keys.Contains(identity.Value)) matches.Identities.TryAdd(identity.Value, found.Id);
        }
        return matches;
    }

    private static CustomerDocument NewImportedCustomer(ImportChunk chunk, Guid customerId, ImportRecord record) => new()
    {
        Id = customerId,
        WorkspaceId = chunk.WorkspaceId,
        DisplayName = record.Fields.Name,
        CreatedAtTicks = chunk.Now.UtcTicks,
        Identities = record.WhatsApp is { } identity ? [new IdentityDocument { Channel = Channels.WhatsApp, Value = identity }] : [],
        Language = record.Fields.Language,
        TimeZone = record.Fields.TimeZone,
        Birthday = record.Fields.Birthday?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Company = record.Fields.Company,
        Notes = record.Fields.Notes,
        Phones = record.Fields.Phones.Select(p => new PhoneDocument { Number = p.Number, Verified = p.Verified }).ToList(),
        Emails = record.Fields.Emails.Select(e => new EmailDocument { Address = e.Address, Verified = e.Verified }).ToList(),
        LifecycleStage = record.Fields.LifecycleStage,
        OwnerAgentId = record.Fields.OwnerAgentId,
        ValueTier = record.Fields.ValueTier,
        Attributes = ToBson(record.Fields.Attributes),
        // In the chunk's transaction: merge suggestions and automatic-merge checks find an imported customer at once.
        MatchKeys = MatchKeyDocuments(record.Fields, record.WhatsApp is { } number ? [new ChannelIdentity(Channels.WhatsApp, number)] : []),
    };

    /// <summary>
    /// The row's consent choices (source import; an older or equal choice changes nothing) and labels (added, never taken
    /// off), in the chunk's transaction: one new version and one history entry per change, as when an agent makes it.
    /// </summary>
    private async Task WriteImportedConsentAndLabelsAsync(IClientSessionHandle s, ImportChunk chunk, Guid customerId, ImportRecord record, CancellationToken ct)
    {
        if (record.Consents.Count == 0 && record.Labels.Count == 0) return;
        var owned = CustomerFilter.Eq(c => c.Id, customerId) & CustomerFilter.Eq(c => c.WorkspaceId, chunk.WorkspaceId);
        var found = await customers.Find(s, owned).FirstAsync(ct);
        var consents = found.Consents ?? [];
        var labelIds = found.LabelIds ?? [];
        var changes = new List<(string Field, string? From, string? To)>();
        foreach (var (channel, state) in record.Consents)
        {
            var recorded = consents.FirstOrDefault(c => c.Channel == channel);
            if (recorded is not null && (recorded.State == state || recorded.ChangedAtTicks > chunk.Now.UtcTicks)) continue;
            consents = [.. consents.Where(c => c.Channel != channel), new ConsentDocument
            {
                Channel = channel, State = state, ChangedAtTicks = chunk.Now.UtcTicks, Source = ConsentSources.Import, Detail = $"import {chunk.ImportId}",
                ChangedBy = chunk.ChangedBy,
            }];
            changes.Add((ConsentKeywords.HistoryField(channel), recorded?.State, state));
        }
        foreach (var label in record.Labels.Where(l => !labelIds.Contains(l.Id)))
        {
            labelIds = [.. labelIds, label.Id];
            changes.Add(("labels", null, label.Name));
        }
        if (changes.Count == 0) return;
        await customers.UpdateOneAsync(s, owned, Builders<CustomerDocument>.Update
            .Set(c => c.Consents, consents.OrderBy(c => c.Channel, StringComparer.Ordinal).ToList()).Set(c => c.LabelIds, labelIds)
            .Inc(c => c.Version, changes.Count), cancellationToken: ct);
        await ProfileChanges.InsertManyAsync(s, changes.Select((change, i) => new ProfileChangeDocument
        {
            Id = Guid.NewGuid(), WorkspaceId = chunk.WorkspaceId, CustomerId = customerId, Version = found.Version + i + 1, Field = change.Field,
            From = change.From, To = change.To, ChangedBy = chunk.ChangedBy, AtTicks = chunk.Now.UtcTicks,
        }), cancellationToken: ct);
    }

    public async Task<bool> FinishImportAsync(Guid importId, string worker, string status, string? failure, DateTimeOffset now, CancellationToken ct = default)
    {
        var result = await Imports.UpdateOneAsync(
            ImportFilter.Eq(i => i.Id, importId) & ImportFilter.Eq(i => i.Status, ImportStatuses.Running) & ImportFilter.Eq(i => i.Worker, worker),
            Builders<ImportDocument>.Update.Set(i => i.Status, status).Set(i => i.Failure, failure).Set(i => i.FinishedAtTicks, now.UtcTicks)
                .Set(i => i.Worker, null).Set(i => i.LeaseUntilTicks, null), cancellationToken: ct);
        return result.MatchedCount > 0;
    }

    public async Task<IReadOnlyList<ImportRejection>> ListImportRejectionsAsync(Guid workspaceId, Guid importId, int afterRow, int take,
        CancellationToken ct = default)
    {
        if (await GetImportAsync(workspaceId, importId, ct) is null) return [];
        // ux_customer_import_rejections, in row order.
        var found = await ImportRejections.Find(Builders<ImportRejectionDocument>.Filter.Eq(r => r.ImportId, importId)
                                                & Builders<ImportRejectionDocument>.Filter.Gt(r => r.RowNumber, afterRow))
            .Sort(Builders<ImportRejectionDocument>.Sort.Ascending(r => r.RowNumber)).Limit(take).ToListAsync(ct);
        return found.Select(r => new ImportRejection(r.RowNumber, r.Cells, r.Reasons)).ToList();
    }

    private static ImportDocument ToDocument(CustomerImport i) => new()
    {
        Id = i.Id, WorkspaceId = i.WorkspaceId, CreatedBy = i.CreatedBy, CreatedAtTicks = i.CreatedAt.UtcTicks, FileName = i.FileName,
        SizeBytes = i.SizeBytes, Delimiter = i.Delimiter, Headers = [.. i.Headers], Preview = i.Preview.Select(r => r.ToList()).ToList(),
        SuggestedMapping = i.SuggestedMapping.ToDictionary(), Total = i.Total, Status = i.Status,
        Mapping = i.Mapping is null ? null : ToDocument(i.Mapping), NextRow = i.NextRow,
    };

    private static ImportMappingDocument ToDocument(ImportMapping m) => new()
    {
        Columns = m.Columns.ToDictionary(), DedupeOn = m.Dedupe.On, WhenFound = m.Dedupe.WhenFound, DefaultCountry = m.DefaultCountry,
    };

    private static CustomerImport ToImport(ImportDocument d) => new(
        d.Id, d.WorkspaceId, d.CreatedBy, FromTicks(d.CreatedAtTicks), d.FileName, d.SizeBytes, d.Delimiter, d.Headers,
        d.Preview.Select(r => (IReadOnlyList<string>)r).ToList(), d.SuggestedMapping, d.Total, d.Status,
        d.Mapping is { } m ? new ImportMapping(m.Columns, new DedupeRule(m.DedupeOn, m.WhenFound), m.DefaultCountry) : null,
        d.NextRow, new ImportCounters(d.Processed, d.Created, d.Updated, d.Skipped, d.Rejected),
        d.StartedAtTicks is { } started ? FromTicks(started) : null, d.FinishedAtTicks is { } finished ? FromTicks(finished) : null, d.Failure);

    private sealed class ImportDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("createdBy"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? CreatedBy { get; set; }

        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
        [BsonElement("fileName")] public string FileName { get; set; } = "";
        [BsonElement("sizeBytes")] public long SizeBytes { get; set; }
        [BsonElement("delimiter")] public string Delimiter { get; set; } = ",";
        [BsonElement("headers")] public List<string> Headers { get; set; } = [];
        [BsonElement("preview")] public List<List<string>> Preview { get; set; } = [];

        // Header names are the keys: an array of pairs, since a header may hold '.' or start with '$'.
        [BsonElement("suggestedMapping"), BsonDictionaryOptions(Representation = MongoDB.Bson.Serialization.Options.DictionaryRepresentation.ArrayOfDocuments)]
        public Dictionary<string, string?> SuggestedMapping { get; set; } = [];

        [BsonElement("total")] public int Total { get; set; }
        [BsonElement("status")] public string Status { get; set; } = "";
        [BsonElement("mapping")] public ImportMappingDocument? Mapping { get; set; }
        [BsonElement("nextRow")] public int NextRow { get; set; } = 1;
        [BsonElement("processed")] public int Processed { get; set; }
        [BsonElement("created")] public int Created { get; set; }
        [BsonElement("updated")] public int Updated { get; set; }
        [BsonElement("skipped")] public int Skipped { get; set; }
        [BsonElement("rejected")] public int Rejected { get; set; }
        [BsonElement("queuedAtTicks")] public long? QueuedAtTicks { get; set; }
        [BsonElement("startedAtTicks")] public long? StartedAtTicks { get; set; }
        [BsonElement("finishedAtTicks")] public long? FinishedAtTicks { get; set; }
        [BsonElement("failure")] public string? Failure { get; set; }
        [BsonElement("worker")] public string? Worker { get; set; }
        [BsonElement("leaseUntilTicks")] public long? LeaseUntilTicks { get; set; }

        // Claims in a row without a chunk committed (ImportStatuses.MaxClaimsWithoutProgress).
        [BsonElement("claims")] public int Claims { get; set; }
    }

    private sealed class ImportMappingDocument
    {
        [BsonElement("columns"), BsonDictionaryOptions(Representation = MongoDB.Bson.Serialization.Options.DictionaryRepresentation.ArrayOfDocuments)]
        public Dictionary<string, string?> Columns { get; set; } = [];

        [BsonElement("dedupeOn")] public string DedupeOn { get; set; } = "";
        [BsonElement("whenFound")] public string WhenFound { get; set; } = "";
        [BsonElement("defaultCountry")] public string? DefaultCountry { get; set; }
    }

    private sealed class ImportFileDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("importId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid ImportId { get; set; }

        [BsonElement("seq")] public int Seq { get; set; }
        [BsonElement("data")] public byte[] Data { get; set; } = [];
    }

    private sealed class ImportRejectionDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("importId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid ImportId { get; set; }

        [BsonElement("rowNumber")] public int RowNumber { get; set; }
        [BsonElement("cells")] public List<string> Cells { get; set; } = [];
        [BsonElement("reasons")] public List<string> Reasons { get; set; } = [];
    }
}
