using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Connectors.Outbound;

/// <summary>
/// The ledger as a collection in the distributed MongoDB database, one document per message
/// (<c>_id</c> = message id, so the unique _id index decides racing claims). Writes and reads are
/// majority-acknowledged: a claim or a "sent" record must survive a primary failing over.
/// </summary>
public sealed class MongoOutboundLedger(IMongoDatabase database, TimeProvider clock) : IOutboundLedger
{
    private readonly IMongoCollection<LedgerDocument> entries = database.GetCollection<LedgerDocument>("outbound_ledger")
        .WithWriteConcern(WriteConcern.WMajority)
        .WithReadConcern(ReadConcern.Majority)
        .WithReadPreference(ReadPreference.Primary);

    private static FilterDefinitionBuilder<LedgerDocument> Filter => Builders<LedgerDocument>.Filter;
    private static UpdateDefinitionBuilder<LedgerDocument> Update => Builders<LedgerDocument>.Update;

    public Task InitializeAsync(CancellationToken ct = default)
        // Pruning finds old entries by age.
        => entries.Indexes.CreateOneAsync(new CreateIndexModel<LedgerDocument>(
            Builders<LedgerDocument>.IndexKeys.Ascending(e => e.UpdatedAtTicks),
            new CreateIndexOptions { Name = "ix_outbound_ledger_updated_at" }), cancellationToken: ct);

    public async Task<OutboundClaim> ClaimAsync(Guid messageId, TimeSpan lease, CancellationToken ct = default)
    {
        while (true)
        {
            var now = clock.GetUtcNow();
            try
            {
                await entries.InsertOneAsync(new LedgerDocument
                {
                    MessageId = messageId,
                    State = LedgerStates.Claimed,
                    LeaseUntilTicks = (now + lease).UtcTicks,
                    UpdatedAtTicks = now.UtcTicks,
                }, cancellationToken: ct);
                return new OutboundClaim(ClaimOutcome.Claimed);
            }
            catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
            {
                var entry = await entries.Find(Filter.Eq(d => d.MessageId, messageId)).FirstOrDefaultAsync(ct);
                // Gone since the insert failed: the holder released it, so try to claim again.
                if (entry is null) continue;
                return LedgerStates.ToClaim(entry.State, entry.LeaseUntilTicks, entry.ChannelMessageId, entry.ErrorCode, entry.Reason, now);
            }
        }
    }

    public Task RecordSentAsync(Guid messageId, string channelMessageId, CancellationToken ct = default)
        => entries.UpdateOneAsync(Filter.Eq(d => d.MessageId, messageId),
            Update.Set(d => d.State, LedgerStates.Sent)
                .Set(d => d.ChannelMessageId, channelMessageId)
                .Set(d => d.ErrorCode, null)
                .Set(d => d.Reason, null)
                .Set(d => d.UpdatedAtTicks, clock.GetUtcNow().UtcTicks),
            new UpdateOptions { IsUpsert = true }, ct);

    public Task RecordRefusedAsync(Guid messageId, string errorCode, string reason, CancellationToken ct = default)
        => entries.UpdateOneAsync(StillClaimed(messageId),
            Update.Set(d => d.State, LedgerStates.Refused)
                .Set(d => d.ErrorCode, errorCode)
                .Set(d => d.Reason, reason)
                .Set(d => d.UpdatedAtTicks, clock.GetUtcNow().UtcTicks),
            cancellationToken: ct);

    public Task RecordUnknownAsync(Guid messageId, CancellationToken ct = default)
        => entries.UpdateOneAsync(StillClaimed(messageId),
            Update.Set(d => d.State, LedgerStates.Unknown).Set(d => d.UpdatedAtTicks, clock.GetUtcNow().UtcTicks),
            cancellationToken: ct);

    public Task ReleaseAsync(Guid messageId, CancellationToken ct = default)
        => entries.DeleteOneAsync(StillClaimed(messageId), ct);

    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        // Deletes in Mongo lock documents, not the collection: one statement, by ix_outbound_ledger_updated_at.
        var result = await entries.DeleteManyAsync(Filter.Lt(d => d.UpdatedAtTicks, cutoff.UtcTicks), ct);
        return (int)result.DeletedCount;
    }

    private static FilterDefinition<LedgerDocument> StillClaimed(Guid messageId)
        => Filter.Eq(d => d.MessageId, messageId) & Filter.Eq(d => d.State, LedgerStates.Claimed);

    internal sealed class LedgerDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid MessageId { get; set; }

        [BsonElement("state")] public string State { get; set; } = "";
        [BsonElement("leaseUntilTicks")] public long LeaseUntilTicks { get; set; }
        [BsonElement("channelMessageId")] public string? ChannelMessageId { get; set; }
        [BsonElement("errorCode")] public string? ErrorCode { get; set; }
        [BsonElement("reason")] public string? Reason { get; set; }
        [BsonElement("updatedAtTicks")] public long UpdatedAtTicks { get; set; }
    }
}
