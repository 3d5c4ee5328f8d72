using System.Linq.Expressions;
using Crm.Contracts;
using Crm.Inbox.Conversations;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// The distributed store. Where SQLite serializes writers with transactions, this relies on unique
/// (partial) indexes: a racing insert fails with a duplicate key and the loser reads the winner's
/// document. Times are stored as UTC ticks to keep ordering exact. The one exception is a reassignment, a transaction
/// (capacity counts other documents): so the server must be a replica set (see MongoInboxStore.Assignment.cs).
/// </summary>
public sealed partial class MongoInboxStore(IMongoDatabase database) : IInboxStore, ILabelStore, ICannedReplyStore
{
    private readonly IMongoCollection<CustomerDocument> customers = database.GetCollection<CustomerDocument>("customers");
    private readonly IMongoCollection<ConversationDocument> conversations = database.GetCollection<ConversationDocument>("conversations");
    private readonly IMongoCollection<MessageDocument> messages = database.GetCollection<MessageDocument>("messages");

    private static FilterDefinitionBuilder<CustomerDocument> CustomerFilter => Builders<CustomerDocument>.Filter;
    private static FilterDefinitionBuilder<ConversationDocument> ConversationFilter => Builders<ConversationDocument>.Filter;
    private static FilterDefinitionBuilder<MessageDocument> MessageFilter => Builders<MessageDocument>.Filter;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        // An identity is unique within a workspace: the same number writing to two workspaces is two customers.
        await DropIndexIfPresentAsync(customers, "ux_customers_identity", ct);
        await customers.Indexes.CreateOneAsync(new CreateIndexModel<CustomerDocument>(
            Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending("identities.channel").Ascending("identities.value"),
            new CreateIndexOptions { Name = "ux_customers_workspace_identity", Unique = true }), cancellationToken: ct);

        var conversationIndexes = await (await conversations.Indexes.ListAsync(ct)).ToListAsync(ct);
        if (conversationIndexes.Any(index => index["name"] == "ux_conversations_one_open"))
        {
            // A collection from before business addresses were recorded (its per-channel index is still there):
            // its conversations get the "not recorded" value, so the per-business unique index below treats them
            // alike, then the indexes that one replaces go. Runs once, not on every start.
            await conversations.UpdateManyAsync(ConversationFilter.Exists(c => c.BusinessIdentity, false),
                Builders<ConversationDocument>.Update.Set(c => c.BusinessIdentity, ""), cancellationToken: ct);
            await DropIndexIfPresentAsync(conversations, "ux_conversations_one_open", ct);
        }
        if (conversationIndexes.Any(index => index["name"] == "ux_conversations_one_open_per_business"))
            await DropIndexIfPresentAsync(conversations, "ux_conversations_one_open_per_business", ct);
        if (conversationIndexes.Any(index => index["name"] == "ix_conversations_activity"))
            await DropIndexIfPresentAsync(conversations, "ix_conversations_activity", ct);
        if (conversationIndexes.Any(index => index["name"] == "ix_conversations_activity_keyset"))
            await DropIndexIfPresentAsync(conversations, "ix_conversations_activity_keyset", ct);
        await conversations.Indexes.CreateManyAsync(
        [
            // One conversation per customer, channel and business address, whatever its status: a customer's message opens it again.
            new CreateIndexModel<ConversationDocument>(
                Builders<ConversationDocument>.IndexKeys.Ascending(c => c.CustomerId).Ascending(c => c.Channel).Ascending(c => c.BusinessIdentity),
                new CreateIndexOptions { Name = "ux_conversations_thread", Unique = true }),
            // Snoozed conversations whose time has come.
            new CreateIndexModel<ConversationDocument>(
                Builders<ConversationDocument>.IndexKeys.Ascending(c => c.SnoozedUntilTicks),
                new CreateIndexOptions<ConversationDocument>
                {
                    Name = "ix_conversations_snoozed",
                    PartialFilterExpression = ConversationFilter.Eq(c => c.Status, ConversationStatuses.Snoozed),
                }),
            // A new profile name is copied to all of the customer's conversations.
            new CreateIndexModel<ConversationDocument>(
                Builders<ConversationDocument>.IndexKeys.Ascending(c => c.CustomerId),
                new CreateIndexOptions { Name = "ix_conversations_customer" }),
            new CreateIndexModel<ConversationDocument>(
                Builders<ConversationDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending(c => c.Status)
                    .Descending(c => c.LastMessageAtTicks).Descending(c => c.Id),
                new CreateIndexOptions { Name = "ix_conversations_workspace_status_activity" }),
            new CreateIndexModel<ConversationDocument>(
                Builders<ConversationDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending(c => c.WaitingSinceTicks).Ascending(c => c.Id),
                new CreateIndexOptions { Name = "ix_conversations_workspace_waiting" }),
            // Keyset pages of a workspace's list: (last activity, id) both descending, like the sort.
            new CreateIndexModel<ConversationDocument>(
                Builders<ConversationDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Descending(c => c.LastMessageAtTicks).Descending(c => c.Id),
                new CreateIndexOptions { Name = "ix_conversations_workspace_activity" }),
        ], ct);

        await messages.Indexes.CreateManyAsync(
        [
            // Only provider ids are unique: outbound messages have none until the provider accepts them.
            new CreateIndexModel<MessageDocument>(
                Builders<MessageDocument>.IndexKeys.Ascending(m => m.Channel).Ascending(m => m.ChannelMessageId),
                new CreateIndexOptions<MessageDocument>
                {
                    Name = "ux_messages_channel_message_id",
                    Unique = true,
                    PartialFilterExpression = HasChannelMessageId,
                }),
            new CreateIndexModel<MessageDocument>(
                Builders<MessageDocument>.IndexKeys.Ascending(m => m.ConversationId).Ascending(m => m.CreatedAtTicks).Ascending(m => m.Id),
                new CreateIndexOptions { Name = "ix_messages_timeline" }),
        ], ct);
        await InitializeRepliesAsync(ct);
        await InitializeLabelsAsync(ct);
        await InitializeCannedRepliesAsync(ct);
        await InitializeReadsAsync(ct);
        await InitializeTeamsAsync(ct);
        await InitializeAssignmentAsync(ct);
        await InitializeSearchAsync(ct);
        await InitializeProfilesAsync(ct);
        await InitializeCustomerImportsAsync(ct);
        await InitializeAttributesAsync(ct);
        await InitializeSegmentsAsync(ct);
        await InitializeMergeAsync(ct);
    }

    public Task<Customer> ResolveCustomerAsync(Guid workspaceId, ChannelIdentity identity, string? displayName, DateTimeOffset now, CancellationToken ct = default)
        => ResolveCustomerAsync(workspaceId, identity, displayName, now, now, ct);

    /// <summary><paramref name="now"/> is when a new customer first wrote; <paramref name="namedAt"/> when the name they gave arrived.</summary>
    private async Task<Customer> ResolveCustomerAsync(Guid workspaceId, ChannelIdentity identity, string? displayName, DateTimeOffset now, DateTimeOffset namedAt,
        CancellationToken ct)
    {
        // ux_customers_workspace_identity
        var owner = CustomerFilter.Eq(c => c.WorkspaceId, workspaceId)
                    & CustomerFilter.ElemMatch(c => c.Identities, i => i.Channel == identity.Channel && i.Value == identity.Value);
        while (true)
        {
            var existing = await customers.Find(owner).FirstOrDefaultAsync(ct);
            if (existing is not null && !string.IsNullOrEmpty(displayName) && existing.DisplayName != displayName)
            {
                // Customers change their profile name; the newest one is what agents expect to see, on the
                // customer and on each of their conversations (ix_conversations_customer).
                // It is a profile change like an agent's: a new version, and an audit entry by nobody (the channel).
                var before = existing.DisplayName;
                existing.DisplayName = displayName;
                var renamed = await customers.FindOneAndUpdateAsync(CustomerFilter.Eq(c => c.Id, existing.Id) & CustomerFilter.Ne(c => c.DisplayName, displayName),
                    Builders<CustomerDocument>.Update.Set(c => c.DisplayName, displayName).Inc(c => c.Version, 1),
                    new FindOneAndUpdateOptions<CustomerDocument> { ReturnDocument = ReturnDocument.After }, ct);
                if (renamed is not null) await RecordChannelRenameAsync(renamed, before, namedAt, ct);
                await conversations.UpdateManyAsync(
                    ConversationFilter.Eq(c => c.CustomerId, existing.Id) & ConversationFilter.Ne(c => c.CustomerName, displayName),
                    Builders<ConversationDocument>.Update.Set(c => c.CustomerName, displayName), cancellationToken: ct);
            }
            if (existing is not null) return ToCustomer(existing);

            var created = new CustomerDocument
            {
                Id = Guid.NewGuid(),
                DisplayName = string.IsNullOrEmpty(displayName) ? null : displayName, // no name is null in both stores: the customer list sorts it first
                Identities = [new IdentityDocument { Channel = identity.Channel, Value = identity.Value }],
                CreatedAtTicks = now.UtcTicks,
                WorkspaceId = workspaceId,
                // A WhatsApp number is a merge suggestion's key from the first message.
                MatchKeys = MatchKeyDocuments(new Customers.CustomerProfileFields(), [identity]),
            };
            try
            {
                await customers.InsertOneAsync(created, cancellationToken: ct);
                return ToCustomer(created);
            }
            catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
            {
                // A concurrent first contact from the same identity won; the next pass reads its customer.
            }
        }
    }

    public async Task<Customer?> GetCustomerAsync(Guid id, CancellationToken ct = default)
    {
        var found = await customers.Find(CustomerFilter.Eq(c => c.Id, id)).FirstOrDefaultAsync(ct);
        return found is null ? null : ToCustomer(found);
    }

    public Task<Conversation> OpenConversationAsync(Customer customer, ChannelIdentity identity, string? businessIdentity, DateTimeOffset now, CancellationToken ct = default)
        => OpenConversationAsync(ConversationLifecycle.Queue(new Conversation(Guid.NewGuid(), customer.Id, identity.Channel, identity.Value, customer.DisplayName,
            ConversationStatuses.Open, null, now, now, null) { BusinessIdentity = businessIdentity, WorkspaceId = customer.WorkspaceId }, now), ct);

    /// <summary>The conversation of <paramref name="opening"/>'s customer, channel and business address; <paramref name="opening"/> itself if there is none yet.</summary>
    private async Task<Conversation> OpenConversationAsync(Conversation opening, CancellationToken ct)
    {
        // ux_conversations_thread
        var open = ConversationFilter.Eq(c => c.CustomerId, opening.CustomerId)
                   & ConversationFilter.Eq(c => c.Channel, opening.Channel)
                   & ConversationFilter.Eq(c => c.BusinessIdentity, opening.BusinessIdentity ?? "");
        while (true)
        {
            var existing = await conversations.Find(open).FirstOrDefaultAsync(ct);
            if (existing is not null) return ToConversation(existing);

            try
            {
                await conversations.InsertOneAsync(ToDocument(opening), cancellationToken: ct);
                return opening;
            }
            catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
            {
                // Another message opened it first; the next pass returns that one.
            }
        }
    }

    public async Task<Conversation?> GetConversationAsync(Guid id, CancellationToken ct = default)
    {
        var found = await conversations.Find(ConversationFilter.Eq(c => c.Id, id)).FirstOrDefaultAsync(ct);
        return found is null ? null : ToConversation(found);
    }

    public async Task<IReadOnlyList<Conversation>> ListConversationsAsync(Guid workspaceId, PageCursor? after, int take, ConversationListFilter? filter = null,
        CancellationToken ct = default)
    {
        if (filter is not null && filter != new ConversationListFilter()) return await ListFilteredAsync(workspaceId, after, take, filter, ct);
        return await ListByActivityAsync(ConversationFilter.Eq(c => c.WorkspaceId, workspaceId) & NotMerged, after, take, ct);
    }

    private async Task<IReadOnlyList<Conversation>> ListFilteredAsync(Guid workspaceId, PageCursor? after, int take, ConversationListFilter list,
        CancellationToken ct)
    {
        var filter = ConversationFilter.Eq(c => c.WorkspaceId, workspaceId);
        filter &= list.Status is not null ? ConversationFilter.Eq(c => c.Status, list.Status) : NotMerged;
        if (list.Priority is not null) filter &= ConversationFilter.Eq(c => c.Priority, list.Priority);
        if (list.ConnectionId is not null) filter &= ConversationFilter.Eq(c => c.ConnectionId, list.ConnectionId);
        if (list.LabelId is { } label) filter &= ConversationFilter.AnyEq(c => c.Labels, label);
        // By assignee (or nobody) ix_conversations_workspace_assignee_activity, by team ix_conversations_workspace_team_activity.
        if (list.AssigneeId is { } assignee) filter &= ConversationFilter.Eq(c => c.AssigneeId, assignee);
        if (list.Unassigned) filter &= ConversationFilter.Eq(c => c.AssigneeId, null);
        if (list.TeamId is { } team) filter &= ConversationFilter.Eq(c => c.TeamId, team);
        // The customer's index: a customer has a handful, one per channel and business number.
        if (list.CustomerId is { } customer) filter &= ConversationFilter.Eq(c => c.CustomerId, customer);
        return list.Sort switch
        {
            // ix_conversations_workspace_waiting: waiting customers, longest first.
            ConversationSorts.LongestWaiting => await ListAscendingAsync(filter & ConversationFilter.Ne(c => c.WaitingSinceTicks, null), c => c.WaitingSinceTicks,
                after, take, ct),
            // ix_conversations_queue: the queue, longest queued first.
            ConversationSorts.Queue => await ListAscendingAsync(filter & IsQueued, c => c.QueuedAtTicks, after, take, ct),
            _ => await ListByActivityAsync(filter, after, take, ct),
        };
    }

    /// <summary>A keyset page in ascending (<paramref name="key"/>, id) order, after the cursor.</summary>
    private async Task<IReadOnlyList<Conversation>> ListAscendingAsync(FilterDefinition<ConversationDocument> filter,
        Expression<Func<ConversationDocument, long?>> key, PageCursor? after, int take, CancellationToken ct)
    {
        if (after is { } cursor)
        {
            // The bound on the key alone starts the index scan at the cursor; the id clause drops the same tick's rows already shown.
            long? at = cursor.At.UtcTicks;
            filter &= ConversationFilter.Gte(key, at) & (ConversationFilter.Gt(key, at) | ConversationFilter.Gt(c => c.Id, cursor.Id));
        }
        var find = conversations.Find(filter).Sort(Builders<ConversationDocument>.Sort
            .Ascending(new ExpressionFieldDefinition<ConversationDocument>(key)).Ascending(c => c.Id));
        return (await PageAsync(find, take, ct)).Select(ToConversation).ToList();
    }

    private async Task<IReadOnlyList<Conversation>> ListByActivityAsync(FilterDefinition<ConversationDocument> filter, PageCursor? after, int take,
        CancellationToken ct)
    {
        if (after is { } cursor)
        {
            // The bound on the time alone starts the scan of ix_conversations_workspace_activity at the cursor; the
            // id clause only drops the few rows of the same tick already shown.
            var at = cursor.At.UtcTicks;
            filter &= ConversationFilter.Lte(c => c.LastMessageAtTicks, at)
                     & (ConversationFilter.Lt(c => c.LastMessageAtTicks, at) | ConversationFilter.Lt(c => c.Id, cursor.Id));
        }
        var find = conversations.Find(filter)
            .Sort(Builders<ConversationDocument>.Sort.Descending(c => c.LastMessageAtTicks).Descending(c => c.Id));
        return (await PageAsync(find, take, ct)).Select(ToConversation).ToList();
    }

    public async Task<bool> AppendMessageAsync(TimelineMessage message, CancellationToken ct = default)
    {
        try
        {
            await messages.InsertOneAsync(ToDocument(message), cancellationToken: ct);
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            // Same message id, or same provider id on the channel: a redelivery.
            return false;
        }

        if (Directions.IsConversation(message.Direction)) await MoveLastActivityAsync(message, ct);
        return true;
    }

    /// <summary>Makes <paramref name="message"/> its conversation's last activity, unless a newer one already is.</summary>
    private Task MoveLastActivityAsync(TimelineMessage message, CancellationToken ct)
    {
        // A late-arriving older message must not replace the preview of a newer one.
        var at = message.CreatedAt.UtcTicks;
        return conversations.UpdateOneAsync(
            ConversationFilter.Eq(c => c.Id, message.ConversationId) & ConversationFilter.Lte(c => c.LastMessageAtTicks, at),
            Builders<ConversationDocument>.Update.Set(c => c.LastMessageAtTicks, at).Set(c => c.LastMessagePreview, message.Preview),
            cancellationToken: ct);
    }

    public async Task<TimelineMessage?> GetMessageAsync(Guid id, CancellationToken ct = default)
    {
        var found = await messages.Find(MessageFilter.Eq(m => m.Id, id)).FirstOrDefaultAsync(ct);
        return found is null ? null : ToMessage(found);
    }

    public async Task<TimelineMessage?> FindMessageByChannelIdAsync(string channel, string channelMessageId, CancellationToken ct = default)
    {
        // The $type clause is redundant for matching but lets the planner pick the partial unique index,
        // which it only does when the query visibly implies the index's filter.
        var found = await messages.Find(MessageFilter.Eq(m => m.Channel, channel)
                                        & MessageFilter.Eq(m => m.ChannelMessageId, channelMessageId)
                                        & HasChannelMessageId)
            .FirstOrDefaultAsync(ct);
        return found is null ? null : ToMessage(found);
    }

    public async Task<IReadOnlyList<TimelineMessage>> ListMessagesAsync(Guid conversationId, PageCursor? before, int take, CancellationToken ct = default)
    {
        var filter = MessageFilter.Eq(m => m.ConversationId, conversationId);
        if (before is { } cursor)
        {
            // A seek on ix_messages_timeline bounded by the time alone; ties on the tick are broken by _id,
            // compared the same way here as in the sort below. No anchor message is looked up.
            var at = cursor.At.UtcTicks;
            filter &= MessageFilter.Lte(m => m.CreatedAtTicks, at)
                      & (MessageFilter.Lt(m => m.CreatedAtTicks, at) | MessageFilter.Lt(m => m.Id, cursor.Id));
        }

        var find = messages.Find(filter)
            .Sort(Builders<MessageDocument>.Sort.Descending(m => m.CreatedAtTicks).Descending(m => m.Id));
        var newestFirst = await PageAsync(find, take, ct);
        return newestFirst.Select(ToMessage).Reverse().ToList();
    }

    public async Task<TimelineMessage?> ApplyStatusAsync(Guid messageId, string status, string? errorCode, string? channelMessageId, DateTimeOffset at, CancellationToken ct = default)
    {
        // Matched rather than modified counts, as SQLite counts the rows its WHERE selected.
        long changed = 0;
        if (channelMessageId is not null)
        {
            var recorded = await messages.UpdateOneAsync(
                MessageFilter.Eq(m => m.Id, messageId) & MessageFilter.Eq(m => m.ChannelMessageId, null),
                Builders<MessageDocument>.Update.Set(m => m.ChannelMessageId, channelMessageId),
                cancellationToken: ct);
            changed += recorded.MatchedCount;
        }

        var rank = MessageStatuses.Rank(status);
        var update = Builders<MessageDocument>.Update
            .Set(m => m.Status, status)
            .Set(m => m.StatusRank, rank)
            .Set(m => m.StatusUpdatedAtTicks, at.UtcTicks);
        // A status without an error code (e.g. a later callback) keeps the one already recorded.
        if (errorCode is not null) update = update.Set(m => m.ErrorCode, errorCode);
        // An outcome (unknown-outcome or further) takes the reply out of the outbox: never dispatched again.
        if (rank >= MessageStatuses.Rank(MessageStatuses.UnknownOutcome))
            update = update.Set(m => m.DispatchDueAtTicks, null).Set(m => m.DispatchClaim, null);
        var moved = await messages.UpdateOneAsync(
            MessageFilter.Eq(m => m.Id, messageId) & MessageFilter.Lt(m => m.StatusRank, rank),
            update, cancellationToken: ct);
        changed += moved.MatchedCount;

        return changed == 0 ? null : await GetMessageAsync(messageId, ct);
    }

    private static FilterDefinition<MessageDocument> HasChannelMessageId => MessageFilter.Type(m => m.ChannelMessageId, BsonType.String);

    /// <summary>Take with SQLite's LIMIT meaning: Mongo reads a limit of 0 as "no limit" and a negative one as "one batch".</summary>
    private static async Task<List<T>> PageAsync<T>(IFindFluent<T, T> find, int take, CancellationToken ct)
    {
        if (take == 0) return [];
        if (take > 0) find = find.Limit(take);
        return await find.ToListAsync(ct);
    }

    private static async Task DropIndexIfPresentAsync<T>(IMongoCollection<T> collection, string name, CancellationToken ct)
    {
        try
        {
            await collection.Indexes.DropOneAsync(name, ct);
        }
        catch (MongoCommandException e) when (e.CodeName is "IndexNotFound" or "NamespaceNotFound")
        {
            // Never created here, or already replaced.
        }
    }

    private static DateTimeOffset FromTicks(long ticks) => new(ticks, TimeSpan.Zero);

    private static Customer ToCustomer(CustomerDocument d) => new(
        d.Id, d.DisplayName,
        d.Identities.Select(i => new ChannelIdentity(i.Channel, i.Value))
            .OrderBy(i => i.Channel, StringComparer.Ordinal).ThenBy(i => i.Value, StringComparer.Ordinal).ToList(),
        FromTicks(d.CreatedAtTicks))
    {
        WorkspaceId = d.WorkspaceId,
    };

    private static ConversationDocument ToDocument(Conversation c) => new()
    {
        Id = c.Id,
        CustomerId = c.CustomerId,
        Channel = c.Channel,
        CustomerIdentity = c.CustomerIdentity,
        CustomerName = c.CustomerName,
        Status = c.Status,
        AssigneeId = c.AssigneeId,
        CreatedAtTicks = c.CreatedAt.UtcTicks,
        LastMessageAtTicks = c.LastMessageAt.UtcTicks,
        LastMessagePreview = c.LastMessagePreview,
        BusinessIdentity = c.BusinessIdentity ?? "",
        WorkspaceId = c.WorkspaceId,
        ConnectionId = c.ConnectionId,
        Priority = c.Priority,
        SnoozedUntilTicks = c.SnoozedUntil?.UtcTicks,
        WaitingSinceTicks = c.WaitingSince?.UtcTicks,
        Labels = c.Labels.ToList(),
        TeamId = c.TeamId,
        AssignedAtTicks = c.AssignedAt?.UtcTicks,
        QueuedAtTicks = c.QueuedAt?.UtcTicks,
        ReturnedFrom = c.ReturnedFrom,
    };

    private static Conversation ToConversation(ConversationDocument d) => new(
        d.Id, d.CustomerId, d.Channel, d.CustomerIdentity, d.CustomerName, d.Status, d.AssigneeId,
        FromTicks(d.CreatedAtTicks), FromTicks(d.LastMessageAtTicks), d.LastMessagePreview)
    {
        BusinessIdentity = d.BusinessIdentity is { Length: > 0 } business ? business : null,
        WorkspaceId = d.WorkspaceId,
        ConnectionId = d.ConnectionId,
        Priority = d.Priority ?? ConversationPriorities.None,
        SnoozedUntil = d.SnoozedUntilTicks is { } until ? FromTicks(until) : null,
        WaitingSince = d.WaitingSinceTicks is { } waiting ? FromTicks(waiting) : null,
        TeamId = d.TeamId,
        AssignedAt = d.AssignedAtTicks is { } assigned ? FromTicks(assigned) : null,
        QueuedAt = d.QueuedAtTicks is { } queued ? FromTicks(queued) : null,
        ReturnedFrom = d.ReturnedFrom,
        Labels = d.Labels ?? [],
    };

    private static MessageDocument ToDocument(TimelineMessage m) => new()
    {
        Id = m.Id,
        ConversationId = m.ConversationId,
        CustomerId = m.CustomerId,
        Channel = m.Channel,
        Direction = m.Direction,
        ChannelMessageId = m.ChannelMessageId,
        Text = m.Text,
        Media = m.Media.Select(a => new MediaDocument { Url = a.Url, ContentType = a.ContentType }).ToList(),
        Location = m.Location is { } l
            ? new LocationDocument { Latitude = l.Latitude, Longitude = l.Longitude, Label = l.Label, Address = l.Address }
            : null,
        Button = m.Button is { } b ? new ButtonDocument { Text = b.Text, Payload = b.Payload } : null,
        RawFields = m.RawFields.Select(f => new RawFieldDocument { Key = f.Key, Value = f.Value }).ToList(),
        Status = m.Status,
        StatusRank = MessageStatuses.Rank(m.Status),
        ErrorCode = m.ErrorCode,
        Agent = m.Agent,
        CreatedAtTicks = m.CreatedAt.UtcTicks,
        StatusUpdatedAtTicks = m.StatusUpdatedAt.UtcTicks,
        BusinessIdentity = m.BusinessIdentity,
        ResendOf = m.ResendOf,
        WorkspaceId = m.WorkspaceId,
        Activity = m.Activity is { } a ? new ActivityDocument { Kind = a.Kind, From = a.From, To = a.To, Reason = a.Reason } : null,
        Mentions = m.Mentions.Count == 0 ? null : m.Mentions.ToList(),
        Extras = TimelineExtras.Of(m) is { } extras ? System.Text.Json.JsonSerializer.Serialize(extras, ExtrasJson) : null,
        EventKind = m.Event?.Kind,
    };

    private static readonly System.Text.Json.JsonSerializerOptions ExtrasJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    private static TimelineMessage ToMessage(MessageDocument d) => new TimelineMessage(
        d.Id, d.ConversationId, d.CustomerId, d.Channel, d.Direction, d.ChannelMessageId, d.Text,
        d.Media.Select(a => new MediaAttachment(a.Url, a.ContentType)).ToList(),
        d.Location is { } l ? new SharedLocation(l.Latitude, l.Longitude, l.Label, l.Address) : null,
        d.Button is { } b ? new ButtonReply(b.Text, b.Payload) : null,
        d.RawFields.ToDictionary(f => f.Key, f => f.Value),
        d.Status, d.ErrorCode, d.Agent, FromTicks(d.CreatedAtTicks), FromTicks(d.StatusUpdatedAtTicks))
    {
        BusinessIdentity = d.BusinessIdentity,
        ResendOf = d.ResendOf,
        WorkspaceId = d.WorkspaceId,
        Activity = d.Activity is { } a ? new ActivityEntry(a.Kind, a.From, a.To) { Reason = a.Reason } : null,
        Mentions = d.Mentions ?? [],
    }.WithExtras(d.Extras);

    private sealed partial class CustomerDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("displayName")] public string? DisplayName { get; set; }

        // One array of {channel, value} so a single multikey unique index owns every identity.
        [BsonElement("identities")] public List<IdentityDocument> Identities { get; set; } = [];

        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        // The profile agents keep (MongoInboxStore.Profiles.cs); absent on customers nobody has edited.
        [BsonElement("language")] public string? Language { get; set; }
        [BsonElement("timeZone")] public string? TimeZone { get; set; }
        [BsonElement("birthday")] public string? Birthday { get; set; }
        [BsonElement("company")] public string? Company { get; set; }
        [BsonElement("notes")] public string? Notes { get; set; }
        [BsonElement("phones")] public List<PhoneDocument>? Phones { get; set; }
        [BsonElement("emails")] public List<EmailDocument>? Emails { get; set; }
        [BsonElement("lifecycleStage")] public string? LifecycleStage { get; set; }

        [BsonElement("ownerAgentId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? OwnerAgentId { get; set; }

        [BsonElement("valueTier")] public string? ValueTier { get; set; }
        [BsonElement("version")] public long Version { get; set; }
    }

    private sealed partial class IdentityDocument
    {
        [BsonElement("channel")] public string Channel { get; set; } = "";
        [BsonElement("value")] public string Value { get; set; } = "";
    }

    private sealed partial class ConversationDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("customerId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid CustomerId { get; set; }

        [BsonElement("channel")] public string Channel { get; set; } = "";
        [BsonElement("customerIdentity")] public string CustomerIdentity { get; set; } = "";
        [BsonElement("customerName")] public string? CustomerName { get; set; }
        [BsonElement("status")] public string Status { get; set; } = "";
        [BsonElement("assigneeId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? AssigneeId { get; set; }
        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
        [BsonElement("lastMessageAtTicks")] public long LastMessageAtTicks { get; set; }
        [BsonElement("lastMessagePreview")] public string? LastMessagePreview { get; set; }

        // "" when not recorded: one value, so the per-business unique index treats all such conversations alike.
        [BsonElement("businessIdentity")] public string BusinessIdentity { get; set; } = "";

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("connectionId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? ConnectionId { get; set; }

        [BsonElement("priority")] public string? Priority { get; set; }
        [BsonElement("snoozedUntilTicks")] public long? SnoozedUntilTicks { get; set; }
        [BsonElement("waitingSinceTicks")] public long? WaitingSinceTicks { get; set; }

        [BsonElement("teamId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? TeamId { get; set; }

        [BsonElement("assignedAtTicks")] public long? AssignedAtTicks { get; set; }

        // Set while open and nobody has it: the queue's order.
        [BsonElement("queuedAtTicks")] public long? QueuedAtTicks { get; set; }

        [BsonElement("returnedFrom"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? ReturnedFrom { get; set; }

        [BsonElement("labels"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public List<Guid>? Labels { get; set; }
    }

    private sealed class ActivityDocument
    {
        [BsonElement("kind")] public string Kind { get; set; } = "";
        [BsonElement("from")] public string? From { get; set; }
        [BsonElement("to")] public string? To { get; set; }
        [BsonElement("reason")] public string? Reason { get; set; }
    }

    private sealed partial class MessageDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("conversationId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid ConversationId { get; set; }

        [BsonElement("customerId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid CustomerId { get; set; }

        [BsonElement("channel")] public string Channel { get; set; } = "";
        [BsonElement("direction")] public string Direction { get; set; } = "";
        [BsonElement("channelMessageId")] public string? ChannelMessageId { get; set; }
        [BsonElement("text")] public string? Text { get; set; }
        [BsonElement("media")] public List<MediaDocument> Media { get; set; } = [];
        [BsonElement("location")] public LocationDocument? Location { get; set; }
        [BsonElement("button")] public ButtonDocument? Button { get; set; }

        // Pairs, not a sub-document: provider field names may contain '.' or start with '$'.
        [BsonElement("rawFields")] public List<RawFieldDocument> RawFields { get; set; } = [];

        [BsonElement("status")] public string Status { get; set; } = "";

        // Stored so "only move forward" is a single conditional update.
        [BsonElement("statusRank")] public int StatusRank { get; set; }

        [BsonElement("errorCode")] public string? ErrorCode { get; set; }
        [BsonElement("agent")] public string? Agent { get; set; }
        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
        [BsonElement("statusUpdatedAtTicks")] public long StatusUpdatedAtTicks { get; set; }
        [BsonElement("businessIdentity")] public string? BusinessIdentity { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("activity")] public ActivityDocument? Activity { get; set; }

        [BsonElement("mentions"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public List<Guid>? Mentions { get; set; }

        /// <summary>Event, template, tag, sent outside Crm (<see cref="TimelineExtras"/>) as JSON: absent on plain messages.</summary>
        [BsonElement("extras"), BsonIgnoreIfNull] public string? Extras { get; set; }

        /// <summary>The event's kind, apart, so the reply window's "last customer turn" query can filter on it.</summary>
        [BsonElement("eventKind"), BsonIgnoreIfNull] public string? EventKind { get; set; }
    }

    private sealed class MediaDocument
    {
        [BsonElement("url")] public string Url { get; set; } = "";
        [BsonElement("contentType")] public string? ContentType { get; set; }
    }

    private sealed class LocationDocument
    {
        [BsonElement("latitude")] public double Latitude { get; set; }
        [BsonElement("longitude")] public double Longitude { get; set; }
        [BsonElement("label")] public string? Label { get; set; }
        [BsonElement("address")] public string? Address { get; set; }
    }

    private sealed class ButtonDocument
    {
        [BsonElement("text")] public string Text { get; set; } = "";
        [BsonElement("payload")] public string? Payload { get; set; }
    }

    private sealed class RawFieldDocument
    {
        [BsonElement("k")] public string Key { get; set; } = "";
        [BsonElement("v")] public string Value { get; set; } = "";
    }
}
