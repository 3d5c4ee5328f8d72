using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>Which workspace labels customers carry: an array of label ids on the customer's document (multikey index for filters).</summary>
public sealed partial class MongoInboxStore : ICustomerLabelStore
{
    private Task InitializeCustomerLabelsAsync(CancellationToken ct)
        // The customers carrying a label: segments' label conditions, and taking a deleted label off everyone.
        => customers.Indexes.CreateOneAsync(new CreateIndexModel<CustomerDocument>(
            Builders<CustomerDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending(c => c.LabelIds),
            new CreateIndexOptions { Name = "ix_customers_workspace_labels" }), cancellationToken: ct);

    public async Task<ProfileUpdateResult> LabelCustomerAsync(Guid workspaceId, Guid customerId, Label label, bool add, Guid? changedBy, DateTimeOffset now,
        CancellationToken ct = default)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync(async (s, token) =>
        {
            var owned = CustomerFilter.Eq(c => c.Id, customerId) & CustomerFilter.Eq(c => c.WorkspaceId, workspaceId);
            if (label.WorkspaceId != workspaceId || await customers.Find(s, owned).FirstOrDefaultAsync(token) is not { } found)
                return new ProfileUpdateResult(ProfileUpdateOutcome.NotFound, null);
            // Only the update that actually adds (or removes) it is a change, however many race.
            var carries = CustomerFilter.AnyEq(c => c.LabelIds, label.Id);
            var update = add
                ? Builders<CustomerDocument>.Update.AddToSet(c => c.LabelIds, label.Id)
                : Builders<CustomerDocument>.Update.Pull(c => c.LabelIds, label.Id);
            var changed = await customers.FindOneAndUpdateAsync(s, owned & (add ? CustomerFilter.Not(carries) : carries), update.Inc(c => c.Version, 1),
                new FindOneAndUpdateOptions<CustomerDocument> { ReturnDocument = ReturnDocument.After }, token);
            if (changed is null) return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, ToProfile(found));

            // A label is part of the profile: a new version (an agent editing from the old one is told), and an audit entry.
            await ProfileChanges.InsertOneAsync(s, new ProfileChangeDocument
            {
                Id = Guid.NewGuid(), WorkspaceId = workspaceId, CustomerId = customerId, Version = changed.Version, Field = "labels",
                From = add ? null : label.Name, To = add ? label.Name : null, ChangedBy = changedBy, AtTicks = now.UtcTicks,
            }, cancellationToken: token);
            return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, ToProfile(changed));
        }, cancellationToken: ct);
    }

    /// <summary>Takes a deleted label off every customer of the workspace (ix_customers_workspace_labels), in the label's delete transaction.</summary>
    private Task RemoveLabelFromCustomersAsync(IClientSessionHandle session, Guid workspaceId, Guid labelId, CancellationToken ct)
        => customers.UpdateManyAsync(session, CustomerFilter.Eq(c => c.WorkspaceId, workspaceId) & CustomerFilter.AnyEq(c => c.LabelIds, labelId),
            Builders<CustomerDocument>.Update.Pull(c => c.LabelIds, labelId), cancellationToken: ct);
}
