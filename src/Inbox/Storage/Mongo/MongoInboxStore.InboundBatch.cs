using Crm.Contracts;
using Crm.Inbox.Timelines;
using MassTransit;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// The hot path without transactions: a few set-wise round trips per batch, with the unique indexes
/// deciding any race with another process (a losing insert is a duplicate, not an error).
/// </summary>
public sealed partial class MongoInboxStore
{
    public async Task<IReadOnlyList<StoredInbound>> AppendInboundBatchAsync(IReadOnlyList<InboundMessageReceived> batch, CancellationToken ct = default)
    {
        // Providers retry and the bus redelivers: a message already stored, or earlier in this batch, is
        // dropped before it can touch the customer's name.
        var inBatch = new HashSet<(string Channel, string ChannelMessageId)>();
        var fresh = batch.Where(m => inBatch.Add((m.Channel, m.ChannelMessageId))).ToList();
        var alreadyStored = await StoredChannelMessageIdsAsync(fresh, ct);
        fresh.RemoveAll(m => alreadyStored.Contains((m.Channel, m.ChannelMessageId)));
        if (fresh.Count == 0) return [];

        var customersByIdentity = new Dictionary<(Guid Workspace, ChannelIdentity Identity), Customer>();
        foreach (var arrivals in fresh.GroupBy(m => (m.WorkspaceId, new ChannelIdentity(m.Channel, m.CustomerIdentity))))
        {
            var named = arrivals.LastOrDefault(m => !string.IsNullOrEmpty(m.CustomerName));
            // Messages without aliases (most) run no query for them.
            var aliases = AliasesOf(arrivals, arrivals.Key.Item2);
            var connectionId = arrivals.Select(m => m.ConnectionId).FirstOrDefault(id => id is not null);
            if (aliases.Count > 0) await AttachToAliasOwnerAsync(arrivals.Key.WorkspaceId, arrivals.Key.Item2, aliases, connectionId, ct);
            var customer = customersByIdentity[arrivals.Key] = await ResolveCustomerAsync(arrivals.Key.WorkspaceId, arrivals.Key.Item2, named?.CustomerName,
                arrivals.First().ReceivedAt, named?.ReceivedAt ?? arrivals.First().ReceivedAt, ct);
            if (aliases.Count > 0) await AddAliasesAsync(arrivals.Key.WorkspaceId, customer.Id, aliases, connectionId, ct);
        }

        var conversationsByKey = new Dictionary<(Guid Customer, string Channel, string Business), Conversation>();
        var reopenings = new List<TimelineMessage>();
        foreach (var arrivals in fresh.GroupBy(m => (m.WorkspaceId, Identity: new ChannelIdentity(m.Channel, m.CustomerIdentity), Business: m.BusinessIdentity ?? "")))
        {
            var customer = customersByIdentity[(arrivals.Key.WorkspaceId, arrivals.Key.Identity)];
            // A new conversation waits in the queue of the team its connection routes to.
            var conversation = await OpenConversationAsync(InboundTimeline.NewConversation(arrivals.First(), customer.Id, customer.DisplayName), ct);
            if (conversation.ConnectionId is null && arrivals.Select(m => m.ConnectionId).LastOrDefault(id => id is not null) is { } connectionId)
            {
                // Opened just now, or before connections were data: it takes the connection its customer writes through.
                await conversations.UpdateOneAsync(ConversationFilter.Eq(c => c.Id, conversation.Id) & ConversationFilter.Eq(c => c.ConnectionId, null),
                    Builders<ConversationDocument>.Update.Set(c => c.ConnectionId, connectionId), cancellationToken: ct);
            }
            if (!string.IsNullOrEmpty(customer.DisplayName) && conversation.CustomerName != customer.DisplayName)
            {
                await conversations.UpdateOneAsync(ConversationFilter.Eq(c => c.Id, conversation.Id),
                    Builders<ConversationDocument>.Update.Set(c => c.CustomerName, customer.DisplayName), cancellationToken: ct);
            }
            if (conversation.Status != ConversationStatuses.Open && arrivals.Any(InboundTimeline.IsCustomerTurn)
                && await ChangeConversationAsync(conversation.Id, ConversationStatuses.Open, null, null, null, arrivals.First().ReceivedAt.AddTicks(-1), ct) is { } reopened)
            {
                // The customer wrote: a pending, snoozed or resolved conversation opens again.
                reopenings.AddRange(reopened.Entries);
                conversation = reopened.Conversation;
            }
            conversationsByKey[(customer.Id, arrivals.Key.Identity.Channel, arrivals.Key.Business)] = conversation;
        }

        await WriteArrivalCustomerStateAsync(fresh, customersByIdentity, ct);
        var drafts = fresh.Select(inbound =>
        {
            var customer = customersByIdentity[(inbound.WorkspaceId, new ChannelIdentity(inbound.Channel, inbound.CustomerIdentity))];
            var conversation = conversationsByKey[(customer.Id, inbound.Channel, inbound.BusinessIdentity ?? "")];
            return InboundTimeline.ToTimelineMessage(inbound, TimelineIds.NewMessageId(), conversation.Id, customer.Id) with { WorkspaceId = inbound.WorkspaceId };
        }).ToList();
        var stored = await InsertNewAsync(drafts, ct);
        var arrivalOf = drafts.Zip(fresh).ToDictionary(pair => pair.First.Id, pair => pair.Second);
        await WriteStoredBehaviourAsync(stored.Select(m => (arrivalOf[m.Id], m.CustomerId)), ct);

        // A late-arriving older message must not replace the preview of a newer one; a tie goes to the later arrival.
        foreach (var timeline in stored.GroupBy(m => m.ConversationId))
        {
            var newest = timeline.Aggregate((newest, next) => next.CreatedAt >= newest.CreatedAt ? next : newest);
            var at = newest.CreatedAt.UtcTicks;
            await conversations.UpdateOneAsync(
                ConversationFilter.Eq(c => c.Id, timeline.Key) & ConversationFilter.Lte(c => c.LastMessageAtTicks, at),
                Builders<ConversationDocument>.Update.Set(c => c.LastMessageAtTicks, at).Set(c => c.LastMessagePreview, newest.Preview),
                cancellationToken: ct);
            // The business answered from outside Crm: the customer no longer waits for what they wrote before it.
            if (timeline.Where(m => m.SentOutsideCrm).Select(m => (DateTimeOffset?)m.CreatedAt).Max() is { } answered)
            {
                await conversations.UpdateOneAsync(
                    ConversationFilter.Eq(c => c.Id, timeline.Key) & ConversationFilter.Lte(c => c.WaitingSinceTicks, answered.UtcTicks),
                    Builders<ConversationDocument>.Update.Set(c => c.WaitingSinceTicks, null), cancellationToken: ct);
            }
            // The customer waits for an answer from their first turn since the last reply (a message, or an event reaching out).
            var turns = timeline.Where(m => m.Direction == Directions.Inbound && (m.Event is null || CustomerEventKinds.OpensReplyWindow(m.Event.Kind))).ToList();
            if (turns.Count == 0) continue;
            var first = turns.Min(m => m.CreatedAt).UtcTicks;
            await conversations.UpdateOneAsync(
                ConversationFilter.Eq(c => c.Id, timeline.Key)
                & (ConversationFilter.Eq(c => c.WaitingSinceTicks, null) | ConversationFilter.Gt(c => c.WaitingSinceTicks, first)),
                Builders<ConversationDocument>.Update.Set(c => c.WaitingSinceTicks, first), cancellationToken: ct);
        }

        var entries = reopenings.Concat(stored).ToList();
        var touched = entries.Select(m => m.ConversationId).Distinct().ToList();
        var after = (await conversations.Find(ConversationFilter.In(c => c.Id, touched)).ToListAsync(ct))
            .ToDictionary(d => d.Id, ToConversation);
        return entries.Select(m => new StoredInbound(m, after[m.ConversationId])).ToList();
    }

    private async Task<HashSet<(string Channel, string ChannelMessageId)>> StoredChannelMessageIdsAsync(
        IReadOnlyList<InboundMessageReceived> arrivals, CancellationToken ct)
    {
        var stored = new HashSet<(string, string)>();
        foreach (var channel in arrivals.GroupBy(m => m.Channel))
        {
            // ux_messages_channel_message_id (the $type clause lets the planner use the partial index).
            var ids = await messages.Find(MessageFilter.Eq(m => m.Channel, channel.Key)
                                          & MessageFilter.In(m => m.ChannelMessageId, channel.Select(m => m.ChannelMessageId))
                                          & HasChannelMessageId)
                .Project(m => m.ChannelMessageId)
                .ToListAsync(ct);
            foreach (var id in ids) stored.Add((channel.Key, id!));
        }
        return stored;
    }

    /// <summary>Inserts the messages in one round trip; the ones another process stored first are left out of the result.</summary>
    private async Task<List<TimelineMessage>> InsertNewAsync(List<TimelineMessage> drafts, CancellationToken ct)
    {
        try
        {
            await messages.InsertManyAsync(drafts.Select(ToDocument), new InsertManyOptions { IsOrdered = false }, ct);
            return drafts;
        }
        catch (MongoBulkWriteException<MessageDocument> e)
            when (e.WriteErrors.All(error => error.Category == ServerErrorCategory.DuplicateKey) && e.WriteConcernError is null)
        {
            var duplicates = e.WriteErrors.Select(error => error.Index).ToHashSet();
            return drafts.Where((_, index) => !duplicates.Contains(index)).ToList();
        }
    }
}
