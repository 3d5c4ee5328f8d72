using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// Merging customers, in one transaction (the server is a replica set already). A customer is one document (identities,
/// behaviour, consent, labels and attributes embedded), so the journal keeps both customer documents whole, before and after,
/// and undo replaces them back; the conversations moved and the threads joined are journaled like in SQLite.
/// </summary>
public sealed partial class MongoInboxStore : ICustomerMergeStore
{
    private IMongoCollection<MergeDocument> MergeJournal => database.GetCollection<MergeDocument>("customerMerges");
    private IMongoCollection<BsonDocument> RawCustomers => database.GetCollection<BsonDocument>("customers");
    private IMongoCollection<BsonDocument> RawConversations => database.GetCollection<BsonDocument>("conversations");
    private IMongoCollection<BsonDocument> RawReads => database.GetCollection<BsonDocument>("conversationReads");
    private IMongoCollection<SettingsDocument> CustomerSettings => database.GetCollection<SettingsDocument>("customerSettings");

    /// <summary>The identity a merged-away customer document keeps in place of the ones it gave the survivor.</summary>
    private const string MergedAwayChannel = "merged-away";

    private static FilterDefinition<ConversationDocument> NotMerged => ConversationFilter.Ne(c => c.Status, ConversationStatuses.Merged);

    private async Task InitializeMergeAsync(CancellationToken ct)
    {
        // The customer timeline across channels: every message of a customer, newest first.
        await messages.Indexes.CreateOneAsync(new CreateIndexModel<MessageDocument>(
            Builders<MessageDocument>.IndexKeys.Ascending(m => m.CustomerId).Descending(m => m.CreatedAtTicks).Descending(m => m.Id),
            new CreateIndexOptions { Name = "ix_messages_customer_timeline" }), cancellationToken: ct);
        // Who else has this phone or email; and the workspace's shared keys.
        await customers.Indexes.CreateOneAsync(new CreateIndexModel<CustomerDocument>(
            Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending("matchKeys.kind").Ascending("matchKeys.value"),
            new CreateIndexOptions { Name = "ix_customers_match_keys" }), cancellationToken: ct);
        // A customer's merges, on either side, newest first.
        await MergeJournal.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<MergeDocument>(Builders<MergeDocument>.IndexKeys.Ascending(m => m.WorkspaceId).Ascending(m => m.SurvivorId).Descending(m => m.MergedAtTicks),
                new CreateIndexOptions { Name = "ix_customer_merges_survivor" }),
            new CreateIndexModel<MergeDocument>(Builders<MergeDocument>.IndexKeys.Ascending(m => m.WorkspaceId).Ascending(m => m.MergedId).Descending(m => m.MergedAtTicks),
                new CreateIndexOptions { Name = "ix_customer_merges_merged" }),
        ], ct);
        // Customers from before suggestions get their keys once.
        using var cursor = await customers.FindAsync(CustomerFilter.Exists(c => c.MatchKeys, false) & CustomerFilter.Eq(c => c.MergedInto, null), cancellationToken: ct);
        while (await cursor.MoveNextAsync(ct))
            foreach (var d in cursor.Current)
                await customers.UpdateOneAsync(CustomerFilter.Eq(c => c.Id, d.Id),
                    Builders<CustomerDocument>.Update.Set(c => c.MatchKeys, MatchKeyDocuments(ToProfile(d).Fields, ToCustomer(d).Identities)), cancellationToken: ct);
    }

    public async Task<IReadOnlyList<CustomerTimelineItem>> ListCustomerTimelineAsync(Guid workspaceId, Guid customerId, PageCursor? before, int take,
        CancellationToken ct = default)
    {
        // ix_messages_customer_timeline, from the newest or from the cursor.
        var filter = MessageFilter.Eq(m => m.CustomerId, customerId) & MessageFilter.Eq(m => m.WorkspaceId, workspaceId);
        if (before is { } cursor)
        {
            var at = cursor.At.UtcTicks;
            filter &= MessageFilter.Lte(m => m.CreatedAtTicks, at) & (MessageFilter.Lt(m => m.CreatedAtTicks, at) | MessageFilter.Lt(m => m.Id, cursor.Id));
        }
        var found = await messages.Find(filter).Sort(Builders<MessageDocument>.Sort.Descending(m => m.CreatedAtTicks).Descending(m => m.Id)).Limit(take).ToListAsync(ct);
        return found.Select(ToMessage).Select(m => new CustomerTimelineItem(m.ConversationId, m.Channel, m.BusinessIdentity, m)).ToList();
    }

    public async Task<Guid?> GetMergedIntoAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default)
        => (await customers.Find(Owned(workspaceId, customerId)).FirstOrDefaultAsync(ct))?.MergedInto;

    public async Task<MergeResult> MergeCustomersAsync(MergeRequest request, CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync((s, token) => MergeAsync(s, request, token), cancellationToken: ct);
    }

    private async Task<MergeResult> MergeAsync(IClientSessionHandle s, MergeRequest request, CancellationToken ct)
    {
        var (workspace, survivorId, mergedId) = (request.WorkspaceId, request.SurvivorId, request.MergedId);
        var survivorDoc = await customers.Find(s, Owned(workspace, survivorId)).FirstOrDefaultAsync(ct);
        var mergedDoc = await customers.Find(s, Owned(workspace, mergedId)).FirstOrDefaultAsync(ct);
        if (survivorDoc is null || mergedDoc is null) return new MergeResult(MergeOutcome.NotFound, null);
        if (survivorId == mergedId) return new MergeResult(MergeOutcome.MergedAway, null, "A customer cannot be merged with itself.");
        if (mergedDoc.MergedInto == survivorId)
        {
            var done = await MergeJournal.Find(s, Builders<MergeDocument>.Filter.Eq(m => m.WorkspaceId, workspace) & Builders<MergeDocument>.Filter.Eq(m => m.MergedId, mergedId)
                                                  & Builders<MergeDocument>.Filter.Eq(m => m.UndoneAtTicks, null))
                .Sort(Builders<MergeDocument>.Sort.Descending(m => m.MergedAtTicks)).FirstOrDefaultAsync(ct);
            return new MergeResult(MergeOutcome.AlreadyMerged, done is null ? null : ToMerge(done));
        }
        if (mergedDoc.MergedInto is { } other) return new MergeResult(MergeOutcome.MergedAway, null, $"Customer {mergedId} is already merged into customer {other}.");
        if (survivorDoc.MergedInto is { } survivorInto)
            return new MergeResult(MergeOutcome.MergedAway, null, $"Customer {survivorId} is merged into customer {survivorInto}: merge into that one.");
        var survivor = ToProfile(survivorDoc);
        var merged = ToProfile(mergedDoc);
        if (survivor.Version != request.SurvivorVersion || merged.Version != request.MergedVersion)
            return new MergeResult(MergeOutcome.Stale, null, "One of the customers changed since you looked: review the merge again.");
        var unchosen = CustomerMergeRules.Unchosen(CustomerMergeRules.Conflicts(survivor.Fields, merged.Fields), request.Choices);
        if (unchosen.Count > 0) return new MergeResult(MergeOutcome.ChoicesMissing, null) { MissingChoices = unchosen };

        var journal = new MergeDocument
        {
            Id = Guid.NewGuid(), WorkspaceId = workspace, SurvivorId = survivorId, MergedId = mergedId, MergedBy = request.By, Automatic = request.Automatic,
            MergedAtTicks = request.Now.UtcTicks,
            SurvivorBefore = await RawCustomers.Find(s, Builders<BsonDocument>.Filter.Eq("_id", new BsonBinaryData(survivorId, GuidRepresentation.Standard))).FirstAsync(ct),
            MergedBefore = await RawCustomers.Find(s, Builders<BsonDocument>.Filter.Eq("_id", new BsonBinaryData(mergedId, GuidRepresentation.Standard))).FirstAsync(ct),
        };

        // The profile: changes audited field by field, by the merging agent, and one version up in any case.
        var fields = CustomerMergeRules.Combine(survivor.Fields, merged.Fields, request.Choices);
        var updated = await UpdateProfileAsync(s, workspace, survivorId, survivor.Version, fields, request.By, request.Now, ct);
        var version = updated.Profile!.Version + (updated.Profile.Version == survivor.Version ? 1 : 0);

        // The merged customer gives up its identities first: the unique identity index holds at every step of the transaction.
        // It keeps one of its own that no channel uses: that index is not sparse, so two customers without any would collide.
        await customers.UpdateOneAsync(s, CustomerFilter.Eq(c => c.Id, mergedId), Builders<CustomerDocument>.Update
            .Set(c => c.Identities, [new IdentityDocument { Channel = MergedAwayChannel, Value = mergedId.ToString() }])
            .Set(c => c.MergedInto, survivorId).Unset(c => c.MatchKeys), cancellationToken: ct);
        var current = await customers.Find(s, CustomerFilter.Eq(c => c.Id, survivorId)).FirstAsync(ct);
        var identities = current.Identities.Concat(mergedDoc.Identities).ToList();
        var combined = CombineCustomers(current, mergedDoc);
        await customers.UpdateOneAsync(s, CustomerFilter.Eq(c => c.Id, survivorId), Builders<CustomerDocument>.Update
            .Set(c => c.Identities, identities)
            .Set(c => c.Version, version)
            .Set(c => c.FirstSeenAtTicks, combined.FirstSeenAtTicks).Set(c => c.LastInboundAtTicks, combined.LastInboundAtTicks)
            .Set(c => c.LastOutboundAgentAtTicks, combined.LastOutboundAgentAtTicks).Set(c => c.LastOutboundAutomationAtTicks, combined.LastOutboundAutomationAtTicks)
            .Set(c => c.LastChannel, combined.LastChannel).Set(c => c.InboundCount, combined.InboundCount).Set(c => c.OutboundCount, combined.OutboundCount)
            .Set(c => c.ChannelActivity, combined.ChannelActivity).Set(c => c.Consents, combined.Consents).Set(c => c.LabelIds, combined.LabelIds)
            .Set(c => c.MatchKeys, MatchKeyDocuments(fields, identities.Select(i => new ChannelIdentity(i.Channel, i.Value)))), cancellationToken: ct);

        // ix_conversations_customer
        var theirs = await conversations.Find(s, ConversationFilter.Eq(c => c.CustomerId, mergedId) & NotMerged).ToListAsync(ct);
        foreach (var conversation in theirs)
        {
            var thread = await conversations.Find(s, ConversationFilter.Eq(c => c.CustomerId, survivorId) & ConversationFilter.Eq(c => c.Channel, conversation.Channel)
                                                     & ConversationFilter.Eq(c => c.BusinessIdentity, conversation.BusinessIdentity)).FirstOrDefaultAsync(ct);
            if (thread is null)
            {
                await conversations.UpdateOneAsync(s, ConversationFilter.Eq(c => c.Id, conversation.Id),
                    Builders<ConversationDocument>.Update.Set(c => c.CustomerId, survivorId).Set(c => c.CustomerName, fields.Name), cancellationToken: ct);
                // ix_messages_timeline
                await messages.UpdateManyAsync(s, MessageFilter.Eq(m => m.ConversationId, conversation.Id),
                    Builders<MessageDocument>.Update.Set(m => m.CustomerId, survivorId), cancellationToken: ct);
                journal.Moved.Add(conversation.Id);
            }
            else
            {
                journal.Joins.Add(await JoinThreadsAsync(s, conversation, thread, survivorId, ct));
            }
        }

        // History: the merged customer's audit entries now belong to the survivor.
        var changes = Builders<ProfileChangeDocument>.Filter.Eq(c => c.WorkspaceId, workspace) & Builders<ProfileChangeDocument>.Filter.Eq(c => c.CustomerId, mergedId);
        journal.MovedChanges = (await ProfileChanges.Find(s, changes).Project(c => c.Id).ToListAsync(ct));
        await ProfileChanges.UpdateManyAsync(s, changes, Builders<ProfileChangeDocument>.Update.Set(c => c.CustomerId, survivorId), cancellationToken: ct);
        await ProfileChanges.InsertManyAsync(s,
        [
            Change(workspace, survivorId, version, request.Automatic ? "merged-automatically" : "merged", null, mergedId.ToString(), request.By, request.Now),
            Change(workspace, mergedId, merged.Version, "merged-into", null, survivorId.ToString(), request.By, request.Now),
        ], cancellationToken: ct);

        journal.SurvivorAfter = await RawCustomerAsync(s, survivorId, ct);
        journal.MergedAfter = await RawCustomerAsync(s, mergedId, ct);
        journal.SurvivorMessagesAfter = await messages.CountDocumentsAsync(s, MessageFilter.Eq(m => m.CustomerId, survivorId), cancellationToken: ct);
        foreach (var join in journal.Joins) join.IntoAfter = await RawConversationAsync(s, join.Into, ct);
        await MergeJournal.InsertOneAsync(s, journal, cancellationToken: ct);
        return new MergeResult(MergeOutcome.Merged, ToMerge(journal));
    }

    /// <summary>As in SQLite: the merged thread's messages move into the survivor's, which takes the later activity, the earlier wait, an open status and an assignee if it had none, and both threads' labels.</summary>
    private async Task<JoinDocument> JoinThreadsAsync(IClientSessionHandle s, ConversationDocument from, ConversationDocument into, Guid survivorId, CancellationToken ct)
    {
        var join = new JoinDocument
        {
            From = from.Id,
            Into = into.Id,
            FromBefore = await RawConversationAsync(s, from.Id, ct),
            IntoBefore = await RawConversationAsync(s, into.Id, ct),
            ReadsBefore = await RawReads.Find(s, Builders<BsonDocument>.Filter.In("conversationId",
                new[] { new BsonBinaryData(from.Id, GuidRepresentation.Standard), new BsonBinaryData(into.Id, GuidRepresentation.Standard) })).ToListAsync(ct),
            Messages = await messages.Find(s, MessageFilter.Eq(m => m.ConversationId, from.Id)).Project(m => m.Id).ToListAsync(ct),
        };

        // Unread stays true: each agent's marker becomes the earlier of what they had read in either thread.
        var firstInbound = new Dictionary<Guid, long?>();
        foreach (var id in new[] { from.Id, into.Id })
            firstInbound[id] = (await messages.Find(s, MessageFilter.Eq(m => m.ConversationId, id) & MessageFilter.Eq(m => m.Direction, Directions.Inbound))
                .Sort(Builders<MessageDocument>.Sort.Ascending(m => m.CreatedAtTicks)).Limit(1).FirstOrDefaultAsync(ct))?.CreatedAtTicks;
        var reads = await Reads.Find(s, Builders<ReadDocument>.Filter.In(r => r.ConversationId, new[] { from.Id, into.Id })).ToListAsync(ct);
        foreach (var agent in reads.GroupBy(r => r.AgentId))
        {
            long Effective(Guid id) => agent.FirstOrDefault(r => r.ConversationId == id)?.ReadUpToTicks ?? (firstInbound[id] is { } first ? first - 1 : long.MaxValue);
            var marker = Math.Min(Effective(from.Id), Effective(into.Id));
            await Reads.UpdateOneAsync(s, Builders<ReadDocument>.Filter.Eq(r => r.AgentId, agent.Key) & Builders<ReadDocument>.Filter.Eq(r => r.ConversationId, into.Id),
                Builders<ReadDocument>.Update.Set(r => r.ReadUpToTicks, marker == long.MaxValue ? into.LastMessageAtTicks : marker)
                    .SetOnInsert(r => r.Id, ObjectId.GenerateNewId()), new UpdateOptions { IsUpsert = true }, ct);
        }

        await messages.UpdateManyAsync(s, MessageFilter.Eq(m => m.ConversationId, from.Id),
            Builders<MessageDocument>.Update.Set(m => m.ConversationId, into.Id).Set(m => m.CustomerId, survivorId), cancellationToken: ct);
        var latest = from.LastMessageAtTicks > into.LastMessageAtTicks ? from : into;
        var open = from.Status == ConversationStatuses.Open || into.Status == ConversationStatuses.Open;
        var assignee = into.AssigneeId ?? (open ? from.AssigneeId : null);
        var status = open ? ConversationStatuses.Open : into.Status;
        await conversations.UpdateOneAsync(s, ConversationFilter.Eq(c => c.Id, into.Id), Builders<ConversationDocument>.Update
            .Set(c => c.LastMessageAtTicks, latest.LastMessageAtTicks).Set(c => c.LastMessagePreview, latest.LastMessagePreview)
            .Set(c => c.WaitingSinceTicks, new[] { from.WaitingSinceTicks, into.WaitingSinceTicks }.Where(w => w is not null).Min())
            .Set(c => c.Status, status).Set(c => c.SnoozedUntilTicks, status == ConversationStatuses.Snoozed ? into.SnoozedUntilTicks : null)
            .Set(c => c.AssigneeId, assignee).Set(c => c.TeamId, into.TeamId ?? from.TeamId)
            .Set(c => c.AssignedAtTicks, into.AssigneeId is null && assignee is not null ? from.AssignedAtTicks : into.AssignedAtTicks)
            .Set(c => c.QueuedAtTicks, assignee is null && open ? into.QueuedAtTicks ?? from.QueuedAtTicks : null)
            .Set(c => c.Labels, (into.Labels ?? []).Union(from.Labels ?? []).ToList()), cancellationToken: ct);
        await conversations.UpdateOneAsync(s, ConversationFilter.Eq(c => c.Id, from.Id), Builders<ConversationDocument>.Update
            .Set(c => c.Status, ConversationStatuses.Merged).Set(c => c.MergedInto, into.Id).Set(c => c.AssigneeId, null).Set(c => c.TeamId, null)
            .Set(c => c.QueuedAtTicks, null).Set(c => c.WaitingSinceTicks, null).Set(c => c.SnoozedUntilTicks, null), cancellationToken: ct);
        return join;
    }

    /// <summary>Behaviour: earliest first contact, latest last contacts, counts summed (overall and per channel); consent the stricter per channel; labels united.</summary>
    private static CustomerDocument CombineCustomers(CustomerDocument s, CustomerDocument m)
    {
        static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
        static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
        static long Last(CustomerDocument d) => new[] { d.LastInboundAtTicks, d.LastOutboundAgentAtTicks, d.LastOutboundAutomationAtTicks }.Max() ?? 0;
        var activity = (s.ChannelActivity ?? []).Concat(m.ChannelActivity ?? []).GroupBy(a => a.Channel).Select(g => g.Aggregate((a, b) => new ChannelActivityDocument
        {
            Channel = a.Channel,
            FirstSeenAtTicks = Min(a.FirstSeenAtTicks, b.FirstSeenAtTicks),
            LastInboundAtTicks = Max(a.LastInboundAtTicks, b.LastInboundAtTicks),
            LastOutboundAgentAtTicks = Max(a.LastOutboundAgentAtTicks, b.LastOutboundAgentAtTicks),
            LastOutboundAutomationAtTicks = Max(a.LastOutboundAutomationAtTicks, b.LastOutboundAutomationAtTicks),
            InboundCount = a.InboundCount + b.InboundCount,
            OutboundCount = a.OutboundCount + b.OutboundCount,
        })).ToList();
        var consents = (s.Consents ?? []).Concat(m.Consents ?? []).GroupBy(c => c.Channel)
            .Select(g => g.FirstOrDefault(c => c.State == ConsentStates.OptedOut) ?? g.First()).ToList();
        return new CustomerDocument
        {
            FirstSeenAtTicks = Min(s.FirstSeenAtTicks, m.FirstSeenAtTicks),
            LastInboundAtTicks = Max(s.LastInboundAtTicks, m.LastInboundAtTicks),
            LastOutboundAgentAtTicks = Max(s.LastOutboundAgentAtTicks, m.LastOutboundAgentAtTicks),
            LastOutboundAutomationAtTicks = Max(s.LastOutboundAutomationAtTicks, m.LastOutboundAutomationAtTicks),
            LastChannel = (m.LastChannel is not null && (s.LastChannel is null || Last(m) > Last(s)) ? m : s).LastChannel,
            InboundCount = s.InboundCount + m.InboundCount,
            OutboundCount = s.OutboundCount + m.OutboundCount,
            ChannelActivity = activity.Count == 0 ? null : activity,
            Consents = consents.Count == 0 ? null : consents,
            LabelIds = (s.LabelIds ?? []).Union(m.LabelIds ?? []).ToList() is { Count: > 0 } labels ? labels : null,
        };
    }

    public async Task<UndoResult> UndoMergeAsync(Guid workspaceId, Guid mergeId, Guid? by, DateTimeOffset now, TimeSpan grace, CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync((s, token) => UndoAsync(s, workspaceId, mergeId, by, now, grace, token), cancellationToken: ct);
    }

    private async Task<UndoResult> UndoAsync(IClientSessionHandle s, Guid workspaceId, Guid mergeId, Guid? by, DateTimeOffset now, TimeSpan grace, CancellationToken ct)
    {
        var journal = await MergeJournal.Find(s, Builders<MergeDocument>.Filter.Eq(m => m.Id, mergeId) & Builders<MergeDocument>.Filter.Eq(m => m.WorkspaceId, workspaceId))
            .FirstOrDefaultAsync(ct);
        if (journal is null) return new UndoResult(UndoOutcome.NotFound, null, []);
        var merge = ToMerge(journal);
        var reasons = await WhyUndoIsUntrueAsync(s, journal, now, grace, ct);
        if (reasons.Count > 0) return new UndoResult(UndoOutcome.Refused, merge, reasons);

        var survivorVersion = journal.SurvivorAfter["version"].ToInt64() + 1;
        var mergedVersion = (journal.MergedAfter.GetValue("version", 0).ToInt64()) + 1;
        // The survivor first gives back the merged customer's identities (the unique identity index holds at every step).
        await RawCustomers.ReplaceOneAsync(s, IdOf(journal.SurvivorId), new BsonDocument(journal.SurvivorBefore) { ["version"] = survivorVersion }, cancellationToken: ct);
        await RawCustomers.ReplaceOneAsync(s, IdOf(journal.MergedId), new BsonDocument(journal.MergedBefore) { ["version"] = mergedVersion }, cancellationToken: ct);
        var mergedName = journal.MergedBefore.GetValue("displayName", BsonNull.Value) is { IsString: true } name ? name.AsString : null;
        foreach (var id in journal.Moved)
        {
            await conversations.UpdateOneAsync(s, ConversationFilter.Eq(c => c.Id, id),
                Builders<ConversationDocument>.Update.Set(c => c.CustomerId, journal.MergedId).Set(c => c.CustomerName, mergedName), cancellationToken: ct);
            await messages.UpdateManyAsync(s, MessageFilter.Eq(m => m.ConversationId, id), Builders<MessageDocument>.Update.Set(m => m.CustomerId, journal.MergedId),
                cancellationToken: ct);
        }
        foreach (var join in journal.Joins)
        {
            await messages.UpdateManyAsync(s, MessageFilter.In(m => m.Id, join.Messages),
                Builders<MessageDocument>.Update.Set(m => m.ConversationId, join.From).Set(m => m.CustomerId, journal.MergedId), cancellationToken: ct);
            await RawConversations.ReplaceOneAsync(s, IdOf(join.From), join.FromBefore, cancellationToken: ct);
            await RawConversations.ReplaceOneAsync(s, IdOf(join.Into), join.IntoBefore, cancellationToken: ct);
            await Reads.DeleteManyAsync(s, Builders<ReadDocument>.Filter.In(r => r.ConversationId, new[] { join.From, join.Into }), cancellationToken: ct);
            if (join.ReadsBefore.Count > 0) await RawReads.InsertManyAsync(s, join.ReadsBefore, cancellationToken: ct);
        }
        await ProfileChanges.UpdateManyAsync(s, Builders<ProfileChangeDocument>.Filter.In(c => c.Id, journal.MovedChanges),
            Builders<ProfileChangeDocument>.Update.Set(c => c.CustomerId, journal.MergedId), cancellationToken: ct);
        await ProfileChanges.InsertManyAsync(s,
        [
            Change(workspaceId, journal.SurvivorId, survivorVersion, "merge-undone", journal.MergedId.ToString(), null, by, now),
            Change(workspaceId, journal.MergedId, mergedVersion, "merge-undone", journal.SurvivorId.ToString(), null, by, now),
        ], cancellationToken: ct);
        await MergeJournal.UpdateOneAsync(s, Builders<MergeDocument>.Filter.Eq(m => m.Id, mergeId),
            Builders<MergeDocument>.Update.Set(m => m.UndoneAtTicks, now.UtcTicks).Set(m => m.UndoneBy, by), cancellationToken: ct);
        return new UndoResult(UndoOutcome.Undone, merge with { UndoneAt = now, UndoneBy = by }, []);
    }

    private async Task<List<string>> WhyUndoIsUntrueAsync(IClientSessionHandle s, MergeDocument journal, DateTimeOffset now, TimeSpan grace, CancellationToken ct)
    {
        if (journal.UndoneAtTicks is { } undone) return [$"The merge was undone already, at {FromTicks(undone):u}."];
        var reasons = new List<string>();
        var mergedAt = FromTicks(journal.MergedAtTicks);
        if (now > mergedAt + grace) reasons.Add($"The merge can be undone until {mergedAt + grace:u}; that time has passed.");
        if (Differences(journal.SurvivorAfter, await RawCustomerAsync(s, journal.SurvivorId, ct)) is { Count: > 0 } changed)
            reasons.Add($"The surviving customer changed since the merge ({string.Join(", ", changed)}); undo would lose that.");
        if (Differences(journal.MergedAfter, await RawCustomerAsync(s, journal.MergedId, ct)) is { Count: > 0 } mergedChanged)
            reasons.Add($"The merged customer changed since the merge ({string.Join(", ", mergedChanged)}).");
        var count = await messages.CountDocumentsAsync(s, MessageFilter.Eq(m => m.CustomerId, journal.SurvivorId), cancellationToken: ct);
        if (count != journal.SurvivorMessagesAfter)
            reasons.Add($"{Math.Abs(count - journal.SurvivorMessagesAfter)} message(s) came or went since the merge: undo cannot tell whose they are.");
        foreach (var join in journal.Joins)
            if (Differences(join.IntoAfter, await RawConversationAsync(s, join.Into, ct)) is { Count: > 0 } threadChanged)
                reasons.Add($"Conversation {join.Into} changed since the merge ({string.Join(", ", threadChanged)}).");
        return reasons;
    }

    private static List<string> Differences(BsonDocument then, BsonDocument now)
        => then.Names.Union(now.Names).Where(n => !Equals(then.GetValue(n, BsonNull.Value), now.GetValue(n, BsonNull.Value))).Order(StringComparer.Ordinal).ToList();

    public async Task<CustomerMerge?> GetMergeAsync(Guid workspaceId, Guid mergeId, CancellationToken ct = default)
        => await MergeJournal.Find(Builders<MergeDocument>.Filter.Eq(m => m.Id, mergeId) & Builders<MergeDocument>.Filter.Eq(m => m.WorkspaceId, workspaceId))
            .FirstOrDefaultAsync(ct) is { } found ? ToMerge(found) : null;

    public async Task<IReadOnlyList<CustomerMerge>> ListMergesAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default)
    {
        // ix_customer_merges_survivor and ix_customer_merges_merged.
        var filter = Builders<MergeDocument>.Filter;
        var found = await MergeJournal.Find(filter.Eq(m => m.WorkspaceId, workspaceId) & (filter.Eq(m => m.SurvivorId, customerId) | filter.Eq(m => m.MergedId, customerId)))
            .ToListAsync(ct);
        return found.Select(ToMerge).OrderByDescending(m => m.MergedAt).ThenBy(m => m.Id).ToList();
    }

    public async Task<IReadOnlyList<(Guid CustomerId, IReadOnlyList<MatchKey> Keys)>> FindMatchKeysAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default)
    {
        var mine = await customers.Find(Owned(workspaceId, customerId) & CustomerFilter.Eq(c => c.MergedInto, null)).FirstOrDefaultAsync(ct);
        if (mine?.MatchKeys is not { Count: > 0 } keys) return [];
        // ix_customers_match_keys, one range per key of the customer.
        var any = CustomerFilter.Or(keys.Select(k => CustomerFilter.ElemMatch(c => c.MatchKeys, m => m.Kind == k.Kind && m.Value == k.Value)));
        var found = await customers.Find(CustomerFilter.Eq(c => c.WorkspaceId, workspaceId) & CustomerFilter.Eq(c => c.MergedInto, null) & any).ToListAsync(ct);
        var wanted = keys.Select(k => (k.Kind, k.Value)).ToHashSet();
        return found.Select(d => (d.Id, (IReadOnlyList<MatchKey>)(d.MatchKeys ?? []).Where(k => wanted.Contains((k.Kind, k.Value))).Select(ToKey).ToList()))
            .OrderBy(d => d.Id).ToList();
    }

    public async Task<IReadOnlyList<(string Kind, string Value, IReadOnlyList<(Guid CustomerId, MatchKey Key)> Holders)>> ListSharedMatchKeysAsync(Guid workspaceId,
        string? afterValue, int take, CancellationToken ct = default)
    {
        // ix_customers_match_keys for the workspace; the keys two or more customers share, in key order, from the cursor on.
        var pipeline = new[]
        {
            new BsonDocument("$match", new BsonDocument { ["workspaceId"] = new BsonBinaryData(workspaceId, GuidRepresentation.Standard), ["mergedInto"] = BsonNull.Value }),
            new BsonDocument("$unwind", "$matchKeys"),
            new BsonDocument("$addFields", new BsonDocument("sortKey", new BsonDocument("$concat", new BsonArray { "$matchKeys.kind", " ", "$matchKeys.value" }))),
            new BsonDocument("$match", new BsonDocument("sortKey", new BsonDocument("$gt", afterValue ?? ""))),
            new BsonDocument("$group", new BsonDocument
            {
                ["_id"] = "$sortKey",
                ["kind"] = new BsonDocument("$first", "$matchKeys.kind"),
                ["value"] = new BsonDocument("$first", "$matchKeys.value"),
                ["customers"] = new BsonDocument("$addToSet", "$_id"),
                ["holders"] = new BsonDocument("$push", new BsonDocument { ["customerId"] = "$_id", ["key"] = "$matchKeys" }),
            }),
            new BsonDocument("$match", new BsonDocument("customers.1", new BsonDocument("$exists", true))),
            new BsonDocument("$sort", new BsonDocument("_id", 1)),
            new BsonDocument("$limit", take),
        };
        var found = await RawCustomers.Aggregate<BsonDocument>(pipeline, cancellationToken: ct).ToListAsync(ct);
        return found.Select(d => (d["kind"].AsString, d["value"].AsString, (IReadOnlyList<(Guid, MatchKey)>)d["holders"].AsBsonArray
            .Select(h => (h["customerId"].AsGuid, ToKey(MongoDB.Bson.Serialization.BsonSerializer.Deserialize<MatchKeyDocument>(h["key"].AsBsonDocument)))).ToList())).ToList();
    }

    public async Task<bool> GetAutoMergeAsync(Guid workspaceId, CancellationToken ct = default)
        => (await CustomerSettings.Find(Builders<SettingsDocument>.Filter.Eq(d => d.WorkspaceId, workspaceId)).FirstOrDefaultAsync(ct))?.AutoMerge ?? false;

    public Task SetAutoMergeAsync(Guid workspaceId, bool on, CancellationToken ct = default)
        => CustomerSettings.UpdateOneAsync(Builders<SettingsDocument>.Filter.Eq(d => d.WorkspaceId, workspaceId),
            Builders<SettingsDocument>.Update.Set(d => d.AutoMerge, on), new UpdateOptions { IsUpsert = true }, ct);

    private static List<MatchKeyDocument> MatchKeyDocuments(CustomerProfileFields fields, IEnumerable<ChannelIdentity> identities)
        => CustomerMergeRules.MatchKeys(fields, identities)
            .Select(k => new MatchKeyDocument { Kind = k.Kind, Value = k.Value, Raw = k.Raw, Verified = k.Verified, Source = k.Source }).ToList();

    private static MatchKey ToKey(MatchKeyDocument k) => new(k.Kind, k.Value, k.Raw, k.Verified, k.Source);

    private static ProfileChangeDocument Change(Guid workspaceId, Guid customerId, long version, string field, string? from, string? to, Guid? by, DateTimeOffset at)
        => new() { Id = Guid.NewGuid(), WorkspaceId = workspaceId, CustomerId = customerId, Version = version, Field = field, From = from, To = to, ChangedBy = by, AtTicks = at.UtcTicks };

    private static FilterDefinition<BsonDocument> IdOf(Guid id) => Builders<BsonDocument>.Filter.Eq("_id", new BsonBinaryData(id, GuidRepresentation.Standard));

    private Task<BsonDocument> RawCustomerAsync(IClientSessionHandle s, Guid id, CancellationToken ct) => RawCustomers.Find(s, IdOf(id)).FirstAsync(ct);

    private Task<BsonDocument> RawConversationAsync(IClientSessionHandle s, Guid id, CancellationToken ct) => RawConversations.Find(s, IdOf(id)).FirstAsync(ct);

    private static CustomerMerge ToMerge(MergeDocument d) => new(d.Id, d.WorkspaceId, d.SurvivorId, d.MergedId, d.MergedBy, d.Automatic, FromTicks(d.MergedAtTicks),
        d.Moved, d.Joins.Select(j => new JoinedConversation(j.From, j.Into)).ToList())
    {
        UndoneAt = d.UndoneAtTicks is { } undone ? FromTicks(undone) : null,
        UndoneBy = d.UndoneBy,
    };

    private sealed partial class CustomerDocument
    {
        // The survivor a merged-away customer points at; absent for every other customer.
        [BsonElement("mergedInto"), BsonIgnoreIfNull, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? MergedInto { get; set; }

        // Phones (canonical WhatsApp form) and emails (lowercase) for merge suggestions; maintained on every profile write.
        [BsonElement("matchKeys"), BsonIgnoreIfNull] public List<MatchKeyDocument>? MatchKeys { get; set; }
    }

    private sealed partial class ConversationDocument
    {
        // The survivor's thread an emptied (merged) conversation's messages went into.
        [BsonElement("mergedInto"), BsonIgnoreIfNull, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? MergedInto { get; set; }
    }

    private sealed class MatchKeyDocument
    {
        [BsonElement("kind")] public string Kind { get; set; } = "";
        [BsonElement("value")] public string Value { get; set; } = "";
        [BsonElement("raw")] public string Raw { get; set; } = "";
        [BsonElement("verified")] public bool Verified { get; set; }
        [BsonElement("source")] public string Source { get; set; } = "";
    }

    private sealed class SettingsDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid WorkspaceId { get; set; }
        [BsonElement("autoMerge")] public bool AutoMerge { get; set; }
    }

    private sealed class MergeDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid WorkspaceId { get; set; }
        [BsonElement("survivorId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid SurvivorId { get; set; }
        [BsonElement("mergedId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid MergedId { get; set; }
        [BsonElement("mergedBy"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid? MergedBy { get; set; }
        [BsonElement("automatic")] public bool Automatic { get; set; }
        [BsonElement("mergedAtTicks")] public long MergedAtTicks { get; set; }
        [BsonElement("undoneAtTicks")] public long? UndoneAtTicks { get; set; }
        [BsonElement("undoneBy"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid? UndoneBy { get; set; }
        [BsonElement("moved"), BsonGuidRepresentation(GuidRepresentation.Standard)] public List<Guid> Moved { get; set; } = [];
        [BsonElement("joins")] public List<JoinDocument> Joins { get; set; } = [];
        [BsonElement("movedChanges"), BsonGuidRepresentation(GuidRepresentation.Standard)] public List<Guid> MovedChanges { get; set; } = [];
        [BsonElement("survivorBefore")] public BsonDocument SurvivorBefore { get; set; } = [];
        [BsonElement("mergedBefore")] public BsonDocument MergedBefore { get; set; } = [];
        [BsonElement("survivorAfter")] public BsonDocument SurvivorAfter { get; set; } = [];
        [BsonElement("mergedAfter")] public BsonDocument MergedAfter { get; set; } = [];
        [BsonElement("survivorMessagesAfter")] public long SurvivorMessagesAfter { get; set; }
    }

    private sealed class JoinDocument
    {
        [BsonElement("from"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid From { get; set; }
        [BsonElement("into"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Into { get; set; }
        [BsonElement("fromBefore")] public BsonDocument FromBefore { get; set; } = [];
        [BsonElement("intoBefore")] public BsonDocument IntoBefore { get; set; } = [];
        [BsonElement("intoAfter")] public BsonDocument IntoAfter { get; set; } = [];
        [BsonElement("readsBefore")] public List<BsonDocument> ReadsBefore { get; set; } = [];
        [BsonElement("messages"), BsonGuidRepresentation(GuidRepresentation.Standard)] public List<Guid> Messages { get; set; } = [];
    }
}
