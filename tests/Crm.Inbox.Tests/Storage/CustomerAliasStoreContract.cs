using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Storage;
using static Crm.Inbox.Tests.Storage.InboxStoreContract;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every adapter must do with the identities a message says its sender also has (<see cref="InboundMessageReceived.AlsoKnownAs"/>):
/// inside the inbound batch, exact under redelivery, never moving an identity another customer holds, scoped by workspace.
/// </summary>
public abstract class CustomerAliasStoreContract
{
    private const string Phone = "+16505551234";
    private const string Bsuid = "US.13491208655302741918";
    private static readonly Guid CloudNumber = Guid.Parse("c0c00000-0000-4000-8000-0000000000c1");
    private static readonly Guid SecondAccount = Guid.Parse("c0c00000-0000-4000-8000-0000000000c2");

    /// <summary>A new, initialized, empty store. Adapters that cannot run here skip the test.</summary>
    protected abstract Task<IInboxStore> CreateStoreAsync();

    /// <summary>A second store on the data of the last one <see cref="CreateStoreAsync"/> made, as another process would open it.</summary>
    protected abstract Task<IInboxStore> OpenAgainAsync();

    private static InboundMessageReceived From(string sid, string identity, DateTimeOffset at, params IdentityAlias[] aliases)
        => Arrival(sid, at, from: identity) with { ConnectionId = CloudNumber, AlsoKnownAs = aliases };

    private static async Task<Guid> CustomerOfAsync(IInboxStore store, params InboundMessageReceived[] batch)
        => (await store.AppendInboundBatchAsync(batch)).Last().Message.CustomerId;

    private static async Task<IReadOnlyList<IdentityDetail>> IdentitiesAsync(IInboxStore store, Guid customer)
        => (await ((ICustomerProfileStore)store).GetProfileAsync(Workspace, customer))!.IdentityDetails;

    [SkippableFact]
    public async Task An_alias_in_a_message_is_added_to_its_customer_with_the_connection_it_came_through()
    {
        var store = await CreateStoreAsync();

        var customer = await CustomerOfAsync(store, From("wamid.1", Phone, T0, new IdentityAlias(Channels.WhatsApp, Bsuid)));

        Assert.Equal([(Channels.WhatsApp, Phone, (Guid?)CloudNumber), (Channels.WhatsApp, Bsuid, CloudNumber)],
            (await IdentitiesAsync(await OpenAgainAsync(), customer)).Select(i => (i.Channel, i.Value, i.ConnectionId)));
    }

    [SkippableFact]
    public async Task A_message_from_an_identity_known_only_as_an_alias_lands_on_the_same_customer_and_conversation()
    {
        var store = await CreateStoreAsync();
        var first = Assert.Single(await store.AppendInboundBatchAsync([From("wamid.1", Phone, T0, new IdentityAlias(Channels.WhatsApp, Bsuid))]));

        var second = Assert.Single(await store.AppendInboundBatchAsync([From("wamid.2", Bsuid, T0.AddMinutes(1))]));

        Assert.Equal(first.Message.CustomerId, second.Message.CustomerId);
        // The conversation is per channel and business address; a BSUID-only sender is the same WhatsApp customer.
        Assert.Equal(first.Conversation.Id, second.Conversation.Id);
    }

    [SkippableFact]
    public async Task A_new_identity_whose_alias_is_known_joins_the_aliases_customer()
    {
        var store = await CreateStoreAsync();
        var first = await CustomerOfAsync(store, From("wamid.1", Bsuid, T0));

        var second = await CustomerOfAsync(store, From("wamid.2", Phone, T0.AddMinutes(1), new IdentityAlias(Channels.WhatsApp, Bsuid)));

        Assert.Equal(first, second);
        var identities = await IdentitiesAsync(await OpenAgainAsync(), first);
        Assert.Equal([Phone, Bsuid], identities.Select(i => i.Value));
        Assert.Equal(CloudNumber, identities.Single(i => i.Value == Phone).ConnectionId);
    }

    [SkippableFact]
    public async Task An_identity_only_alias_joins_two_accounts_openids_into_one_customer()
    {
        var store = await CreateStoreAsync();
        var unionId = new IdentityAlias(IdentityKinds.WeChatUnionId, "o6_bmasdasdsad6_2sgVt7hMZOPfL");
        var first = await CustomerOfAsync(store, From("msg-1", "oOpenIdAtAccountA", T0, unionId) with { Channel = Channels.WeChat });

        var second = await CustomerOfAsync(store, From("msg-2", "oOpenIdAtAccountB", T0.AddMinutes(1), unionId) with { Channel = Channels.WeChat, ConnectionId = SecondAccount });

        Assert.Equal(first, second);
        Assert.Equal([(Channels.WeChat, "oOpenIdAtAccountA"), (Channels.WeChat, "oOpenIdAtAccountB"), (IdentityKinds.WeChatUnionId, unionId.Value)],
            (await IdentitiesAsync(store, first)).Select(i => (i.Channel, i.Value)).Order());
    }

    [SkippableFact]
    public async Task An_alias_another_customer_holds_stays_with_them()
    {
        var store = await CreateStoreAsync();
        var holder = await CustomerOfAsync(store, From("wamid.1", Phone, T0, new IdentityAlias(Channels.WhatsApp, Bsuid)));
        var other = await CustomerOfAsync(store, From("wamid.2", "+16505559999", T0));

        var again = await CustomerOfAsync(store, From("wamid.3", "+16505559999", T0.AddMinutes(1), new IdentityAlias(Channels.WhatsApp, Bsuid)));

        Assert.Equal(other, again);
        Assert.Equal([Phone, Bsuid], (await IdentitiesAsync(store, holder)).Select(i => i.Value));
        Assert.Equal(["+16505559999"], (await IdentitiesAsync(store, other)).Select(i => i.Value));
    }

    [SkippableFact]
    public async Task A_redelivered_message_with_aliases_adds_nothing_twice()
    {
        var store = await CreateStoreAsync();
        var message = From("wamid.1", Phone, T0, new IdentityAlias(Channels.WhatsApp, Bsuid), new IdentityAlias(Channels.WhatsApp, Bsuid));
        var customer = await CustomerOfAsync(store, message, message);

        Assert.Empty(await store.AppendInboundBatchAsync([message]));
        await store.AppendInboundBatchAsync([From("wamid.2", Phone, T0.AddMinutes(1), new IdentityAlias(Channels.WhatsApp, Bsuid))]);

        Assert.Equal([Phone, Bsuid], (await IdentitiesAsync(await OpenAgainAsync(), customer)).Select(i => i.Value));
    }

    [SkippableFact]
    public async Task An_alias_known_in_another_workspace_does_not_join_customers_across_workspaces()
    {
        var store = await CreateStoreAsync();
        var elsewhere = await CustomerOfAsync(store, From("wamid.1", Bsuid, T0) with { WorkspaceId = Guid.NewGuid() });

        var here = await CustomerOfAsync(store, From("wamid.2", Phone, T0.AddMinutes(1), new IdentityAlias(Channels.WhatsApp, Bsuid)));

        Assert.NotEqual(elsewhere, here);
        Assert.Equal([Phone, Bsuid], (await IdentitiesAsync(store, here)).Select(i => i.Value));
    }
}

public sealed class SqliteCustomerAliasStoreTests : CustomerAliasStoreContract, IDisposable
{
    private readonly SqliteTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    // Another store on the same file has its own writer connection: two processes.
    protected override Task<IInboxStore> OpenAgainAsync() => stores.CreateAsync();

    public void Dispose() => stores.Dispose();
}

/// <summary>The same contract against a real MongoDB when CRM_TEST_MONGO is set; skipped otherwise.</summary>
public sealed class MongoCustomerAliasStoreTests : CustomerAliasStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    protected override Task<IInboxStore> OpenAgainAsync() => stores.OpenLastAgainAsync();

    public void Dispose() => stores.Dispose();
}
