using Crm.Inbox.Assignment;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>The workspace's teams, each one document with its members; the upper-cased name is the unique key.</summary>
public sealed partial class MongoInboxStore : ITeamStore
{
    private IMongoCollection<TeamDocument> Teams => database.GetCollection<TeamDocument>("teams");

    private static FilterDefinitionBuilder<TeamDocument> TeamFilter => Builders<TeamDocument>.Filter;

    private Task InitializeTeamsAsync(CancellationToken ct)
        => Teams.Indexes.CreateOneAsync(new CreateIndexModel<TeamDocument>(
            Builders<TeamDocument>.IndexKeys.Ascending(t => t.WorkspaceId).Ascending(t => t.NameKey),
            new CreateIndexOptions { Name = "ux_teams_workspace_name", Unique = true }), cancellationToken: ct);

    public async Task<Team?> AddTeamAsync(Team team, CancellationToken ct = default)
    {
        return await TryUniqueAsync(() => Teams.InsertOneAsync(ToDocument(team), cancellationToken: ct)) ? team : null;
    }

    public async Task<IReadOnlyList<Team>> ListTeamsAsync(Guid workspaceId, CancellationToken ct = default)
        => (await Teams.Find(TeamFilter.Eq(t => t.WorkspaceId, workspaceId)).Sort(Builders<TeamDocument>.Sort.Ascending(t => t.NameKey)).ToListAsync(ct))
            .Select(ToTeam).ToList();

    public async Task<Team?> GetTeamAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => await Teams.Find(TeamFilter.Eq(t => t.Id, id) & TeamFilter.Eq(t => t.WorkspaceId, workspaceId)).FirstOrDefaultAsync(ct) is { } found
            ? ToTeam(found)
            : null;

    public async Task<Team?> UpdateTeamAsync(Team team, CancellationToken ct = default)
    {
        try
        {
            var replaced = await Teams.ReplaceOneAsync(TeamFilter.Eq(t => t.Id, team.Id) & TeamFilter.Eq(t => t.WorkspaceId, team.WorkspaceId),
                ToDocument(team), cancellationToken: ct);
            return replaced.MatchedCount == 0 ? null : team;
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            return null;
        }
    }

    public async Task<bool> DeleteTeamAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => (await Teams.DeleteOneAsync(TeamFilter.Eq(t => t.Id, id) & TeamFilter.Eq(t => t.WorkspaceId, workspaceId), ct)).DeletedCount > 0;

    private static TeamDocument ToDocument(Team team) => new()
    {
        Id = team.Id, WorkspaceId = team.WorkspaceId, Name = team.Name, NameKey = team.Name.ToUpperInvariant(), Policy = team.Policy,
        MaxOpenPerAgent = team.MaxOpenPerAgent, ReassignAfterMinutes = team.ReassignAfterMinutes, Members = team.Members.ToList(),
        CreatedAtTicks = team.CreatedAt.UtcTicks,
    };

    private static Team ToTeam(TeamDocument d)
        => new(d.Id, d.WorkspaceId, d.Name, d.Policy, d.MaxOpenPerAgent, d.ReassignAfterMinutes, d.Members, FromTicks(d.CreatedAtTicks));

    private sealed class TeamDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("name")] public string Name { get; set; } = "";
        [BsonElement("nameKey")] public string NameKey { get; set; } = "";
        [BsonElement("policy")] public string Policy { get; set; } = "";
        [BsonElement("maxOpenPerAgent")] public int MaxOpenPerAgent { get; set; }
        [BsonElement("reassignAfterMinutes")] public int? ReassignAfterMinutes { get; set; }

        [BsonElement("members"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public List<Guid> Members { get; set; } = [];

        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
    }
}
