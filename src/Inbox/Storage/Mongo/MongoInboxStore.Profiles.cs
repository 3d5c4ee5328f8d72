using System.Globalization;
using Crm.Inbox.Customers;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// Customer profiles: more fields on the customer's own document, and their audit entries in a collection of their own,
/// written with the profile in one transaction (the server is a replica set already, see MongoInboxStore.Assignment.cs).
/// </summary>
public sealed partial class MongoInboxStore : ICustomerProfileStore
{
    private IMongoCollection<ProfileChangeDocument> ProfileChanges => database.GetCollection<ProfileChangeDocument>("customerProfileChanges");

    private async Task InitializeProfilesAsync(CancellationToken ct)
    {
        // The customer list: a workspace's customers by name, then id (a customer without a name sorts first, as null).
        await customers.Indexes.CreateOneAsync(new CreateIndexModel<CustomerDocument>(
            Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending(c => c.DisplayName).Ascending(c => c.Id),
            new CreateIndexOptions { Name = "ix_customers_workspace_name" }), cancellationToken: ct);
        // A profile's history, newest first.
        await ProfileChanges.Indexes.CreateOneAsync(new CreateIndexModel<ProfileChangeDocument>(
            Builders<ProfileChangeDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending(c => c.CustomerId).Descending(c => c.Version).Descending(c => c.Field),
            new CreateIndexOptions { Name = "ix_customer_profile_changes_customer" }), cancellationToken: ct);
    }

    public async Task<CustomerProfile?> GetProfileAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default)
    {
        var found = await customers.Find(CustomerFilter.Eq(c => c.Id, customerId) & CustomerFilter.Eq(c => c.WorkspaceId, workspaceId)).FirstOrDefaultAsync(ct);
        return found is null ? null : ToProfile(found);
    }

    public async Task<ProfileUpdateResult> UpdateProfileAsync(Guid workspaceId, Guid customerId, long expectedVersion, CustomerProfileFields fields,
        Guid? changedBy, DateTimeOffset now, CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync((s, token) => UpdateProfileAsync(s, workspaceId, customerId, expectedVersion, fields, changedBy, now, token),
            cancellationToken: ct);
    }

    /// <summary>The update inside a transaction: a merge combines the survivor's fields with it too.</summary>
    private async Task<ProfileUpdateResult> UpdateProfileAsync(IClientSessionHandle s, Guid workspaceId, Guid customerId, long expectedVersion,
        CustomerProfileFields fields, Guid? changedBy, DateTimeOffset now, CancellationToken token)
    {
        var owned = CustomerFilter.Eq(c => c.Id, customerId) & CustomerFilter.Eq(c => c.WorkspaceId, workspaceId);
        var found = await customers.Find(s, owned).FirstOrDefaultAsync(token);
        if (found is null) return new ProfileUpdateResult(ProfileUpdateOutcome.NotFound, null);
        var current = ToProfile(found);
        if (current.Version != expectedVersion) return new ProfileUpdateResult(ProfileUpdateOutcome.Conflict, current);
        var changes = fields.ChangesFrom(current.Fields);
        if (changes.Count == 0) return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, current);

        var version = expectedVersion + 1;
        // Customers nobody has edited have no version field: they are at version 0.
        var atVersion = expectedVersion == 0
            ? CustomerFilter.Eq(c => c.Version, 0) | CustomerFilter.Exists(c => c.Version, false)
            : CustomerFilter.Eq(c => c.Version, expectedVersion);
        var update = Builders<CustomerDocument>.Update
            .Set(c => c.DisplayName, fields.Name)
            .Set(c => c.Language, fields.Language)
            .Set(c => c.TimeZone, fields.TimeZone)
            .Set(c => c.Birthday, fields.Birthday?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .Set(c => c.Company, fields.Company)
            .Set(c => c.Notes, fields.Notes)
            .Set(c => c.Phones, fields.Phones.Select(p => new PhoneDocument { Number = p.Number, Verified = p.Verified }).ToList())
            .Set(c => c.Emails, fields.Emails.Select(e => new EmailDocument { Address = e.Address, Verified = e.Verified }).ToList())
            .Set(c => c.LifecycleStage, fields.LifecycleStage)
            .Set(c => c.OwnerAgentId, fields.OwnerAgentId)
            .Set(c => c.ValueTier, fields.ValueTier)
            .Set(c => c.Version, version)
            // Merge suggestions find customers by their phones and emails.
            .Set(c => c.MatchKeys, MatchKeyDocuments(fields, current.Identities));
        // No values: no subdocument at all, so an attribute's absence reads the same whether it was cleared or never set.
        update = ToBson(fields.Attributes) is { } attributes ? update.Set(c => c.Attributes, attributes) : update.Unset(c => c.Attributes);
        var updated = await customers.UpdateOneAsync(s, owned & atVersion, update, cancellationToken: token);
        if (updated.ModifiedCount == 0)
            return new ProfileUpdateResult(ProfileUpdateOutcome.Conflict, ToProfile(await customers.Find(s, owned).FirstAsync(token)));

        await ProfileChanges.InsertManyAsync(s, changes.Select(c => new ProfileChangeDocument
        {
            Id = Guid.NewGuid(), WorkspaceId = workspaceId, CustomerId = customerId, Version = version, Field = c.Field,
            From = c.From, To = c.To, ChangedBy = changedBy, AtTicks = now.UtcTicks,
        }), cancellationToken: token);
        if (current.Fields.Name != fields.Name)
            // Conversations show the customer's name too (ix_conversations_customer).
            await conversations.UpdateManyAsync(s, ConversationFilter.Eq(c => c.CustomerId, customerId),
                Builders<ConversationDocument>.Update.Set(c => c.CustomerName, fields.Name), cancellationToken: token);
        return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, current with { Fields = fields, Version = version });
    }

    public async Task<IReadOnlyList<CustomerProfile>> ListProfilesAsync(Guid workspaceId, CustomerPageCursor? after, int take, CancellationToken ct = default)
    {
        // ix_customers_workspace_name. Null and missing names sort before every string, as '' does in SQLite.
        // Merged-away customers are kept but not listed.
        var filter = CustomerFilter.Eq(c => c.WorkspaceId, workspaceId) & CustomerFilter.Eq(c => c.MergedInto, null);
        if (after is { } cursor)
        {
            var sameName = cursor.Name == ""
                ? CustomerFilter.In(c => c.DisplayName, [null, ""])
                : CustomerFilter.Eq(c => c.DisplayName, cursor.Name);
            filter &= CustomerFilter.Gt(c => c.DisplayName, cursor.Name) | (sameName & CustomerFilter.Gt(c => c.Id, cursor.Id));
        }
        var found = await customers.Find(filter)
            .Sort(Builders<CustomerDocument>.Sort.Ascending(c => c.DisplayName).Ascending(c => c.Id))
            .Limit(take)
            .ToListAsync(ct);
        // Behaviour, consent and identity details come with one profile, as in SQLite.
        return found.Select(d => ToProfile(d) with { Behaviour = CustomerBehaviour.None, Consents = [], IdentityDetails = [] }).ToList();
    }

    // The first page of the keyset paging in MongoInboxStore.Consent.cs.
    public Task<IReadOnlyList<CustomerProfileChange>> ListProfileChangesAsync(Guid workspaceId, Guid customerId, int take, CancellationToken ct = default)
        => ListProfileChangesAsync(workspaceId, customerId, null, take, ct);

    // Not in one transaction with the rename (that is the inbound hot path): a crash between the two loses this entry, never the name.
    private Task RecordChannelRenameAsync(CustomerDocument renamed, string? before, DateTimeOffset now, CancellationToken ct)
        => ProfileChanges.InsertOneAsync(new ProfileChangeDocument
        {
            Id = Guid.NewGuid(), WorkspaceId = renamed.WorkspaceId, CustomerId = renamed.Id, Version = renamed.Version, Field = "name",
            From = before, To = renamed.DisplayName, ChangedBy = null, AtTicks = now.UtcTicks,
        }, cancellationToken: ct);

    private static CustomerProfile ToProfile(CustomerDocument d)
    {
        var customer = ToCustomer(d);
        var fields = new CustomerProfileFields
        {
            Name = d.DisplayName,
            Language = d.Language,
            TimeZone = d.TimeZone,
            Birthday = d.Birthday is { } birthday ? DateOnly.ParseExact(birthday, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            Company = d.Company,
            Notes = d.Notes,
            Phones = d.Phones?.Select(p => new ContactPhone(p.Number, p.Verified)).ToList() ?? [],
            Emails = d.Emails?.Select(e => new ContactEmail(e.Address, e.Verified)).ToList() ?? [],
            LifecycleStage = d.LifecycleStage,
            OwnerAgentId = d.OwnerAgentId,
            ValueTier = d.ValueTier,
            Attributes = FromBson(d.Attributes),
        };
        return WithCustomerState(new CustomerProfile(d.Id, d.WorkspaceId, fields, customer.Identities, customer.CreatedAt, d.Version) { LabelIds = d.LabelIds ?? [] }, d);
    }

    private sealed class PhoneDocument
    {
        [BsonElement("number")] public string Number { get; set; } = "";
        [BsonElement("verified")] public bool Verified { get; set; }
    }

    private sealed class EmailDocument
    {
        [BsonElement("address")] public string Address { get; set; } = "";
        [BsonElement("verified")] public bool Verified { get; set; }
    }

    private sealed class ProfileChangeDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("customerId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid CustomerId { get; set; }

        [BsonElement("version")] public long Version { get; set; }
        [BsonElement("field")] public string Field { get; set; } = "";
        [BsonElement("from")] public string? From { get; set; }
        [BsonElement("to")] public string? To { get; set; }

        [BsonElement("changedBy"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid? ChangedBy { get; set; }

        [BsonElement("atTicks")] public long AtTicks { get; set; }
    }
}
