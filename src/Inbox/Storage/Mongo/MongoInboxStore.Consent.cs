using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// Behaviour, consent and reachability on the customer's own document (<c>channelActivity</c>, <c>consents</c>, fields on each
/// identity). Without the SQLite transaction, the order of writes carries the guarantees: what a redelivery must not repeat
/// (counts) is written after the messages are stored, from the ones actually stored; what must not be lost to a crash
/// (consent, reachability, the connection) is written before, by updates that change nothing the second time.
/// </summary>
public sealed partial class MongoInboxStore : ICustomerConsentStore
{
    private sealed partial class CustomerDocument
    {
        // Absent until set: $min and $max treat a missing field as "take mine", where an explicit null would win a $min.
        [BsonElement("firstSeenAtTicks"), BsonIgnoreIfNull] public long? FirstSeenAtTicks { get; set; }
        [BsonElement("lastInboundAtTicks"), BsonIgnoreIfNull] public long? LastInboundAtTicks { get; set; }
        [BsonElement("lastOutboundAgentAtTicks"), BsonIgnoreIfNull] public long? LastOutboundAgentAtTicks { get; set; }
        [BsonElement("lastOutboundAutomationAtTicks"), BsonIgnoreIfNull] public long? LastOutboundAutomationAtTicks { get; set; }
        [BsonElement("lastChannel"), BsonIgnoreIfNull] public string? LastChannel { get; set; }
        [BsonElement("inboundCount")] public long InboundCount { get; set; }
        [BsonElement("outboundCount")] public long OutboundCount { get; set; }
        [BsonElement("channelActivity"), BsonIgnoreIfNull] public List<ChannelActivityDocument>? ChannelActivity { get; set; }
        [BsonElement("consents"), BsonIgnoreIfNull] public List<ConsentDocument>? Consents { get; set; }
    }

    private sealed partial class IdentityDocument
    {
        [BsonElement("connectionId"), BsonIgnoreIfNull, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? ConnectionId { get; set; }

        [BsonElement("unreachableReason"), BsonIgnoreIfNull] public string? UnreachableReason { get; set; }
        [BsonElement("unreachableAtTicks"), BsonIgnoreIfNull] public long? UnreachableAtTicks { get; set; }
    }

    private sealed class ChannelActivityDocument
    {
        [BsonElement("channel")] public string Channel { get; set; } = "";
        [BsonElement("firstSeenAtTicks"), BsonIgnoreIfNull] public long? FirstSeenAtTicks { get; set; }
        [BsonElement("lastInboundAtTicks"), BsonIgnoreIfNull] public long? LastInboundAtTicks { get; set; }
        [BsonElement("lastOutboundAgentAtTicks"), BsonIgnoreIfNull] public long? LastOutboundAgentAtTicks { get; set; }
        [BsonElement("lastOutboundAutomationAtTicks"), BsonIgnoreIfNull] public long? LastOutboundAutomationAtTicks { get; set; }
        [BsonElement("inboundCount")] public long InboundCount { get; set; }
        [BsonElement("outboundCount")] public long OutboundCount { get; set; }
    }

    private sealed class ConsentDocument
    {
        [BsonElement("channel")] public string Channel { get; set; } = "";
        [BsonElement("state")] public string State { get; set; } = "";
        [BsonElement("changedAtTicks")] public long ChangedAtTicks { get; set; }
        [BsonElement("source")] public string Source { get; set; } = "";
        [BsonElement("detail")] public string? Detail { get; set; }

        [BsonElement("changedBy"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? ChangedBy { get; set; }
    }

    private static FilterDefinition<CustomerDocument> AtVersion(long version)
        => version == 0 ? CustomerFilter.Eq(c => c.Version, 0) | CustomerFilter.Exists(c => c.Version, false) : CustomerFilter.Eq(c => c.Version, version);

    private static FilterDefinition<CustomerDocument> Owned(Guid workspaceId, Guid customerId)
        => CustomerFilter.Eq(c => c.Id, customerId) & CustomerFilter.Eq(c => c.WorkspaceId, workspaceId);

    public async Task<ProfileUpdateResult> SetConsentAsync(Guid workspaceId, Guid customerId, string channel, ConsentChange change, DateTimeOffset at,
        CancellationToken ct = default)
    {
        var (found, _) = await WriteConsentAsync(workspaceId, customerId, channel, change, at, ct);
        if (!found) return new ProfileUpdateResult(ProfileUpdateOutcome.NotFound, null);
        return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, await GetProfileAsync(workspaceId, customerId, ct));
    }

    /// <summary>
    /// Records the choice unless it is the recorded one or older than it; the whole list is replaced against the version it
    /// was read at, so two writers never lose each other's channel. Not in one transaction with the history entry (the inbound
    /// path has none): a crash between them loses the entry, never the choice, and a redelivery finds it recorded.
    /// </summary>
    private async Task<(bool Found, bool Changed)> WriteConsentAsync(Guid workspaceId, Guid customerId, string channel, ConsentChange change,
        DateTimeOffset at, CancellationToken ct)
    {
        while (true)
        {
            var found = await customers.Find(Owned(workspaceId, customerId)).FirstOrDefaultAsync(ct);
            if (found is null) return (false, false);
            var current = found.Consents?.FirstOrDefault(c => c.Channel == channel);
            if (current is not null && (current.State == change.State || current.ChangedAtTicks > at.UtcTicks)) return (true, false);

            var consents = (found.Consents ?? []).Where(c => c.Channel != channel).Append(new ConsentDocument
            {
                Channel = channel, State = change.State, ChangedAtTicks = at.UtcTicks, Source = change.Source, Detail = change.Detail, ChangedBy = change.ChangedBy,
            }).OrderBy(c => c.Channel, StringComparer.Ordinal).ToList();
            var updated = await customers.FindOneAndUpdateAsync(Owned(workspaceId, customerId) & AtVersion(found.Version),
                Builders<CustomerDocument>.Update.Set(c => c.Consents, consents).Inc(c => c.Version, 1),
                new FindOneAndUpdateOptions<CustomerDocument> { ReturnDocument = ReturnDocument.After }, ct);
            if (updated is null) continue; // changed meanwhile: read again
            await RecordCustomerChangeAsync(updated, ConsentKeywords.HistoryField(channel), current?.State, change.State, change.ChangedBy, at, ct);
            return (true, true);
        }
    }

    private Task RecordCustomerChangeAsync(CustomerDocument changed, string field, string? from, string? to, Guid? changedBy, DateTimeOffset at,
        CancellationToken ct)
        => ProfileChanges.InsertOneAsync(new ProfileChangeDocument
        {
            Id = Guid.NewGuid(), WorkspaceId = changed.WorkspaceId, CustomerId = changed.Id, Version = changed.Version, Field = field,
            From = from, To = to, ChangedBy = changedBy, AtTicks = at.UtcTicks,
        }, cancellationToken: ct);

    private static FilterDefinition<CustomerDocument> HasIdentity(Guid workspaceId, ChannelIdentity identity)
        => CustomerFilter.Eq(c => c.WorkspaceId, workspaceId)
           & CustomerFilter.ElemMatch(c => c.Identities, i => i.Channel == identity.Channel && i.Value == identity.Value);

    public async Task<bool> MarkUnreachableAsync(Guid messageId, string reason, DateTimeOffset at, CancellationToken ct = default)
    {
        var message = await messages.Find(MessageFilter.Eq(m => m.Id, messageId) & MessageFilter.Eq(m => m.Direction, Directions.Outbound)).FirstOrDefaultAsync(ct);
        if (message is null) return false;
        var conversation = await conversations.Find(ConversationFilter.Eq(c => c.Id, message.ConversationId)).FirstOrDefaultAsync(ct);
        if (conversation is null) return false;
        var identity = new ChannelIdentity(conversation.Channel, conversation.CustomerIdentity);

        // ux_customers_workspace_identity. The customer wrote on the channel since the failure: stale news, the identity works.
        var owner = await customers.Find(HasIdentity(message.WorkspaceId, identity)).FirstOrDefaultAsync(ct);
        if (owner?.ChannelActivity?.FirstOrDefault(a => a.Channel == identity.Channel)?.LastInboundAtTicks >= at.UtcTicks) return false;
        var reachable = CustomerFilter.ElemMatch(c => c.Identities,
            i => i.Channel == identity.Channel && i.Value == identity.Value && i.UnreachableAtTicks == null);
        var updated = await customers.FindOneAndUpdateAsync(HasIdentity(message.WorkspaceId, identity) & reachable,
            Builders<CustomerDocument>.Update
                .Set("identities.$[i].unreachableReason", reason)
                .Set("identities.$[i].unreachableAtTicks", at.UtcTicks)
                .Inc(c => c.Version, 1),
            new FindOneAndUpdateOptions<CustomerDocument>
            {
                ReturnDocument = ReturnDocument.After,
                ArrayFilters = [IdentityArrayFilter(identity)],
            }, ct);
        if (updated is null) return false;
        await RecordCustomerChangeAsync(updated, ConsentKeywords.ReachabilityField(identity.Channel, identity.Value), "reachable", "unreachable: " + reason,
            null, at, ct);
        return true;
    }

    private static ArrayFilterDefinition IdentityArrayFilter(ChannelIdentity identity)
        => new BsonDocumentArrayFilterDefinition<BsonDocument>(new BsonDocument { ["i.channel"] = identity.Channel, ["i.value"] = identity.Value });

    public async Task<ProfileUpdateResult> ClearUnreachableAsync(Guid workspaceId, Guid customerId, ChannelIdentity identity, Guid? changedBy, DateTimeOffset at,
        CancellationToken ct = default)
    {
        var current = await GetProfileAsync(workspaceId, customerId, ct);
        if (current?.IdentityDetails.FirstOrDefault(i => i.Channel == identity.Channel && i.Value == identity.Value) is not { } detail)
            return new ProfileUpdateResult(ProfileUpdateOutcome.NotFound, null);
        if (detail.Reachable) return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, current);
        await SetReachableAsync(workspaceId, identity, null, changedBy, at, ct);
        return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, await GetProfileAsync(workspaceId, customerId, ct));
    }

    /// <summary>Clears the identity's unreachable mark if it was set before <paramref name="wroteAt"/> (null: whenever), with a history entry.</summary>
    private async Task SetReachableAsync(Guid workspaceId, ChannelIdentity identity, DateTimeOffset? wroteAt, Guid? changedBy, DateTimeOffset at,
        CancellationToken ct)
    {
        var before = wroteAt?.UtcTicks ?? long.MaxValue;
        var unreachable = CustomerFilter.ElemMatch(c => c.Identities,
            i => i.Channel == identity.Channel && i.Value == identity.Value && i.UnreachableAtTicks != null && i.UnreachableAtTicks < before);
        var previous = await customers.FindOneAndUpdateAsync(HasIdentity(workspaceId, identity) & unreachable,
            Builders<CustomerDocument>.Update
                .Unset("identities.$[i].unreachableReason")
                .Unset("identities.$[i].unreachableAtTicks")
                .Inc(c => c.Version, 1),
            new FindOneAndUpdateOptions<CustomerDocument> { ReturnDocument = ReturnDocument.Before, ArrayFilters = [IdentityArrayFilter(identity)] }, ct);
        if (previous is null) return;
        var reason = previous.Identities.First(i => i.Channel == identity.Channel && i.Value == identity.Value).UnreachableReason;
        previous.Version++;
        await RecordCustomerChangeAsync(previous, ConsentKeywords.ReachabilityField(identity.Channel, identity.Value),
            reason is null ? "unreachable" : "unreachable: " + reason, "reachable", changedBy, at, ct);
    }

    public async Task<bool> MayMessageInBulkAsync(Guid workspaceId, Guid customerId, string channel, CancellationToken ct = default)
    {
        var found = await customers.Find(Owned(workspaceId, customerId)).FirstOrDefaultAsync(ct);
        return found is not null
               && found.Consents?.Any(c => c.Channel == channel && c.State == ConsentStates.OptedOut) != true
               && found.Identities.Any(i => i.Channel == channel && i.UnreachableAtTicks is null);
    }

    public async Task<IReadOnlyList<CustomerProfileChange>> ListProfileChangesAsync(Guid workspaceId, Guid customerId, ProfileChangeCursor? after, int take,
        CancellationToken ct = default)
    {
        var filter = Builders<ProfileChangeDocument>.Filter;
        var ofCustomer = filter.Eq(c => c.WorkspaceId, workspaceId) & filter.Eq(c => c.CustomerId, customerId);
        // ix_customer_profile_changes_customer, from the cursor on.
        var found = await ProfileChanges
            .Find(after is not { } cursor ? ofCustomer
                : ofCustomer & (filter.Lt(c => c.Version, cursor.Version) | (filter.Eq(c => c.Version, cursor.Version) & filter.Lt(c => c.Field, cursor.Field))))
            .Sort(Builders<ProfileChangeDocument>.Sort.Descending(c => c.Version).Descending(c => c.Field))
            .Limit(take)
            .ToListAsync(ct);
        return found.Select(c => new CustomerProfileChange(c.Id, c.CustomerId, c.Version, c.Field, c.From, c.To, c.ChangedBy, FromTicks(c.AtTicks))).ToList();
    }

    /// <summary>The document's behaviour, consent and identity details, as the profile shows them.</summary>
    private static CustomerProfile WithCustomerState(CustomerProfile profile, CustomerDocument d) => profile with
    {
        Behaviour = new CustomerBehaviour(Time(d.FirstSeenAtTicks), Time(d.LastInboundAtTicks), Time(d.LastOutboundAgentAtTicks),
            Time(d.LastOutboundAutomationAtTicks), d.LastChannel, d.InboundCount, d.OutboundCount,
            (d.ChannelActivity ?? []).OrderBy(a => a.Channel, StringComparer.Ordinal).Select(a => new ChannelBehaviour(a.Channel, Time(a.FirstSeenAtTicks),
                Time(a.LastInboundAtTicks), Time(a.LastOutboundAgentAtTicks), Time(a.LastOutboundAutomationAtTicks), a.InboundCount, a.OutboundCount)).ToList()),
        Consents = (d.Consents ?? []).OrderBy(c => c.Channel, StringComparer.Ordinal)
            .Select(c => new ChannelConsent(c.Channel, c.State, FromTicks(c.ChangedAtTicks), c.Source, c.Detail, c.ChangedBy)).ToList(),
        IdentityDetails = d.Identities.OrderBy(i => i.Channel, StringComparer.Ordinal).ThenBy(i => i.Value, StringComparer.Ordinal)
            .Select(i => new IdentityDetail(i.Channel, i.Value, i.ConnectionId, i.UnreachableReason, Time(i.UnreachableAtTicks))).ToList(),
    };

    private static DateTimeOffset? Time(long? ticks) => ticks is { } t ? FromTicks(t) : null;

    /// <summary>
    /// Before the batch's messages are stored: keyword and channel-event consent, the connection a new identity came through, and
    /// an unreachable identity that wrote again. Each is a no-op the second time, so a crash before the messages are stored
    /// loses nothing and a redelivery repeats nothing.
    /// </summary>
    private async Task WriteArrivalCustomerStateAsync(IReadOnlyList<InboundMessageReceived> fresh,
        IReadOnlyDictionary<(Guid Workspace, ChannelIdentity Identity), Customer> customersByIdentity, CancellationToken ct)
    {
        foreach (var inbound in fresh)
        {
            if (ConsentKeywords.ChangeFrom(inbound) is not { } change) continue;
            var customer = customersByIdentity[(inbound.WorkspaceId, new ChannelIdentity(inbound.Channel, inbound.CustomerIdentity))];
            await WriteConsentAsync(inbound.WorkspaceId, customer.Id, inbound.Channel, change, inbound.ReceivedAt, ct);
        }
        // One read for the batch's identities as stored, so the writes below happen only when something changes: most batches
        // come from identities whose connection is known and that are reachable, and write nothing here.
        var ids = customersByIdentity.Values.Select(c => c.Id).Distinct().ToList();
        var identities = (await customers.Find(CustomerFilter.In(c => c.Id, ids))
                .Project<CustomerDocument>(Builders<CustomerDocument>.Projection.Include(c => c.WorkspaceId).Include(c => c.Identities))
                .ToListAsync(ct))
            .SelectMany(d => d.Identities.Select(i => (Key: (d.WorkspaceId, new ChannelIdentity(i.Channel, i.Value)), Identity: i)))
            .ToDictionary(pair => pair.Key, pair => pair.Identity);
        foreach (var arrivals in fresh.Where(m => !m.SentByBusiness).GroupBy(m => (m.WorkspaceId, Identity: new ChannelIdentity(m.Channel, m.CustomerIdentity))))
        {
            if (!identities.TryGetValue(arrivals.Key, out var stored)) continue; // moved to another customer meanwhile
            if (stored.ConnectionId is null && arrivals.Select(m => m.ConnectionId).FirstOrDefault(id => id is not null) is { } connectionId)
            {
                // ux_customers_workspace_identity; only the first connection is kept.
                await customers.UpdateOneAsync(HasIdentity(arrivals.Key.WorkspaceId, arrivals.Key.Identity),
                    Builders<CustomerDocument>.Update.Set("identities.$[i].connectionId", new BsonBinaryData(connectionId, GuidRepresentation.Standard)),
                    new UpdateOptions
                    {
                        ArrayFilters =
                        [
                            new BsonDocumentArrayFilterDefinition<BsonDocument>(new BsonDocument
                            {
                                ["i.channel"] = arrivals.Key.Identity.Channel, ["i.value"] = arrivals.Key.Identity.Value, ["i.connectionId"] = new BsonDocument("$exists", false),
                            }),
                        ],
                    }, ct);
            }
            if (stored.UnreachableAtTicks is { } unreachableAt
                && arrivals.Where(InboundTimeline.IsCustomerTurn).Select(m => (DateTimeOffset?)m.ReceivedAt).Max() is { } wroteAt && wroteAt.UtcTicks > unreachableAt)
                await SetReachableAsync(arrivals.Key.WorkspaceId, arrivals.Key.Identity, wroteAt, null, wroteAt, ct);
        }
    }

    /// <summary>After the batch's messages are stored: the behaviour of exactly the ones stored.</summary>
    private async Task WriteStoredBehaviourAsync(IEnumerable<(InboundMessageReceived Inbound, Guid CustomerId)> stored, CancellationToken ct)
    {
        var deltas = new Dictionary<(Guid, string), ActivityDelta>();
        foreach (var (inbound, customerId) in stored)
        {
            if (!deltas.TryGetValue((customerId, inbound.Channel), out var delta))
                deltas[(customerId, inbound.Channel)] = delta = new ActivityDelta(inbound.WorkspaceId, customerId, inbound.Channel);
            delta.Arrived(inbound);
        }
        await WriteBehaviourAsync(deltas.Values, ct);
    }

    /// <summary>A reply stored in the outbox counts as outbound.</summary>
    private Task WriteReplyBehaviourAsync(TimelineMessage reply, CancellationToken ct) => WriteBehaviourAsync([ActivityDelta.ForReply(reply)], ct);

    /// <summary>$inc the counts, $min/$max the times: each only moves its own way, whatever order messages arrive in.</summary>
    private async Task WriteBehaviourAsync(IReadOnlyCollection<ActivityDelta> deltas, CancellationToken ct)
    {
        foreach (var customer in deltas.GroupBy(d => d.CustomerId))
        {
            var newest = customer.Where(d => d.LastInboundAt is not null).MaxBy(d => d.LastInboundAt);
            var update = Builders<CustomerDocument>.Update
                .Inc(c => c.InboundCount, customer.Sum(d => d.InboundCount))
                .Inc(c => c.OutboundCount, customer.Sum(d => d.OutboundCount));
            if (customer.Min(d => d.FirstSeenAt) is { } first) update = update.Min(c => c.FirstSeenAtTicks, first.UtcTicks);
            if (newest?.LastInboundAt is { } inbound) update = update.Max(c => c.LastInboundAtTicks, inbound.UtcTicks);
            if (customer.Max(d => d.LastOutboundAgentAt) is { } agent) update = update.Max(c => c.LastOutboundAgentAtTicks, agent.UtcTicks);
            if (customer.Max(d => d.LastOutboundAutomationAt) is { } automation) update = update.Max(c => c.LastOutboundAutomationAtTicks, automation.UtcTicks);
            await customers.UpdateOneAsync(CustomerFilter.Eq(c => c.Id, customer.Key), update, cancellationToken: ct);
            // The channel of the newest inbound: ours if our time is the one the document now holds.
            if (newest?.LastInboundAt is { } ours)
                await customers.UpdateOneAsync(CustomerFilter.Eq(c => c.Id, customer.Key) & CustomerFilter.Eq(c => c.LastInboundAtTicks, ours.UtcTicks),
                    Builders<CustomerDocument>.Update.Set(c => c.LastChannel, newest.Channel), cancellationToken: ct);
        }
        foreach (var delta in deltas) await WriteChannelActivityAsync(delta, ct);
    }

    private async Task WriteChannelActivityAsync(ActivityDelta delta, CancellationToken ct)
    {
        var ofChannel = CustomerFilter.ElemMatch(c => c.ChannelActivity, a => a.Channel == delta.Channel);
        while (true)
        {
            const string element = "channelActivity.$.";
            var update = Builders<CustomerDocument>.Update
                .Inc(element + "inboundCount", delta.InboundCount)
                .Inc(element + "outboundCount", delta.OutboundCount);
            if (delta.FirstSeenAt is { } first) update = update.Min(element + "firstSeenAtTicks", first.UtcTicks);
            if (delta.LastInboundAt is { } inbound) update = update.Max(element + "lastInboundAtTicks", inbound.UtcTicks);
            if (delta.LastOutboundAgentAt is { } agent) update = update.Max(element + "lastOutboundAgentAtTicks", agent.UtcTicks);
            if (delta.LastOutboundAutomationAt is { } automation) update = update.Max(element + "lastOutboundAutomationAtTicks", automation.UtcTicks);
            var existing = await customers.UpdateOneAsync(CustomerFilter.Eq(c => c.Id, delta.CustomerId) & ofChannel, update, cancellationToken: ct);
            if (existing.MatchedCount > 0) return;

            // The channel's first activity: pushed only while still absent, so two writers never add it twice.
            var added = await customers.UpdateOneAsync(CustomerFilter.Eq(c => c.Id, delta.CustomerId) & CustomerFilter.Not(ofChannel),
                Builders<CustomerDocument>.Update.Push(c => c.ChannelActivity, new ChannelActivityDocument
                {
                    Channel = delta.Channel,
                    FirstSeenAtTicks = delta.FirstSeenAt?.UtcTicks,
                    LastInboundAtTicks = delta.LastInboundAt?.UtcTicks,
                    LastOutboundAgentAtTicks = delta.LastOutboundAgentAt?.UtcTicks,
                    LastOutboundAutomationAtTicks = delta.LastOutboundAutomationAt?.UtcTicks,
                    InboundCount = delta.InboundCount,
                    OutboundCount = delta.OutboundCount,
                }), cancellationToken: ct);
            if (added.MatchedCount > 0) return;
            if (!await customers.Find(CustomerFilter.Eq(c => c.Id, delta.CustomerId)).AnyAsync(ct)) return; // the customer is gone
        }
    }
}
