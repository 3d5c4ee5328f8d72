using Crm.Contracts;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// The reply outbox: a reply's dispatch state lives on its own message document. A document is in the
/// outbox while <c>dispatchDueAtTicks</c> is set; settling it (an outcome, or the give-up sweep) clears it.
/// Claims are compare-and-set updates on the state that was read, so two processes never take one attempt.
/// </summary>
public sealed partial class MongoInboxStore : IReplyOutbox
{
    private static FilterDefinition<MessageDocument> InOutbox => MessageFilter.Type(m => m.DispatchDueAtTicks, BsonType.Int64);

    private async Task InitializeRepliesAsync(CancellationToken ct)
    {
        await messages.Indexes.CreateManyAsync(
        [
            // Partial indexes: only replies still in the outbox are in them, so they stay small.
            // The dispatcher's "what is due" query.
            new CreateIndexModel<MessageDocument>(
                Builders<MessageDocument>.IndexKeys.Ascending(m => m.DispatchDueAtTicks),
                new CreateIndexOptions<MessageDocument> { Name = "ix_messages_dispatch_due", PartialFilterExpression = InOutbox }),
            // The give-up sweep's "what is overdue" query.
            new CreateIndexModel<MessageDocument>(
                Builders<MessageDocument>.IndexKeys.Ascending(m => m.DispatchNotAfterTicks),
                new CreateIndexOptions<MessageDocument> { Name = "ix_messages_dispatch_deadline", PartialFilterExpression = InOutbox }),
            // A reply is resent at most once (a double click must not message the customer twice).
            new CreateIndexModel<MessageDocument>(
                Builders<MessageDocument>.IndexKeys.Ascending(m => m.ResendOf),
                new CreateIndexOptions<MessageDocument>
                {
                    Name = "ux_messages_resend_of",
                    Unique = true,
                    PartialFilterExpression = MessageFilter.Type(m => m.ResendOf, BsonType.Binary),
                }),
        ], ct);
    }

    public async Task<bool> AppendReplyAsync(TimelineMessage reply, OutboundReply outbound, CancellationToken ct = default)
    {
        var document = ToDocument(reply);
        document.DispatchTo = outbound.To;
        document.DispatchFrom = outbound.From;
        document.DispatchAttempt = 1;
        document.DispatchDueAtTicks = reply.CreatedAt.UtcTicks;
        document.DispatchNotAfterTicks = outbound.NotAfter.UtcTicks;
        try
        {
            await messages.InsertOneAsync(document, cancellationToken: ct);
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            // The original was already resent (ux_messages_resend_of).
            return false;
        }

        await MoveLastActivityAsync(reply, ct);
        await WriteReplyBehaviourAsync(reply, ct);
        // Answered: the customer no longer waits.
        await conversations.UpdateOneAsync(ConversationFilter.Eq(c => c.Id, reply.ConversationId) & ConversationFilter.Ne(c => c.WaitingSinceTicks, null),
            Builders<ConversationDocument>.Update.Set(c => c.WaitingSinceTicks, null), cancellationToken: ct);
        return true;
    }

    public async Task<TimelineMessage?> FindResendAsync(Guid originalId, CancellationToken ct = default)
    {
        // ux_messages_resend_of (the $type clause lets the planner use the partial index).
        var found = await messages.Find(MessageFilter.Eq(m => m.ResendOf, originalId) & MessageFilter.Type(m => m.ResendOf, BsonType.Binary))
            .FirstOrDefaultAsync(ct);
        return found is null ? null : ToMessage(found);
    }

    public async Task<IReadOnlyList<ReplyDispatch>> ClaimDueRepliesAsync(DateTimeOffset now, TimeSpan lease, int take, CancellationToken ct = default)
    {
        // ix_messages_dispatch_due
        var due = await messages.Find(InOutbox
                                      & MessageFilter.Lte(m => m.DispatchDueAtTicks, now.UtcTicks)
                                      & MessageFilter.Gt(m => m.DispatchNotAfterTicks, now.UtcTicks))
            .Sort(Builders<MessageDocument>.Sort.Ascending(m => m.DispatchDueAtTicks))
            .Limit(take)
            .ToListAsync(ct);

        var claimed = new List<ReplyDispatch>();
        foreach (var seen in due)
        {
            var token = Guid.NewGuid().ToString("N");
            // A claim still set here belongs to a dispatcher that died mid-send: that attempt may be on the bus.
            var result = await messages.UpdateOneAsync(
                MessageFilter.Eq(m => m.Id, seen.Id)
                & MessageFilter.Eq(m => m.DispatchDueAtTicks, seen.DispatchDueAtTicks)
                & MessageFilter.Eq(m => m.DispatchAttempt, seen.DispatchAttempt)
                & MessageFilter.Eq(m => m.DispatchClaim, seen.DispatchClaim),
                Builders<MessageDocument>.Update
                    .Set(m => m.DispatchDueAtTicks, (now + lease).UtcTicks)
                    .Set(m => m.DispatchClaim, token)
                    .Set(m => m.DispatchHanded, seen.DispatchHanded || seen.DispatchClaim is not null),
                cancellationToken: ct);
            if (result.ModifiedCount != 1) continue; // another dispatcher took it first

            claimed.Add(new ReplyDispatch(seen.Id, seen.ConversationId, seen.Channel, seen.DispatchTo ?? "", seen.DispatchFrom, seen.Text ?? "",
                seen.DispatchAttempt, FromTicks(seen.DispatchNotAfterTicks ?? 0), token, seen.DispatchSends, seen.DispatchRefusals)
            {
                WorkspaceId = seen.WorkspaceId,
                Extras = seen.Extras is { } extras ? System.Text.Json.JsonSerializer.Deserialize<TimelineExtras>(extras, ExtrasJson) : null,
            });
        }
        if (claimed.Count == 0) return claimed;

        // The send goes out through the conversation's channel connection.
        var connections = await conversations.Find(ConversationFilter.In(c => c.Id, claimed.Select(c => c.ConversationId).Distinct()))
            .Project(c => new { c.Id, c.ConnectionId }).ToListAsync(ct);
        var connectionOf = connections.ToDictionary(c => c.Id, c => c.ConnectionId);
        return claimed.Select(c => c with { ConnectionId = connectionOf.GetValueOrDefault(c.ConversationId) }).ToList();
    }

    public async Task<bool> MarkHandedOverAsync(ReplyDispatch claimed, DateTimeOffset redispatchAt, CancellationToken ct = default)
    {
        var result = await messages.UpdateOneAsync(HeldClaim(claimed),
            Builders<MessageDocument>.Update
                .Set(m => m.DispatchHanded, true)
                .Inc(m => m.DispatchSends, 1)
                .Set(m => m.DispatchClaim, null)
                .Set(m => m.DispatchDueAtTicks, redispatchAt.UtcTicks),
            cancellationToken: ct);
        return result.MatchedCount == 1;
    }

    public async Task<bool> MarkBusRefusedAsync(ReplyDispatch claimed, DateTimeOffset retryAt, CancellationToken ct = default)
    {
        var result = await messages.UpdateOneAsync(HeldClaim(claimed),
            Builders<MessageDocument>.Update
                .Inc(m => m.DispatchRefusals, 1)
                .Set(m => m.DispatchClaim, null)
                .Set(m => m.DispatchDueAtTicks, retryAt.UtcTicks),
            cancellationToken: ct);
        return result.MatchedCount == 1;
    }

    private static FilterDefinition<MessageDocument> HeldClaim(ReplyDispatch claimed)
        => MessageFilter.Eq(m => m.Id, claimed.MessageId)
           & MessageFilter.Eq(m => m.DispatchClaim, claimed.ClaimToken)
           & MessageFilter.Eq(m => m.DispatchAttempt, claimed.Attempt)
           & InOutbox;

    public async Task<TimelineMessage?> ScheduleNextAttemptAsync(Guid messageId, int failedAttempt, DateTimeOffset nextAttemptAt, DateTimeOffset at, CancellationToken ct = default)
    {
        var rank = MessageStatuses.Rank(MessageStatuses.Retrying);
        var result = await messages.UpdateOneAsync(
            MessageFilter.Eq(m => m.Id, messageId)
            & MessageFilter.Eq(m => m.DispatchAttempt, failedAttempt)
            & MessageFilter.Lte(m => m.StatusRank, rank)
            & InOutbox,
            Builders<MessageDocument>.Update
                .Set(m => m.Status, MessageStatuses.Retrying)
                .Set(m => m.StatusRank, rank)
                .Set(m => m.StatusUpdatedAtTicks, at.UtcTicks)
                .Inc(m => m.DispatchAttempt, 1)
                .Set(m => m.DispatchDueAtTicks, nextAttemptAt.UtcTicks)
                .Set(m => m.DispatchClaim, null)
                .Set(m => m.DispatchHanded, false)
                .Set(m => m.DispatchSends, 0)
                .Set(m => m.DispatchRefusals, 0),
            cancellationToken: ct);
        return result.MatchedCount == 0 ? null : await GetMessageAsync(messageId, ct);
    }

    public async Task<IReadOnlyList<TimelineMessage>> GiveUpOverdueRepliesAsync(DateTimeOffset deadlineBefore, DateTimeOffset now, int take, CancellationToken ct = default)
    {
        // ix_messages_dispatch_deadline
        var overdue = await messages.Find(InOutbox & MessageFilter.Lt(m => m.DispatchNotAfterTicks, deadlineBefore.UtcTicks))
            .Sort(Builders<MessageDocument>.Sort.Ascending(m => m.DispatchNotAfterTicks))
            .Limit(take)
            .ToListAsync(ct);

        var settled = new List<TimelineMessage>();
        var retryingRank = MessageStatuses.Rank(MessageStatuses.Retrying);
        foreach (var seen in overdue)
        {
            var mayHaveBeenSent = seen.DispatchHanded || seen.DispatchClaim is not null;
            var status = mayHaveBeenSent ? MessageStatuses.UnknownOutcome : MessageStatuses.Failed;
            var update = Builders<MessageDocument>.Update
                .Set(m => m.Status, status)
                .Set(m => m.StatusRank, MessageStatuses.Rank(status))
                .Set(m => m.StatusUpdatedAtTicks, now.UtcTicks)
                .Set(m => m.DispatchDueAtTicks, null)
                .Set(m => m.DispatchClaim, null);
            if (!mayHaveBeenSent) update = update.Set(m => m.ErrorCode, SendFailures.NotDispatched);
            // Compare-and-set on what decided the verdict: a hand-over recorded meanwhile is decided next sweep.
            var moved = await messages.FindOneAndUpdateAsync(
                MessageFilter.Eq(m => m.Id, seen.Id)
                & MessageFilter.Lte(m => m.StatusRank, retryingRank)
                & MessageFilter.Eq(m => m.DispatchHanded, seen.DispatchHanded)
                & MessageFilter.Eq(m => m.DispatchClaim, seen.DispatchClaim)
                & InOutbox,
                update, new FindOneAndUpdateOptions<MessageDocument> { ReturnDocument = ReturnDocument.After }, ct);
            if (moved is not null)
            {
                settled.Add(ToMessage(moved));
                continue;
            }

            // Already further along than pending/retrying: it only leaves the outbox.
            await messages.UpdateOneAsync(
                MessageFilter.Eq(m => m.Id, seen.Id) & MessageFilter.Gt(m => m.StatusRank, retryingRank) & InOutbox,
                Builders<MessageDocument>.Update.Set(m => m.DispatchDueAtTicks, null).Set(m => m.DispatchClaim, null),
                cancellationToken: ct);
        }
        return settled;
    }

    private sealed partial class MessageDocument
    {
        [BsonElement("resendOf"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? ResendOf { get; set; }

        // The reply's dispatch state; absent on inbound messages.
        [BsonElement("dispatchTo")] public string? DispatchTo { get; set; }
        [BsonElement("dispatchFrom")] public string? DispatchFrom { get; set; }
        [BsonElement("dispatchAttempt")] public int DispatchAttempt { get; set; }
        [BsonElement("dispatchDueAtTicks")] public long? DispatchDueAtTicks { get; set; }
        [BsonElement("dispatchNotAfterTicks")] public long? DispatchNotAfterTicks { get; set; }
        [BsonElement("dispatchHanded")] public bool DispatchHanded { get; set; }
        [BsonElement("dispatchClaim")] public string? DispatchClaim { get; set; }
        [BsonElement("dispatchSends")] public int DispatchSends { get; set; }
        [BsonElement("dispatchRefusals")] public int DispatchRefusals { get; set; }
    }
}
