using Crm.Contracts;
using Crm.Inbox.Timelines;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>
/// Identities a message says its sender also has (<see cref="InboundMessageReceived.AlsoKnownAs"/>): a new identity lands on
/// the customer an alias is known on, and aliases not stored yet join the customer. The unique identity index
/// (ux_customers_workspace_identity) decides every race: an identity already on another customer is never moved.
/// </summary>
public sealed partial class MongoInboxStore
{
    private static List<IdentityAlias> AliasesOf(IEnumerable<InboundMessageReceived> arrivals, ChannelIdentity identity)
        => arrivals.SelectMany(m => m.AlsoKnownAs ?? [])
            .Where(a => !string.IsNullOrEmpty(a.Value) && !(a.Channel == identity.Channel && a.Value == identity.Value))
            .Distinct().ToList();

    /// <summary>A new identity whose alias is known joins that alias's customer, before the identity is resolved.</summary>
    private async Task AttachToAliasOwnerAsync(Guid workspaceId, ChannelIdentity identity, IReadOnlyList<IdentityAlias> aliases, Guid? connectionId, CancellationToken ct)
    {
        // ux_customers_workspace_identity
        if (await customers.Find(OwnerOf(workspaceId, identity.Channel, identity.Value)).AnyAsync(ct)) return;
        foreach (var alias in aliases)
        {
            var owner = await customers.Find(OwnerOf(workspaceId, alias.Channel, alias.Value)).Project(c => c.Id).FirstOrDefaultAsync(ct);
            if (owner == Guid.Empty) continue;
            await PushIdentityAsync(owner, identity, connectionId, ct);
            return;
        }
    }

    /// <summary>The aliases not stored yet join the customer; redelivery finds them there and changes nothing.</summary>
    private async Task AddAliasesAsync(Guid workspaceId, Guid customerId, IReadOnlyList<IdentityAlias> aliases, Guid? connectionId, CancellationToken ct)
    {
        foreach (var alias in aliases)
        {
            // ux_customers_workspace_identity
            if (await customers.Find(OwnerOf(workspaceId, alias.Channel, alias.Value)).AnyAsync(ct)) continue;
            await PushIdentityAsync(customerId, new ChannelIdentity(alias.Channel, alias.Value), connectionId, ct);
        }
    }

    private FilterDefinition<CustomerDocument> OwnerOf(Guid workspaceId, string channel, string value)
        => CustomerFilter.Eq(c => c.WorkspaceId, workspaceId) & CustomerFilter.ElemMatch(c => c.Identities, i => i.Channel == channel && i.Value == value);

    private async Task PushIdentityAsync(Guid customerId, ChannelIdentity identity, Guid? connectionId, CancellationToken ct)
    {
        try
        {
            await customers.UpdateOneAsync(
                CustomerFilter.Eq(c => c.Id, customerId)
                & CustomerFilter.Not(CustomerFilter.ElemMatch(c => c.Identities, i => i.Channel == identity.Channel && i.Value == identity.Value)),
                Builders<CustomerDocument>.Update
                    .Push(c => c.Identities, new IdentityDocument { Channel = identity.Channel, Value = identity.Value, ConnectionId = connectionId })
                    .PushEach(c => c.MatchKeys, MatchKeyDocuments(new Customers.CustomerProfileFields(), [identity])),
                cancellationToken: ct);
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            // Another customer took the identity meanwhile: it stays theirs.
        }
    }
}
