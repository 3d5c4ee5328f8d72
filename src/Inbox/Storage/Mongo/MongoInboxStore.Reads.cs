using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>Each agent's read marker per conversation, and the unread counts they give.</summary>
public sealed partial class MongoInboxStore
{
    private IMongoCollection<ReadDocument> Reads => database.GetCollection<ReadDocument>("conversationReads");

    private Task InitializeReadsAsync(CancellationToken ct)
        => Reads.Indexes.CreateOneAsync(new CreateIndexModel<ReadDocument>(
            Builders<ReadDocument>.IndexKeys.Ascending(r => r.AgentId).Ascending(r => r.ConversationId),
            new CreateIndexOptions { Name = "ux_conversation_reads", Unique = true }), cancellationToken: ct);

    public async Task<DateTimeOffset> MarkReadAsync(Guid agentId, Guid conversationId, DateTimeOffset readUpTo, CancellationToken ct = default)
    {
        var filter = Builders<ReadDocument>.Filter.Eq(r => r.AgentId, agentId) & Builders<ReadDocument>.Filter.Eq(r => r.ConversationId, conversationId);
        // $max: the later marker wins, never the older.
        var after = await Reads.FindOneAndUpdateAsync(filter,
            Builders<ReadDocument>.Update.Max(r => r.ReadUpToTicks, readUpTo.UtcTicks).SetOnInsert(r => r.Id, ObjectId.GenerateNewId()),
            new FindOneAndUpdateOptions<ReadDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After }, ct);
        return FromTicks(after.ReadUpToTicks);
    }

    public async Task<IReadOnlyDictionary<Guid, int>> UnreadCountsAsync(Guid agentId, IReadOnlyCollection<Guid> conversationIds, int cap,
        CancellationToken ct = default)
    {
        var markers = (await Reads.Find(Builders<ReadDocument>.Filter.Eq(r => r.AgentId, agentId)
                                        & Builders<ReadDocument>.Filter.In(r => r.ConversationId, conversationIds)).ToListAsync(ct))
            .ToDictionary(r => r.ConversationId, r => r.ReadUpToTicks);
        var counts = new Dictionary<Guid, int>();
        foreach (var conversationId in conversationIds)
        {
            // A bounded range of ix_messages_timeline per conversation.
            var since = markers.GetValueOrDefault(conversationId, -1);
            counts[conversationId] = (int)await messages.CountDocumentsAsync(
                MessageFilter.Eq(m => m.ConversationId, conversationId) & MessageFilter.Gt(m => m.CreatedAtTicks, since)
                & MessageFilter.Eq(m => m.Direction, Crm.Inbox.Timelines.Directions.Inbound),
                new CountOptions { Limit = cap }, ct);
        }
        return counts;
    }

    private sealed class ReadDocument
    {
        [BsonId] public ObjectId Id { get; set; }

        [BsonElement("agentId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid AgentId { get; set; }

        [BsonElement("conversationId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid ConversationId { get; set; }

        [BsonElement("readUpToTicks")] public long ReadUpToTicks { get; set; }
    }
}
