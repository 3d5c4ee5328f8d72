using Crm.Inbox.Customers;
using Crm.Inbox.Segments;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>Segments: saved filters in a collection of their own, evaluated as a filter document over customers (<see cref="SegmentMongo"/>).</summary>
public sealed partial class MongoInboxStore : ISegmentStore
{
    private IMongoCollection<SegmentDocument> Segments => database.GetCollection<SegmentDocument>("segments");

    // The same customers, untyped: bulk actions and export read and write fields other features own (labelIds, consents…).
    private IMongoCollection<BsonDocument> CustomerBson => database.GetCollection<BsonDocument>("customers");

    private static FilterDefinitionBuilder<SegmentDocument> SegmentFilter => Builders<SegmentDocument>.Filter;

    private async Task InitializeSegmentsAsync(CancellationToken ct)
    {
        // Built-ins have the same id in every workspace: unique per workspace, and the workspace's list.
        await Segments.Indexes.CreateOneAsync(new CreateIndexModel<SegmentDocument>(
            Builders<SegmentDocument>.IndexKeys.Ascending(s => s.WorkspaceId).Ascending(s => s.SegmentId),
            new CreateIndexOptions { Name = "ux_segments_workspace_id", Unique = true }), cancellationToken: ct);
        // As in SQLite: a stage and the last inbound ("VIPs silent for 60 days"), and the last inbound and creation ("dormant").
        await customers.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<CustomerDocument>(
                Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending(c => c.LifecycleStage).Ascending("lastInboundAtTicks"),
                new CreateIndexOptions { Name = "ix_customers_segment_stage" }),
            new CreateIndexModel<CustomerDocument>(
                Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending("lastInboundAtTicks").Ascending(c => c.CreatedAtTicks),
                new CreateIndexOptions { Name = "ix_customers_segment_last_inbound" }),
        ], ct);
    }

    /// <summary>The workspace's customers that are not merged away and match the filter.</summary>
    private static FilterDefinition<CustomerDocument> SegmentMatch(Guid workspaceId, SegmentGroup filter, DateTimeOffset now)
        => new BsonDocument
        {
            { "workspaceId", new BsonBinaryData(workspaceId, GuidRepresentation.Standard) },
            { "mergedInto", BsonNull.Value },
            { "$and", new BsonArray { SegmentMongo.Translate(filter, now) } },
        };

    public Task<long> CountSegmentAsync(Guid workspaceId, SegmentGroup filter, DateTimeOffset now, CancellationToken ct = default)
        => customers.CountDocumentsAsync(SegmentMatch(workspaceId, filter, now), cancellationToken: ct);

    public async Task<IReadOnlyList<CustomerProfile>> ListSegmentAsync(Guid workspaceId, SegmentGroup filter, DateTimeOffset now, CustomerPageCursor? after,
        int take, CancellationToken ct = default)
    {
        // The customer list's order and keyset (ix_customers_workspace_name), see ListProfilesAsync.
        var match = SegmentMatch(workspaceId, filter, now);
        if (after is { } cursor)
        {
            var sameName = cursor.Name == ""
                ? CustomerFilter.In(c => c.DisplayName, [null, ""])
                : CustomerFilter.Eq(c => c.DisplayName, cursor.Name);
            match &= CustomerFilter.Gt(c => c.DisplayName, cursor.Name) | (sameName & CustomerFilter.Gt(c => c.Id, cursor.Id));
        }
        var found = await customers.Find(match)
            .Sort(Builders<CustomerDocument>.Sort.Ascending(c => c.DisplayName).Ascending(c => c.Id))
            .Limit(take)
            .ToListAsync(ct);
        return found.Select(ToProfile).ToList();
    }

    public async Task<IReadOnlyList<Segment>> ListSegmentsAsync(Guid workspaceId, CancellationToken ct = default)
    {
        // ux_segments_workspace_id; a workspace has few segments.
        var found = await Segments.Find(SegmentFilter.Eq(s => s.WorkspaceId, workspaceId)).ToListAsync(ct);
        return found.Select(ToSegment).OrderBy(s => s.Name, StringComparer.Ordinal).ThenBy(s => s.Id).ToList();
    }

    public async Task<Segment?> GetSegmentAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        var found = await Segments.Find(SegmentFilter.Eq(s => s.WorkspaceId, workspaceId) & SegmentFilter.Eq(s => s.SegmentId, id)).FirstOrDefaultAsync(ct);
        return found is null ? null : ToSegment(found);
    }

    public async Task<Segment> SaveSegmentAsync(Segment segment, CancellationToken ct = default)
    {
        var update = Builders<SegmentDocument>.Update
            .Set(s => s.Name, segment.Name)
            .Set(s => s.FilterJson, segment.FilterJson)
            .Set(s => s.UpdatedAtTicks, segment.UpdatedAt.UtcTicks)
            .SetOnInsert(s => s.BuiltIn, segment.BuiltIn)
            .SetOnInsert(s => s.CreatedBy, segment.CreatedBy)
            .SetOnInsert(s => s.CreatedAtTicks, segment.CreatedAt.UtcTicks);
        var saved = await Segments.FindOneAndUpdateAsync(
            SegmentFilter.Eq(s => s.WorkspaceId, segment.WorkspaceId) & SegmentFilter.Eq(s => s.SegmentId, segment.Id), update,
            new FindOneAndUpdateOptions<SegmentDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After }, ct);
        return ToSegment(saved);
    }

    public async Task<bool> DeleteSegmentAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => (await Segments.DeleteOneAsync(SegmentFilter.Eq(s => s.WorkspaceId, workspaceId) & SegmentFilter.Eq(s => s.SegmentId, id), ct)).DeletedCount > 0;

    public async Task<int> ApplyBulkActionAsync(Guid workspaceId, IReadOnlyList<Guid> customerIds, BulkAction action, Guid? changedBy, DateTimeOffset now,
        CancellationToken ct = default)
    {
        if (customerIds.Count == 0) return 0;
        if (action.Kind == BulkAction.SetAttribute) return await SetAttributeAsync(workspaceId, customerIds, action, changedBy, now, ct);
        var labelName = action.LabelId is { } labelId ? (await GetLabelAsync(workspaceId, labelId, ct))?.Name : null;
        var label = action.LabelId is { } id ? new BsonBinaryData(id, GuidRepresentation.Standard) : null;
        var owner = action.OwnerAgentId is { } ownerId ? (BsonValue)new BsonBinaryData(ownerId, GuidRepresentation.Standard) : BsonNull.Value;
        var (unchanged, change) = action.Kind switch
        {
            BulkAction.AddLabel => (new BsonDocument("labelIds", new BsonDocument("$ne", label)), new BsonDocument("$addToSet", new BsonDocument("labelIds", label))),
            BulkAction.RemoveLabel => (new BsonDocument("labelIds", label), new BsonDocument("$pull", new BsonDocument("labelIds", label))),
            BulkAction.SetOwner => (new BsonDocument("ownerAgentId", new BsonDocument("$ne", owner)), new BsonDocument("$set", new BsonDocument("ownerAgentId", owner))),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action.Kind, "Not a bulk action this store applies."),
        };
        change["$inc"] = new BsonDocument("version", 1L);

        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync(async (s, token) =>
        {
            var changes = new List<ProfileChangeDocument>();
            foreach (var customerId in customerIds)
            {
                // Only a customer this changes is written (a repeated batch finds none); the document before gives the old value.
                var filter = new BsonDocument
                {
                    { "_id", new BsonBinaryData(customerId, GuidRepresentation.Standard) },
                    { "workspaceId", new BsonBinaryData(workspaceId, GuidRepresentation.Standard) },
                    { "mergedInto", BsonNull.Value },
                };
                filter.AddRange(unchanged);
                var before = await CustomerBson.FindOneAndUpdateAsync(s, filter, change,
                    new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.Before }, token);
                if (before is null) continue;
                var version = (before.TryGetValue("version", out var v) && !v.IsBsonNull ? v.ToInt64() : 0) + 1;
                var previousOwner = before.TryGetValue("ownerAgentId", out var o) && o.IsBsonBinaryData ? o.AsBsonBinaryData.ToGuid().ToString() : null;
                var (oldValue, newValue) = action.Kind switch
                {
                    BulkAction.AddLabel => (null, labelName),
                    BulkAction.RemoveLabel => (labelName, null),
                    _ => (previousOwner, action.OwnerAgentId?.ToString()),
                };
                changes.Add(new ProfileChangeDocument
                {
                    Id = Guid.NewGuid(), WorkspaceId = workspaceId, CustomerId = customerId, Version = version,
                    Field = action.Kind == BulkAction.SetOwner ? "ownerAgentId" : "labels", From = oldValue, To = newValue, ChangedBy = changedBy,
                    AtTicks = now.UtcTicks,
                });
            }
            if (changes.Count > 0) await ProfileChanges.InsertManyAsync(s, changes, cancellationToken: token);
            return changes.Count;
        }, cancellationToken: ct);
    }

    /// <summary>Sets (or clears, when the value is null) one attribute on each customer whose value differs, as a profile change would.</summary>
    private async Task<int> SetAttributeAsync(Guid workspaceId, IReadOnlyList<Guid> customerIds, BulkAction action, Guid? changedBy, DateTimeOffset now,
        CancellationToken ct)
    {
        var key = action.AttributeKey!;
        var to = action.AttributeValue is { } value ? CustomerProfileFields.AttributeText(value) : null;
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync(async (s, token) =>
        {
            var found = await customers.Find(s, CustomerFilter.In(c => c.Id, customerIds) & CustomerFilter.Eq(c => c.WorkspaceId, workspaceId)
                & (FilterDefinition<CustomerDocument>)new BsonDocument("mergedInto", BsonNull.Value)).ToListAsync(token);
            var changes = new List<ProfileChangeDocument>();
            foreach (var document in found)
            {
                var profile = ToProfile(document);
                var from = profile.Fields.Attributes.TryGetValue(key, out var current) ? CustomerProfileFields.AttributeText(current) : null;
                if (from == to) continue;
                var attributes = new Dictionary<string, System.Text.Json.JsonElement>(profile.Fields.Attributes);
                if (action.AttributeValue is { } set) attributes[key] = set;
                else attributes.Remove(key);
                var update = Builders<CustomerDocument>.Update.Set(c => c.Version, profile.Version + 1);
                update = ToBson(attributes) is { } bson ? update.Set(c => c.Attributes, bson) : update.Unset(c => c.Attributes);
                // The version read: a profile changed in between is left for a repeat of the action, not overwritten.
                var atVersion = profile.Version == 0
                    ? CustomerFilter.Eq(c => c.Version, 0) | CustomerFilter.Exists(c => c.Version, false)
                    : CustomerFilter.Eq(c => c.Version, profile.Version);
                var updated = await customers.UpdateOneAsync(s, CustomerFilter.Eq(c => c.Id, profile.Id) & atVersion, update, cancellationToken: token);
                if (updated.ModifiedCount == 0) continue;
                changes.Add(new ProfileChangeDocument
                {
                    Id = Guid.NewGuid(), WorkspaceId = workspaceId, CustomerId = profile.Id, Version = profile.Version + 1,
                    Field = CustomerProfileFields.AttributeFieldPrefix + key, From = from, To = to, ChangedBy = changedBy, AtTicks = now.UtcTicks,
                });
            }
            if (changes.Count > 0) await ProfileChanges.InsertManyAsync(s, changes, cancellationToken: token);
            return changes.Count;
        }, cancellationToken: ct);
    }

    /// <summary>Nothing to add: a customer document holds its behaviour and consents, and every read here fills them in (ToProfile).</summary>
    public Task<IReadOnlyList<CustomerProfile>> WithBehaviourAndConsentsAsync(IReadOnlyList<CustomerProfile> profiles, CancellationToken ct = default)
        => Task.FromResult(profiles);

    private static Segment ToSegment(SegmentDocument d)
        => new(d.SegmentId, d.WorkspaceId, d.Name, d.FilterJson, d.BuiltIn, d.CreatedBy, FromTicks(d.CreatedAtTicks), FromTicks(d.UpdatedAtTicks));

    private sealed class SegmentDocument
    {
        [BsonId] public ObjectId Key { get; set; }

        [BsonElement("segmentId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid SegmentId { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("name")] public string Name { get; set; } = "";
        [BsonElement("filterJson")] public string FilterJson { get; set; } = "";
        [BsonElement("builtIn")] public bool BuiltIn { get; set; }

        [BsonElement("createdBy"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? CreatedBy { get; set; }

        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
        [BsonElement("updatedAtTicks")] public long UpdatedAtTicks { get; set; }
    }
}
