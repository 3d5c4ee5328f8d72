using Crm.Contracts;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>Reply windows and provider watermarks: reads over one conversation's newest messages (ix_messages_timeline).</summary>
public sealed partial class MongoInboxStore
{
    private static readonly string[] WindowOpeningEvents =
        [CustomerEventKinds.Subscribed, CustomerEventKinds.Scanned, CustomerEventKinds.MenuClicked, CustomerEventKinds.Referral];

    public async Task<ReplyWindowFacts> ReplyWindowFactsAsync(Guid conversationId, CancellationToken ct = default)
    {
        // ix_messages_timeline, walked back from the newest message until the customer's last turn.
        var last = await messages.Find(MessageFilter.Eq(m => m.ConversationId, conversationId)
                                       & MessageFilter.Eq(m => m.Direction, Timelines.Directions.Inbound)
                                       & (MessageFilter.Eq(m => m.EventKind, null) | MessageFilter.In(m => m.EventKind, WindowOpeningEvents)))
            .SortByDescending(m => m.CreatedAtTicks).ThenByDescending(m => m.Id)
            .Project(m => (long?)m.CreatedAtTicks).FirstOrDefaultAsync(ct);
        if (last is not { } lastTicks) return new ReplyWindowFacts(null, 0);
        var since = await messages.Find(MessageFilter.Eq(m => m.ConversationId, conversationId)
                                        & MessageFilter.Gt(m => m.CreatedAtTicks, lastTicks)
                                        & MessageFilter.Eq(m => m.Direction, Timelines.Directions.Outbound)
                                        & MessageFilter.Lt(m => m.StatusRank, MessageStatuses.Rank(MessageStatuses.Failed)))
            .Project(m => m.Extras).ToListAsync(ct);
        // Templates do not count against the window's reply limit; they are the way past it.
        var replies = since.Count(extras => extras is null || Timelines.TimelineExtrasReading.TemplateOf(extras) is null);
        return new ReplyWindowFacts(FromTicks(lastTicks), replies);
    }

    public async Task<IReadOnlyList<Guid>> OutboundBelowStatusAsync(Guid workspaceId, string channel, string customerIdentity, string businessIdentity,
        DateTimeOffset from, DateTimeOffset to, string status, int take, CancellationToken ct = default)
    {
        // ux_customers_workspace_identity, then ux_conversations_thread, then ix_messages_timeline over the watermark's span.
        var customer = await customers.Find(CustomerFilter.Eq(c => c.WorkspaceId, workspaceId)
                                            & CustomerFilter.ElemMatch(c => c.Identities, i => i.Channel == channel && i.Value == customerIdentity))
            .Project(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        if (customer is not { } customerId) return [];
        var conversation = await conversations.Find(ConversationFilter.Eq(c => c.CustomerId, customerId) & ConversationFilter.Eq(c => c.Channel, channel)
                                                    & ConversationFilter.Eq(c => c.BusinessIdentity, businessIdentity))
            .Project(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        if (conversation is not { } conversationId) return [];
        return await messages.Find(MessageFilter.Eq(m => m.ConversationId, conversationId)
                                   & MessageFilter.Gte(m => m.CreatedAtTicks, from.UtcTicks) & MessageFilter.Lte(m => m.CreatedAtTicks, to.UtcTicks)
                                   & MessageFilter.Eq(m => m.Direction, Timelines.Directions.Outbound)
                                   & MessageFilter.Gte(m => m.StatusRank, MessageStatuses.Rank(MessageStatuses.Queued))
                                   & MessageFilter.Lt(m => m.StatusRank, MessageStatuses.Rank(status)))
            .SortByDescending(m => m.CreatedAtTicks).Limit(take).Project(m => m.Id).ToListAsync(ct);
    }
}
