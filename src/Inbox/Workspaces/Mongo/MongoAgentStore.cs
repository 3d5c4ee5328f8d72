using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Workspaces.Mongo;

public sealed class MongoAgentStore(IMongoDatabase database) : IAgentStore
{
    private readonly IMongoCollection<AgentDocument> agents = database.GetCollection<AgentDocument>("agents");
    private readonly IMongoCollection<InvitationDocument> invitations = database.GetCollection<InvitationDocument>("agentInvitations");

    private static FilterDefinitionBuilder<AgentDocument> AgentFilter => Builders<AgentDocument>.Filter;
    private static UpdateDefinitionBuilder<AgentDocument> AgentUpdate => Builders<AgentDocument>.Update;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await agents.Indexes.CreateManyAsync(
        [
            // Sign-in finds agents by email; unique per deployment whatever the case.
            new CreateIndexModel<AgentDocument>(Builders<AgentDocument>.IndexKeys.Ascending(a => a.EmailNormalized),
                new CreateIndexOptions { Name = "ux_agents_email", Unique = true }),
            // A workspace's agent list (oldest first) and its owner count.
            new CreateIndexModel<AgentDocument>(
                Builders<AgentDocument>.IndexKeys.Ascending(a => a.WorkspaceId).Ascending(a => a.Role).Ascending(a => a.CreatedAtTicks),
                new CreateIndexOptions { Name = "ix_agents_workspace" }),
        ], ct);
        // Accepting finds an invitation by its token's hash.
        await invitations.Indexes.CreateOneAsync(new CreateIndexModel<InvitationDocument>(
            Builders<InvitationDocument>.IndexKeys.Ascending(i => i.TokenHash),
            new CreateIndexOptions { Name = "ux_agent_invitations_token", Unique = true }), cancellationToken: ct);
    }

    public async Task<bool> TryCreateAsync(Agent agent, CancellationToken ct = default)
    {
        try
        {
            await agents.InsertOneAsync(AgentDocument.From(agent), cancellationToken: ct);
            return true;
        }
        catch (MongoWriteException error) when (error.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            return false;
        }
    }

    public async Task<Agent?> GetAsync(Guid id, CancellationToken ct = default)
        => (await agents.Find(a => a.Id == id).FirstOrDefaultAsync(ct))?.ToAgent();

    public async Task<Agent?> FindByEmailAsync(string email, CancellationToken ct = default)
    {
        var normalized = Agent.NormalizeEmail(email);
        return (await agents.Find(a => a.EmailNormalized == normalized).FirstOrDefaultAsync(ct))?.ToAgent();
    }

    public async Task<IReadOnlyList<Agent>> ListAsync(Guid workspaceId, CancellationToken ct = default)
    {
        var documents = await agents.Find(a => a.WorkspaceId == workspaceId)
            .SortBy(a => a.CreatedAtTicks).ThenBy(a => a.Id).ToListAsync(ct);
        return documents.ConvertAll(d => d.ToAgent());
    }

    public async Task<bool> AnyAsync(CancellationToken ct = default)
        => await agents.Find(FilterDefinition<AgentDocument>.Empty).Limit(1).AnyAsync(ct);

    public async Task<int> CountActiveOwnersAsync(Guid workspaceId, CancellationToken ct = default)
        => (int)await agents.CountDocumentsAsync(a => a.WorkspaceId == workspaceId && a.Role == AgentRoles.Owner && a.IsActive, cancellationToken: ct);

    public async Task<Agent?> RecordFailedSignInAsync(Guid id, int maxFailures, DateTimeOffset lockUntil, CancellationToken ct = default)
    {
        var after = new FindOneAndUpdateOptions<AgentDocument> { ReturnDocument = ReturnDocument.After };
        var counted = await agents.FindOneAndUpdateAsync(AgentFilter.Eq(a => a.Id, id), AgentUpdate.Inc(a => a.FailedSignIns, 1), after, ct);
        if (counted is null || counted.FailedSignIns < maxFailures) return counted?.ToAgent();
        // Only the failure that reached the limit (count still at or past it) locks and restarts the count.
        var locked = await agents.FindOneAndUpdateAsync(
            AgentFilter.Eq(a => a.Id, id) & AgentFilter.Gte(a => a.FailedSignIns, maxFailures),
            AgentUpdate.Set(a => a.FailedSignIns, 0).Set(a => a.LockedUntilTicks, lockUntil.UtcTicks), after, ct);
        return (locked ?? await agents.Find(a => a.Id == id).FirstOrDefaultAsync(ct))?.ToAgent();
    }

    public Task ResetFailedSignInsAsync(Guid id, CancellationToken ct = default)
        => agents.UpdateOneAsync(AgentFilter.Eq(a => a.Id, id),
            AgentUpdate.Set(a => a.FailedSignIns, 0).Set(a => a.LockedUntilTicks, null), cancellationToken: ct);

    public async Task<Agent?> UpdateProfileAsync(Guid id, string? name, string? role, string? sessionStamp = null, CancellationToken ct = default)
    {
        var updates = new List<UpdateDefinition<AgentDocument>>();
        if (name is not null) updates.Add(AgentUpdate.Set(a => a.Name, name));
        if (role is not null) updates.Add(AgentUpdate.Set(a => a.Role, role));
        if (sessionStamp is not null) updates.Add(AgentUpdate.Set(a => a.SessionStamp, sessionStamp));
        if (updates.Count == 0) return await GetAsync(id, ct);
        return (await agents.FindOneAndUpdateAsync(AgentFilter.Eq(a => a.Id, id), AgentUpdate.Combine(updates),
            new FindOneAndUpdateOptions<AgentDocument> { ReturnDocument = ReturnDocument.After }, ct))?.ToAgent();
    }

    public async Task<Agent?> SetActiveAsync(Guid id, bool active, string sessionStamp, CancellationToken ct = default)
        => (await agents.FindOneAndUpdateAsync(AgentFilter.Eq(a => a.Id, id),
            AgentUpdate.Set(a => a.IsActive, active).Set(a => a.SessionStamp, sessionStamp),
            new FindOneAndUpdateOptions<AgentDocument> { ReturnDocument = ReturnDocument.After }, ct))?.ToAgent();

    public Task CreateInvitationAsync(Invitation invitation, CancellationToken ct = default)
        => invitations.InsertOneAsync(new InvitationDocument
        {
            Id = invitation.Id, TokenHash = invitation.TokenHash, Email = invitation.Email, Role = invitation.Role,
            WorkspaceId = invitation.WorkspaceId, InvitedBy = invitation.InvitedBy, CreatedAtTicks = invitation.CreatedAt.UtcTicks,
            ExpiresAtTicks = invitation.ExpiresAt.UtcTicks, UsedAtTicks = invitation.UsedAt?.UtcTicks,
        }, cancellationToken: ct);

    public async Task<Invitation?> FindInvitationAsync(string tokenHash, CancellationToken ct = default)
    {
        var d = await invitations.Find(i => i.TokenHash == tokenHash).FirstOrDefaultAsync(ct);
        return d is null ? null : new Invitation(d.Id, d.TokenHash, d.Email, d.Role, d.WorkspaceId, d.InvitedBy,
            At(d.CreatedAtTicks), At(d.ExpiresAtTicks), d.UsedAtTicks is { } used ? At(used) : null);
    }

    public async Task<bool> TryUseInvitationAsync(Guid id, DateTimeOffset at, CancellationToken ct = default)
    {
        var result = await invitations.UpdateOneAsync(i => i.Id == id && i.UsedAtTicks == null,
            Builders<InvitationDocument>.Update.Set(i => i.UsedAtTicks, at.UtcTicks), cancellationToken: ct);
        return result.ModifiedCount == 1;
    }

    private static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    private sealed class AgentDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("email")] public string Email { get; set; } = "";
        [BsonElement("emailNormalized")] public string EmailNormalized { get; set; } = "";
        [BsonElement("name")] public string Name { get; set; } = "";
        [BsonElement("role")] public string Role { get; set; } = "";
        [BsonElement("passwordHash")] public string PasswordHash { get; set; } = "";
        [BsonElement("active")] public bool IsActive { get; set; }
        [BsonElement("failedSignIns")] public int FailedSignIns { get; set; }
        [BsonElement("lockedUntilTicks")] public long? LockedUntilTicks { get; set; }
        [BsonElement("sessionStamp")] public string SessionStamp { get; set; } = "";
        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }

        public static AgentDocument From(Agent agent) => new()
        {
            Id = agent.Id, WorkspaceId = agent.WorkspaceId, Email = agent.Email.Trim(), EmailNormalized = Agent.NormalizeEmail(agent.Email),
            Name = agent.Name, Role = agent.Role, PasswordHash = agent.PasswordHash, IsActive = agent.IsActive,
            FailedSignIns = agent.FailedSignIns, LockedUntilTicks = agent.LockedUntil?.UtcTicks, SessionStamp = agent.SessionStamp,
            CreatedAtTicks = agent.CreatedAt.UtcTicks,
        };

        public Agent ToAgent() => new(Id, WorkspaceId, Email, Name, Role, PasswordHash, IsActive, FailedSignIns,
            LockedUntilTicks is { } locked ? At(locked) : null, SessionStamp, At(CreatedAtTicks));
    }

    private sealed class InvitationDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("tokenHash")] public string TokenHash { get; set; } = "";
        [BsonElement("email")] public string Email { get; set; } = "";
        [BsonElement("role")] public string Role { get; set; } = "";

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("invitedBy"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid InvitedBy { get; set; }

        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
        [BsonElement("expiresAtTicks")] public long ExpiresAtTicks { get; set; }
        [BsonElement("usedAtTicks")] public long? UsedAtTicks { get; set; }
    }
}
