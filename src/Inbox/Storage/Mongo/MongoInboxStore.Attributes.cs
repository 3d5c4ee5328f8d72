using System.Text.Json;
using Crm.Inbox.Customers;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// A workspace's customer attribute definitions and lifecycle stages. The values live on the customer's document
/// (<c>attributes: {key: value}</c>, the same value types as SQLite's attributes_json), so segments filter on
/// <c>attributes.{key}</c>. Changes that count customers first run in a transaction (a replica set, as for profiles).
/// </summary>
public sealed partial class MongoInboxStore : ICustomerAttributeDefinitionStore, ILifecycleStageStore
{
    /// <summary>Case-insensitive comparison of stage names (English, strength 2: case folded, accents kept).</summary>
    private static readonly Collation CaseInsensitive = new("en", strength: CollationStrength.Secondary);

    private IMongoCollection<AttributeDefinitionDocument> AttributeDefinitions
        => database.GetCollection<AttributeDefinitionDocument>("customerAttributeDefinitions");

    private IMongoCollection<LifecycleStagesDocument> LifecycleStageLists => database.GetCollection<LifecycleStagesDocument>("customerLifecycleStages");

    private static FilterDefinitionBuilder<AttributeDefinitionDocument> DefinitionFilter => Builders<AttributeDefinitionDocument>.Filter;

    private async Task InitializeAttributesAsync(CancellationToken ct)
    {
        // One key per workspace whatever its case (keyLower); also the index every lookup and the workspace's list use.
        await AttributeDefinitions.Indexes.CreateOneAsync(new CreateIndexModel<AttributeDefinitionDocument>(
            Builders<AttributeDefinitionDocument>.IndexKeys.Ascending(d => d.WorkspaceId).Ascending(d => d.KeyLower),
            new CreateIndexOptions { Name = "ux_customer_attribute_definitions_key", Unique = true }), cancellationToken: ct);
        // Customers in a stage, case-insensitively: counted before a stage is removed, and filtered on by segments.
        await customers.Indexes.CreateOneAsync(new CreateIndexModel<CustomerDocument>(
            Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending(c => c.LifecycleStage),
            new CreateIndexOptions { Name = "ix_customers_workspace_lifecycle_stage", Collation = CaseInsensitive }), cancellationToken: ct);
        await InitializeCustomerLabelsAsync(ct);
    }

    public async Task<IReadOnlyList<CustomerAttributeDefinition>> ListAttributeDefinitionsAsync(Guid workspaceId, CancellationToken ct = default)
        // ux_customer_attribute_definitions_key for the workspace; a few dozen documents sorted in memory.
        => (await AttributeDefinitions.Find(DefinitionFilter.Eq(d => d.WorkspaceId, workspaceId))
                .Sort(Builders<AttributeDefinitionDocument>.Sort.Ascending(d => d.Position).Ascending(d => d.KeyLower)).ToListAsync(ct))
            .Select(ToDefinition).ToList();

    public async Task<CustomerAttributeDefinition?> GetAttributeDefinitionAsync(Guid workspaceId, string key, CancellationToken ct = default)
        => await AttributeDefinitions.Find(DefinitionOf(workspaceId, key)).FirstOrDefaultAsync(ct) is { } found ? ToDefinition(found) : null;

    public async Task<CustomerAttributeDefinition?> AddAttributeDefinitionAsync(CustomerAttributeDefinition definition, CancellationToken ct = default)
        => await TryUniqueAsync(() => AttributeDefinitions.InsertOneAsync(new AttributeDefinitionDocument
        {
            Id = definition.Id, WorkspaceId = definition.WorkspaceId, Key = definition.Key, KeyLower = definition.Key.ToLowerInvariant(), Label = definition.Label,
            Type = definition.Type, Options = [.. definition.Options], Position = definition.Position, CreatedAtTicks = definition.CreatedAt.UtcTicks,
        }, cancellationToken: ct)) ? definition : null;

    public async Task<DefinitionChangeResult> UpdateAttributeDefinitionAsync(Guid workspaceId, string key, string label, IReadOnlyList<string> options,
        int position, CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync(async (s, token) =>
        {
            if (await AttributeDefinitions.Find(s, DefinitionOf(workspaceId, key)).FirstOrDefaultAsync(token) is not { } found) return DefinitionChangeResult.NotFound;
            var current = ToDefinition(found);
            var heldBy = new Dictionary<string, long>();
            foreach (var option in current.Options.Where(o => !options.Contains(o, StringComparer.OrdinalIgnoreCase)))
            {
                if (await CountHoldersAsync(s, workspaceId, current.Key, option, token) is > 0 and var held) heldBy[option] = held;
            }
            if (heldBy.Count > 0) return new DefinitionChangeResult(DefinitionChangeOutcome.InUse, current, heldBy);
            await AttributeDefinitions.UpdateOneAsync(s, DefinitionFilter.Eq(d => d.Id, current.Id),
                Builders<AttributeDefinitionDocument>.Update.Set(d => d.Label, label).Set(d => d.Options, [.. options]).Set(d => d.Position, position),
                cancellationToken: token);
            return new DefinitionChangeResult(DefinitionChangeOutcome.Changed, current with { Label = label, Options = options, Position = position }, heldBy);
        }, cancellationToken: ct);
    }

    public async Task<DefinitionChangeResult> DeleteAttributeDefinitionAsync(Guid workspaceId, string key, CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync(async (s, token) =>
        {
            if (await AttributeDefinitions.Find(s, DefinitionOf(workspaceId, key)).FirstOrDefaultAsync(token) is not { } found) return DefinitionChangeResult.NotFound;
            var current = ToDefinition(found);
            var held = await CountHoldersAsync(s, workspaceId, current.Key, null, token);
            if (held > 0) return new DefinitionChangeResult(DefinitionChangeOutcome.InUse, current, new Dictionary<string, long> { [current.Key] = held });
            await AttributeDefinitions.DeleteOneAsync(s, DefinitionFilter.Eq(d => d.Id, current.Id), cancellationToken: token);
            return new DefinitionChangeResult(DefinitionChangeOutcome.Changed, current, new Dictionary<string, long>());
        }, cancellationToken: ct);
    }

    /// <summary>
    /// Customers with a value for the attribute (<paramref name="option"/> null), or holding that option (a string equal to
    /// it, or an array containing it: Mongo matches both with one equality), case-insensitively. Only before an admin removes
    /// something, so it reads the workspace's customers (ix_customers_workspace_name) rather than keeping an index per attribute.
    /// </summary>
    private Task<long> CountHoldersAsync(IClientSessionHandle session, Guid workspaceId, string key, string? option, CancellationToken ct)
    {
        var field = $"attributes.{key}";
        var held = option is null ? CustomerFilter.Exists(field) : CustomerFilter.Eq(field, option);
        return customers.CountDocumentsAsync(session, CustomerFilter.Eq(c => c.WorkspaceId, workspaceId) & held,
            new CountOptions { Collation = CaseInsensitive }, ct);
    }

    private static FilterDefinition<AttributeDefinitionDocument> DefinitionOf(Guid workspaceId, string key)
        => DefinitionFilter.Eq(d => d.WorkspaceId, workspaceId) & DefinitionFilter.Eq(d => d.KeyLower, key.ToLowerInvariant());

    public async Task<IReadOnlyList<string>> GetLifecycleStagesAsync(Guid workspaceId, CancellationToken ct = default)
        => await LifecycleStageLists.Find(Builders<LifecycleStagesDocument>.Filter.Eq(l => l.WorkspaceId, workspaceId)).FirstOrDefaultAsync(ct) is { } found
            ? found.Stages
            : LifecycleStages.Default;

    public async Task<LifecycleStagesChange> SetLifecycleStagesAsync(Guid workspaceId, IReadOnlyList<string> stages, DateTimeOffset now,
        CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync(async (s, token) =>
        {
            var ofWorkspace = Builders<LifecycleStagesDocument>.Filter.Eq(l => l.WorkspaceId, workspaceId);
            var found = await LifecycleStageLists.Find(s, ofWorkspace).FirstOrDefaultAsync(token);
            IReadOnlyList<string> current = found?.Stages ?? LifecycleStages.Default;
            var heldBy = new Dictionary<string, long>();
            foreach (var removed in current.Where(stage => !stages.Contains(stage, StringComparer.OrdinalIgnoreCase)))
            {
                // ix_customers_workspace_lifecycle_stage (same collation)
                var held = await customers.CountDocumentsAsync(s,
                    CustomerFilter.Eq(c => c.WorkspaceId, workspaceId) & CustomerFilter.Eq(c => c.LifecycleStage, removed),
                    new CountOptions { Collation = CaseInsensitive }, token);
                if (held > 0) heldBy[removed] = held;
            }
            if (heldBy.Count > 0) return new LifecycleStagesChange(false, current, heldBy);
            await LifecycleStageLists.ReplaceOneAsync(s, ofWorkspace,
                new LifecycleStagesDocument { WorkspaceId = workspaceId, Stages = [.. stages], UpdatedAtTicks = now.UtcTicks },
                new ReplaceOptions { IsUpsert = true }, token);
            return new LifecycleStagesChange(true, stages, heldBy);
        }, cancellationToken: ct);
    }

    private static CustomerAttributeDefinition ToDefinition(AttributeDefinitionDocument d)
        => new(d.Id, d.WorkspaceId, d.Key, d.Label, d.Type, d.Options, d.Position, FromTicks(d.CreatedAtTicks));

    /// <summary>The values as a subdocument of the same types as in JSON (numbers as doubles); null when there are none.</summary>
    private static BsonDocument? ToBson(IReadOnlyDictionary<string, JsonElement> attributes)
        => attributes.Count == 0 ? null : new BsonDocument(attributes.Select(a => new BsonElement(a.Key, ToBson(a.Value))));

    private static BsonValue ToBson(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => new BsonString(value.GetString()),
        JsonValueKind.Number => new BsonDouble(value.GetDouble()),
        JsonValueKind.True => BsonBoolean.True,
        JsonValueKind.False => BsonBoolean.False,
        JsonValueKind.Array => new BsonArray(value.EnumerateArray().Select(ToBson)),
        _ => BsonNull.Value,
    };

    private static Dictionary<string, JsonElement> FromBson(BsonDocument? attributes)
        => attributes?.Elements.Where(e => !e.Value.IsBsonNull).ToDictionary(e => e.Name, e => JsonSerializer.SerializeToElement(FromBson(e.Value)))
           ?? [];

    private static object? FromBson(BsonValue value) => value.BsonType switch
    {
        BsonType.String => value.AsString,
        BsonType.Double => value.AsDouble,
        BsonType.Int32 => value.AsInt32,
        BsonType.Int64 => value.AsInt64,
        BsonType.Decimal128 => (decimal)value.AsDecimal128,
        BsonType.Boolean => value.AsBoolean,
        BsonType.Array => value.AsBsonArray.Select(FromBson).ToList(),
        _ => value.ToString(),
    };

    private sealed class AttributeDefinitionDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("key")] public string Key { get; set; } = "";

        // Lower-cased key: unique per workspace whatever the case.
        [BsonElement("keyLower")] public string KeyLower { get; set; } = "";

        [BsonElement("label")] public string Label { get; set; } = "";
        [BsonElement("type")] public string Type { get; set; } = "";
        [BsonElement("options")] public List<string> Options { get; set; } = [];
        [BsonElement("position")] public int Position { get; set; }
        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
    }

    private sealed class LifecycleStagesDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("stages")] public List<string> Stages { get; set; } = [];
        [BsonElement("updatedAtTicks")] public long UpdatedAtTicks { get; set; }
    }

    private sealed partial class CustomerDocument
    {
        // The workspace's custom attributes (MongoInboxStore.Attributes.cs); absent when the customer has none.
        [BsonElement("attributes"), BsonIgnoreIfNull] public BsonDocument? Attributes { get; set; }

        // The workspace labels the customer carries, in the order put on (MongoInboxStore.CustomerLabels.cs).
        [BsonElement("labelIds"), BsonGuidRepresentation(GuidRepresentation.Standard), BsonIgnoreIfNull]
        public List<Guid>? LabelIds { get; set; }
    }
}
