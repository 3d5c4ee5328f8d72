using Crm.Inbox.Assignment;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// Who has which conversation, and agents' presence: one presence document per agent (its id is the agent's), every
/// time in it moved only forward ($max), so beats from several processes in any order agree.
/// <para>
/// A reassignment is one multi-document transaction, so <b>MongoDB must run as a replica set</b> (a single-node one
/// will do; a standalone server refuses transactions). Why a transaction: the conversation's update alone, made
/// conditional on the values it was decided on, stops two processes from both taking a conversation; but capacity is a
/// count of <i>other</i> conversations, which no single-document condition can see, so two processes could each count
/// N-1 and both assign. In the transaction the count, the conversation and the agent's presence document (a counter
/// bumped by every assignment to them) are written together: two transactions assigning to the same agent both write
/// that document, MongoDB lets only the first commit (the other fails with a transient write conflict), and the driver
/// runs the loser again on a fresh snapshot, where it counts the winner's conversation.
/// </para>
/// </summary>
public sealed partial class MongoInboxStore : IAssignmentStore, IAgentPresenceStore
{
    private IMongoCollection<PresenceDocument> Presences => database.GetCollection<PresenceDocument>("agentPresence");

    private static FilterDefinitionBuilder<PresenceDocument> PresenceFilter => Builders<PresenceDocument>.Filter;

    private static readonly TransactionOptions ReassignmentTransaction = new(readConcern: ReadConcern.Snapshot, writeConcern: WriteConcern.WMajority);

    /// <summary>Queued conversations: the queue's partial index holds only these, and a query names this clause to use it.</summary>
    private static FilterDefinition<ConversationDocument> IsQueued => ConversationFilter.Type(c => c.QueuedAtTicks, BsonType.Int64);

    private static FilterDefinition<ConversationDocument> IsOpen => ConversationFilter.Eq(c => c.Status, ConversationStatuses.Open);

    private async Task InitializeAssignmentAsync(CancellationToken ct)
    {
        var existing = await (await conversations.Indexes.ListAsync(ct)).ToListAsync(ct);
        if (!existing.Any(index => index["name"] == "ix_conversations_queue"))
        {
            // Conversations stored before the queue existed: the open ones nobody has join it, in the order their customers
            // waited. Runs once (before the queue's index exists), not on every start.
            await conversations.UpdateManyAsync(IsOpen & ConversationFilter.Eq(c => c.AssigneeId, null) & ConversationFilter.Eq(c => c.QueuedAtTicks, null),
                Builders<ConversationDocument>.Update.Pipeline(new BsonDocument[]
                {
                    new("$set", new BsonDocument("queuedAtTicks", new BsonDocument("$ifNull", new BsonArray { "$waitingSinceTicks", "$lastMessageAtTicks" }))),
                }), cancellationToken: ct);
        }

        var keys = Builders<ConversationDocument>.IndexKeys;
        await conversations.Indexes.CreateManyAsync(
        [
            // The queue, longest queued first: the queue order of the list (cursor (queued at, id)) and MeasureQueuesAsync.
            new CreateIndexModel<ConversationDocument>(keys.Ascending(c => c.WorkspaceId).Ascending(c => c.QueuedAtTicks).Ascending(c => c.Id),
                new CreateIndexOptions<ConversationDocument> { Name = "ix_conversations_queue", PartialFilterExpression = IsQueued }),
            // Each agent's open conversations: the capacity count of every assignment, CountOpenByAssigneeAsync, ListOpenAssignedToAsync.
            new CreateIndexModel<ConversationDocument>(keys.Ascending(c => c.WorkspaceId).Ascending(c => c.AssigneeId),
                new CreateIndexOptions<ConversationDocument> { Name = "ix_conversations_open_assignee", PartialFilterExpression = IsOpen }),
            // "Mine" and "unassigned" lists (assigneeId null), newest activity first.
            new CreateIndexModel<ConversationDocument>(
                keys.Ascending(c => c.WorkspaceId).Ascending(c => c.AssigneeId).Descending(c => c.LastMessageAtTicks).Descending(c => c.Id),
                new CreateIndexOptions { Name = "ix_conversations_workspace_assignee_activity" }),
            // A team's list, newest activity first.
            new CreateIndexModel<ConversationDocument>(
                keys.Ascending(c => c.WorkspaceId).Ascending(c => c.TeamId).Descending(c => c.LastMessageAtTicks).Descending(c => c.Id),
                new CreateIndexOptions { Name = "ix_conversations_workspace_team_activity" }),
        ], ct);
        // ListPresenceAsync and ListPresenceWorkspacesAsync. Creating it also creates the collection, which the reassignment
        // transaction writes to (servers before 4.4 cannot create a collection inside a transaction).
        await Presences.Indexes.CreateOneAsync(new CreateIndexModel<PresenceDocument>(
            Builders<PresenceDocument>.IndexKeys.Ascending(p => p.WorkspaceId),
            new CreateIndexOptions { Name = "ix_agent_presence_workspace" }), cancellationToken: ct);
    }

    public async Task<ReassignmentResult> ReassignAsync(Reassignment change, CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        while (true)
        {
            try
            {
                // WithTransactionAsync runs the whole decision again after a transient conflict (another process's transaction
                // wrote the conversation or the agent's presence first), and retries an unknown commit result.
                if (await session.WithTransactionAsync((s, token) => TryReassignAsync(s, change, token), ReassignmentTransaction, ct) is { } result)
                    return result;
            }
            catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
            {
                // Another process created this agent's presence document first: decide again with it there.
            }
        }
    }

    /// <summary>One attempt inside the transaction; null when the conversation changed under it (decide again).</summary>
    private async Task<ReassignmentResult?> TryReassignAsync(IClientSessionHandle session, Reassignment change, CancellationToken ct)
    {
        var found = await conversations.Find(session, ConversationFilter.Eq(c => c.Id, change.ConversationId)).FirstOrDefaultAsync(ct);
        if (found is null) return ReassignmentResult.NotFound;
        var conversation = ToConversation(found);
        if (!ConversationAssignment.Applies(conversation, change)) return ReassignmentResult.Moved;
        if (change.To is { } to && change.Capacity is { } capacity
            && await CountOpenAsync(session, conversation.WorkspaceId, to, conversation.Id, capacity, ct) >= capacity)
            return ReassignmentResult.Full;

        var (after, entries) = ConversationAssignment.Apply(conversation, change);
        // Conditional on everything the decision read, so the write can never land on a conversation that moved meanwhile,
        // transaction or not (in one, a concurrent change is a write conflict first).
        var updated = await conversations.UpdateOneAsync(session,
            ConversationFilter.Eq(c => c.Id, found.Id)
            & ConversationFilter.Eq(c => c.AssigneeId, found.AssigneeId)
            & ConversationFilter.Eq(c => c.Status, found.Status)
            & ConversationFilter.Eq(c => c.AssignedAtTicks, found.AssignedAtTicks)
            & ConversationFilter.Eq(c => c.TeamId, found.TeamId)
            & ConversationFilter.Eq(c => c.QueuedAtTicks, found.QueuedAtTicks)
            & ConversationFilter.Eq(c => c.ReturnedFrom, found.ReturnedFrom),
            Builders<ConversationDocument>.Update
                .Set(c => c.AssigneeId, after.AssigneeId)
                .Set(c => c.AssignedAtTicks, after.AssignedAt?.UtcTicks)
                .Set(c => c.QueuedAtTicks, after.QueuedAt?.UtcTicks)
                .Set(c => c.TeamId, after.TeamId)
                .Set(c => c.ReturnedFrom, after.ReturnedFrom),
            cancellationToken: ct);
        if (updated.MatchedCount == 0) return null;

        if (change.To is { } assignee)
        {
            // The capacity guard (see the class), and round robin: the agent's turn was just now.
            await Presences.UpdateOneAsync(session, PresenceFilter.Eq(p => p.AgentId, assignee),
                NewPresence(after.WorkspaceId).Inc(p => p.Assignments, 1).Max(p => p.LastAssignedAtTicks, change.At.UtcTicks),
                new UpdateOptions { IsUpsert = true }, ct);
        }
        if (entries.Count > 0) await messages.InsertManyAsync(session, entries.Select(ToDocument), cancellationToken: ct);
        return new ReassignmentResult(ReassignmentOutcome.Done, new ConversationChanged(after, entries));
    }

    private Task<long> CountOpenAsync(IClientSessionHandle session, Guid workspaceId, Guid agentId, Guid except, int capacity, CancellationToken ct)
        // ix_conversations_open_assignee; counting past the capacity would tell nothing more.
        => conversations.CountDocumentsAsync(session,
            ConversationFilter.Eq(c => c.WorkspaceId, workspaceId) & IsOpen & ConversationFilter.Eq(c => c.AssigneeId, agentId)
            & ConversationFilter.Ne(c => c.Id, except),
            new CountOptions { Limit = capacity }, ct);

    public async Task<IReadOnlyDictionary<Guid, int>> CountOpenByAssigneeAsync(Guid workspaceId, CancellationToken ct = default)
    {
        // ix_conversations_open_assignee
        var counts = await conversations.Aggregate()
            .Match(ConversationFilter.Eq(c => c.WorkspaceId, workspaceId) & IsOpen & ConversationFilter.Ne(c => c.AssigneeId, null))
            .Group(c => c.AssigneeId, g => new { AgentId = g.Key, Open = g.Count() })
            .ToListAsync(ct);
        return counts.ToDictionary(c => c.AgentId!.Value, c => c.Open);
    }

    public async Task<IReadOnlyList<QueueLength>> MeasureQueuesAsync(Guid workspaceId, CancellationToken ct = default)
    {
        // ix_conversations_queue: only queued conversations are read.
        var queues = await conversations.Aggregate()
            .Match(ConversationFilter.Eq(c => c.WorkspaceId, workspaceId) & IsQueued)
            .Group(c => c.TeamId, g => new { TeamId = g.Key, Waiting = g.Count(), Oldest = g.Min(c => c.QueuedAtTicks) })
            .ToListAsync(ct);
        return queues.Select(q => new QueueLength(q.TeamId, q.Waiting, FromTicks(q.Oldest!.Value))).ToList();
    }

    public async Task<IReadOnlyList<Conversation>> ListOpenAssignedToAsync(Guid workspaceId, Guid agentId, int take, CancellationToken ct = default)
    {
        // ix_conversations_open_assignee
        var find = conversations.Find(ConversationFilter.Eq(c => c.WorkspaceId, workspaceId) & IsOpen & ConversationFilter.Eq(c => c.AssigneeId, agentId));
        return (await PageAsync(find, take, ct)).Select(ToConversation).ToList();
    }

    public async Task<IReadOnlyList<Conversation>> ListUnansweredAsync(Guid workspaceId, Guid teamId, DateTimeOffset cutoff, int take,
        CancellationToken ct = default)
    {
        // ix_conversations_workspace_waiting, from the longest waiting up to the cutoff ($lte on a number never matches null).
        var find = conversations.Find(ConversationFilter.Eq(c => c.WorkspaceId, workspaceId)
                                      & ConversationFilter.Lte(c => c.WaitingSinceTicks, cutoff.UtcTicks)
                                      & IsOpen
                                      & ConversationFilter.Eq(c => c.TeamId, teamId)
                                      & ConversationFilter.Ne(c => c.AssigneeId, null)
                                      & ConversationFilter.Lte(c => c.AssignedAtTicks, cutoff.UtcTicks))
            .Sort(Builders<ConversationDocument>.Sort.Ascending(c => c.WaitingSinceTicks).Ascending(c => c.Id));
        return (await PageAsync(find, take, ct)).Select(ToConversation).ToList();
    }

    public Task RecordBeatsAsync(IReadOnlyList<PresenceBeat> beats, CancellationToken ct = default)
    {
        if (beats.Count == 0) return Task.CompletedTask;
        // Primary key. A beat from a process whose clock or message is late never moves a time backwards.
        var upserts = beats.Select(beat =>
        {
            var update = NewPresence(beat.WorkspaceId).Max(p => p.LastSeenAtTicks, beat.SeenAt.UtcTicks);
            if (beat.ActiveAt is { } active) update = update.Max(p => p.LastActiveAtTicks, active.UtcTicks);
            return new UpdateOneModel<PresenceDocument>(PresenceFilter.Eq(p => p.AgentId, beat.AgentId), update) { IsUpsert = true };
        });
        return Presences.BulkWriteAsync(upserts, new BulkWriteOptions { IsOrdered = false }, ct);
    }

    public async Task<AgentPresence> SetAvailabilityAsync(Guid agentId, Guid workspaceId, string availability, DateTimeOffset at, CancellationToken ct = default)
    {
        // Primary key. Choosing is activity too.
        var after = await Presences.FindOneAndUpdateAsync(PresenceFilter.Eq(p => p.AgentId, agentId),
            Builders<PresenceDocument>.Update
                .SetOnInsert(p => p.WorkspaceId, workspaceId)
                .Set(p => p.Chosen, availability)
                .Set(p => p.ChosenAtTicks, at.UtcTicks)
                .Max(p => p.LastActiveAtTicks, at.UtcTicks),
            new FindOneAndUpdateOptions<PresenceDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After }, ct);
        return ToPresence(after);
    }

    public async Task<IReadOnlyList<AgentPresence>> ListPresenceAsync(Guid workspaceId, CancellationToken ct = default)
        // ix_agent_presence_workspace
        => (await Presences.Find(PresenceFilter.Eq(p => p.WorkspaceId, workspaceId)).ToListAsync(ct)).Select(ToPresence).ToList();

    public async Task<IReadOnlyList<Guid>> ListPresenceWorkspacesAsync(CancellationToken ct = default)
        // ix_agent_presence_workspace (distinct reads only the index).
        => await (await Presences.DistinctAsync(p => p.WorkspaceId, PresenceFilter.Empty, cancellationToken: ct)).ToListAsync(ct);

    /// <summary>Creates the agent's presence on first contact: online by choice (their default), chosen never, as an unknown agent is.</summary>
    private static UpdateDefinition<PresenceDocument> NewPresence(Guid workspaceId)
        => Builders<PresenceDocument>.Update
            .SetOnInsert(p => p.WorkspaceId, workspaceId)
            .SetOnInsert(p => p.Chosen, Availabilities.Online)
            .SetOnInsert(p => p.ChosenAtTicks, 0L);

    private static AgentPresence ToPresence(PresenceDocument d) => new(d.AgentId, d.WorkspaceId, d.Chosen, FromTicks(d.ChosenAtTicks),
        d.LastSeenAtTicks is { } seen ? FromTicks(seen) : null, d.LastActiveAtTicks is { } active ? FromTicks(active) : null,
        d.LastAssignedAtTicks is { } assigned ? FromTicks(assigned) : null);

    private sealed class PresenceDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid AgentId { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("chosen")] public string Chosen { get; set; } = Availabilities.Online;
        [BsonElement("chosenAtTicks")] public long ChosenAtTicks { get; set; }
        [BsonElement("lastSeenAtTicks")] public long? LastSeenAtTicks { get; set; }
        [BsonElement("lastActiveAtTicks")] public long? LastActiveAtTicks { get; set; }
        [BsonElement("lastAssignedAtTicks")] public long? LastAssignedAtTicks { get; set; }

        // Bumped by every assignment to the agent, inside its transaction: what makes two concurrent ones conflict.
        [BsonElement("assignments")] public long Assignments { get; set; }
    }
}
