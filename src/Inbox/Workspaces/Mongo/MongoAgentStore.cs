using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Workspaces.Mongo;

public sealed class MongoAgentStore(IMongoDatabase database) : IAgentStore
{
    private readonly IMongoCollection<AgentDocument> agents = database.GetCollection<AgentDocument>("agents");
    private readonly IMongoCollection<InvitationDocument> invitations = database.GetCollection<InvitationDocument>("agentInvitations");

    /// <summary>One document per workspace that every change taking an active owner away writes (see <see cref="ChangeKeepingAnOwnerAsync"/>).</summary>
    private const string OwnerGuards = "workspaceOwnerGuards";

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
        // Written inside transactions, which cannot create a collection on servers before 4.4.
        try
        {
            await database.CreateCollectionAsync(OwnerGuards, cancellationToken: ct);
        }
        catch (MongoCommandException exists) when (exists.CodeName == "NamespaceExists")
        {
        }
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
        if (role is null or AgentRoles.Owner) return await UpdateAsync(null, id, AgentUpdate.Combine(updates), ct);
        return await ChangeKeepingAnOwnerAsync(id, AgentUpdate.Combine(updates), ct);
    }

    public async Task<Agent?> SetActiveAsync(Guid id, bool active, string sessionStamp, CancellationToken ct = default)
    {
        var update = AgentUpdate.Set(a => a.IsActive, active).Set(a => a.SessionStamp, sessionStamp);
        return active ? await UpdateAsync(null, id, update, ct) : await ChangeKeepingAnOwnerAsync(id, update, ct);
    }

    /// <summary>
    /// A change that takes an agent's owner rights away (a demotion, a deactivation), made only if another active owner
    /// remains. A multi-document transaction (MongoDB runs as a replica set for Crm: see the README) that counts the other
    /// owners and writes the workspace's guard document: two such changes in one workspace both write it, so only one
    /// commits and the other runs again on a fresh snapshot, where it sees the first. Without the guard each would count
    /// the other owner, and both would go.
    /// </summary>
    private async Task<Agent?> ChangeKeepingAnOwnerAsync(Guid id, UpdateDefinition<AgentDocument> update, CancellationToken ct)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync(async (s, token) =>
        {
            var agent = await agents.Find(s, AgentFilter.Eq(a => a.Id, id)).FirstOrDefaultAsync(token);
            if (agent is null) return null;
            if (agent is { Role: AgentRoles.Owner, IsActive: true })
            {
                await database.GetCollection<BsonDocument>(OwnerGuards).UpdateOneAsync(s, new BsonDocument("_id", agent.WorkspaceId.ToString()),
                    new BsonDocument("$inc", new BsonDocument("changes", 1)), new UpdateOptions { IsUpsert = true }, token);
                // ix_agents_workspace
                var others = await agents.CountDocumentsAsync(s, AgentFilter.Eq(a => a.WorkspaceId, agent.WorkspaceId)
                    & AgentFilter.Eq(a => a.Role, AgentRoles.Owner) & AgentFilter.Eq(a => a.IsActive, true) & AgentFilter.Ne(a => a.Id, id),
                    cancellationToken: token);
                if (others == 0) return agent.ToAgent();
            }
            return await UpdateAsync(s, id, update, token);
        }, cancellationToken: ct);
    }

    private async Task<Agent?> UpdateAsync(IClientSessionHandle? session, Guid id, UpdateDefinition<AgentDocument> update, CancellationToken ct)
    {
        var after = new FindOneAndUpdateOptions<AgentDocument> { ReturnDocument = ReturnDocument.After };
        var updated = session is null
            ? await agents.FindOneAndUpdateAsync(AgentFilter.Eq(a => a.Id, id), update, after, ct)
            : await agents.FindOneAndUpdateAsync(session, AgentFilter.Eq(a => a.Id, id), update, after, ct);
        return updated?.ToAgent();
    }

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
