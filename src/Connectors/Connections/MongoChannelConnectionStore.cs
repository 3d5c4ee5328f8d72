using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Connectors.Connections;

/// <summary>
/// Connections as a collection in the distributed MongoDB database. A unique partial index over the senders
/// of enabled connections keeps each sender to one enabled connection, whichever process writes.
/// </summary>
public sealed class MongoChannelConnectionStore(IMongoDatabase database) : IChannelConnectionStore
{
    private const string SenderIndex = "ux_channel_connections_enabled_senders";

    private readonly IMongoCollection<ConnectionDocument> connections = database.GetCollection<ConnectionDocument>("channel_connections")
        .WithWriteConcern(WriteConcern.WMajority)
        .WithReadConcern(ReadConcern.Majority)
        .WithReadPreference(ReadPreference.Primary);

    private static FilterDefinitionBuilder<ConnectionDocument> Filter => Builders<ConnectionDocument>.Filter;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        var keys = Builders<ConnectionDocument>.IndexKeys;
        await connections.Indexes.CreateManyAsync(
        [
            // The admin API lists a workspace's connections.
            new CreateIndexModel<ConnectionDocument>(keys.Ascending(c => c.WorkspaceId).Ascending(c => c.CreatedAtTicks),
                new CreateIndexOptions { Name = "ix_channel_connections_workspace" }),
            // Multikey and unique across documents: a sender belongs to at most one enabled connection; also the sender lookup.
            new CreateIndexModel<ConnectionDocument>(keys.Ascending(c => c.Senders),
                new CreateIndexOptions<ConnectionDocument> { Name = SenderIndex, Unique = true, PartialFilterExpression = Filter.Eq(c => c.Enabled, true) }),
        ], ct);
    }

    public async Task<ChannelConnection?> FindAsync(Guid id, CancellationToken ct = default)
        => (await connections.Find(Filter.Eq(c => c.Id, id)).FirstOrDefaultAsync(ct))?.ToConnection();

    public async Task<IReadOnlyList<ChannelConnection>> ListAsync(Guid workspaceId, CancellationToken ct = default)
        => (await connections.Find(Filter.Eq(c => c.WorkspaceId, workspaceId)).SortBy(c => c.CreatedAtTicks).ThenBy(c => c.Id).ToListAsync(ct))
            .Select(c => c.ToConnection()).ToList();

    public async Task<ChannelConnection?> FindEnabledBySenderAsync(string sender, CancellationToken ct = default)
        => (await connections.Find(Filter.AnyEq(c => c.Senders, sender) & Filter.Eq(c => c.Enabled, true)).FirstOrDefaultAsync(ct))?.ToConnection();

    public async Task<bool> AddAsync(ChannelConnection connection, CancellationToken ct = default)
    {
        try
        {
            await connections.InsertOneAsync(ConnectionDocument.From(connection), cancellationToken: ct);
            return true;
        }
        catch (MongoWriteException error) when (error.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            if (error.WriteError.Message.Contains(SenderIndex, StringComparison.Ordinal)) throw SenderTaken(connection);
            return false;
        }
    }

    public async Task<bool> UpdateAsync(ChannelConnection connection, CancellationToken ct = default)
    {
        try
        {
            var replaced = await connections.ReplaceOneAsync(Filter.Eq(c => c.Id, connection.Id) & Filter.Eq(c => c.WorkspaceId, connection.WorkspaceId),
                ConnectionDocument.From(connection), cancellationToken: ct);
            return replaced.MatchedCount == 1;
        }
        catch (MongoWriteException error) when (error.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            throw SenderTaken(connection);
        }
    }

    public async Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => (await connections.DeleteOneAsync(Filter.Eq(c => c.Id, id) & Filter.Eq(c => c.WorkspaceId, workspaceId), ct)).DeletedCount == 1;

    /// <summary>Mongo's duplicate-key error names the index, not which sender: name them all.</summary>
    private static SenderTakenException SenderTaken(ChannelConnection connection) => new(string.Join(", ", connection.Senders));

    private sealed class ConnectionDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
        [BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid WorkspaceId { get; set; }
        public string Type { get; set; } = "";
        public string DisplayName { get; set; } = "";
        public bool Enabled { get; set; }
        [BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid? RoutingTeamId { get; set; }
        public long CreatedAtTicks { get; set; }
        public long UpdatedAtTicks { get; set; }
        public List<string> Senders { get; set; } = [];
        public string Settings { get; set; } = "";
        public string Secrets { get; set; } = "";

        /// <summary>The template catalog as JSON: its shape is the catalog's, not something queries look into.</summary>
        public string Templates { get; set; } = "[]";

        public static ConnectionDocument From(ChannelConnection c) => new()
        {
            Id = c.Id, WorkspaceId = c.WorkspaceId, Type = c.Type, DisplayName = c.DisplayName, Enabled = c.Enabled,
            RoutingTeamId = c.RoutingTeamId, CreatedAtTicks = c.CreatedAt.UtcTicks, UpdatedAtTicks = c.UpdatedAt.UtcTicks,
            Senders = c.Senders.Distinct(StringComparer.Ordinal).ToList(), Settings = c.SettingsJson, Secrets = c.ProtectedSecrets,
            Templates = System.Text.Json.JsonSerializer.Serialize(c.Templates, Json),
        };

        public ChannelConnection ToConnection() => new(Id, WorkspaceId, Type, DisplayName, Enabled, RoutingTeamId,
            new DateTimeOffset(CreatedAtTicks, TimeSpan.Zero), new DateTimeOffset(UpdatedAtTicks, TimeSpan.Zero), Senders, Settings, Secrets)
        {
            Templates = System.Text.Json.JsonSerializer.Deserialize<List<Crm.Contracts.MessageTemplate>>(Templates, Json) ?? [],
        };

        private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);
    }
}
