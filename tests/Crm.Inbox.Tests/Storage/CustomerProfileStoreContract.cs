using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;
using static Crm.Inbox.Tests.Storage.InboxStoreContract;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every <see cref="ICustomerProfileStore"/> adapter must do: the profile is the inbox's own customer, changes are
/// versioned and audited, and a workspace sees only its customers.
/// </summary>
public abstract class CustomerProfileStoreContract
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000f0");
    private static readonly Guid Ann = Guid.Parse("a0a00000-0000-4000-8000-000000000001");

    /// <summary>A new, initialized, empty store. Adapters that cannot run here skip the test.</summary>
    protected abstract Task<IInboxStore> CreateStoreAsync();

    /// <summary>A second store on the data of the last one <see cref="CreateStoreAsync"/> made, as another process would open it.</summary>
    protected abstract Task<IInboxStore> OpenAgainAsync();

    private static ICustomerProfileStore Profiles(IInboxStore store) => (ICustomerProfileStore)store;

    private static Task<Customer> CustomerAsync(IInboxStore store, string number, string? name, Guid? workspace = null)
        => store.ResolveCustomerAsync(workspace ?? Workspace, new ChannelIdentity(Channels.WhatsApp, number), name, T0);

    private static readonly CustomerProfileFields Everything = new()
    {
        Name = "Alice Chen",
        Language = "zh-Hans-CN",
        TimeZone = "Asia/Shanghai",
        Birthday = new DateOnly(1990, 2, 28),
        Company = "Acme",
        Notes = "Prefers WeChat in the evening",
        Phones = [new ContactPhone("+8613800138000", Verified: true), new ContactPhone("+14155550100", Verified: false)],
        Emails = [new ContactEmail("alice@example.com", Verified: false)],
        LifecycleStage = "VIP",
        OwnerAgentId = Ann,
        ValueTier = "gold",
    };

    [SkippableFact]
    public async Task A_customer_who_wrote_in_has_a_profile_at_version_zero_with_their_identities()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100", "Alice");

        var profile = await Profiles(store).GetProfileAsync(Workspace, customer.Id);

        Assert.NotNull(profile);
        Assert.Equal("Alice", profile.Fields.Name);
        Assert.Equal(0, profile.Version);
        Assert.Equal(customer.Identities, profile.Identities);
        Assert.Empty(profile.Fields.Phones);
    }

    [SkippableFact]
    public async Task Every_field_is_stored_and_read_back_as_written()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100", "Alice");

        var result = await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, Everything, Ann, T0);
        var read = await (await OpenAgainAsync() as ICustomerProfileStore)!.GetProfileAsync(Workspace, customer.Id);

        Assert.Equal(ProfileUpdateOutcome.Updated, result.Outcome);
        Assert.Equal(1, read!.Version);
        Assert.Equivalent(Everything, read.Fields, strict: true);
        Assert.Equivalent(read, result.Profile, strict: true);
    }

    [SkippableFact]
    public async Task A_change_made_against_an_older_version_is_a_conflict_and_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100", "Alice");
        await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice", Company = "Acme" }, Ann, T0);

        var stale = await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice", Company = "Globex" }, null, T0);

        Assert.Equal(ProfileUpdateOutcome.Conflict, stale.Outcome);
        Assert.Equal(1, stale.Profile!.Version);
        Assert.Equal("Acme", (await Profiles(store).GetProfileAsync(Workspace, customer.Id))!.Fields.Company);
        Assert.Single(await Profiles(store).ListProfileChangesAsync(Workspace, customer.Id, 10));
    }

    [SkippableFact]
    public async Task Concurrent_changes_from_the_same_version_let_exactly_one_through()
    {
        var store = await CreateStoreAsync();
        var other = await OpenAgainAsync();
        var customer = await CustomerAsync(store, "+14155550100", "Alice");

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
            Profiles(i % 2 == 0 ? store : other).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice", Notes = $"note {i}" }, Ann, T0))));

        Assert.Single(results, r => r.Outcome == ProfileUpdateOutcome.Updated);
        Assert.Equal(5, results.Count(r => r.Outcome == ProfileUpdateOutcome.Conflict));
        Assert.Single(await Profiles(store).ListProfileChangesAsync(Workspace, customer.Id, 10));
    }

    [SkippableFact]
    public async Task Each_changed_field_is_audited_with_who_from_what_to_what_and_when_newest_first()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100", "Alice");
        await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice", Company = "Acme" }, Ann, T0);
        await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 1,
            new CustomerProfileFields { Name = "Alice Chen", Company = "Globex", Emails = [new ContactEmail("a@example.com", true)] }, null, T0.AddMinutes(5));

        var history = await Profiles(store).ListProfileChangesAsync(Workspace, customer.Id, 10);

        Assert.Equal(
            [(2L, "name", "Alice", "Alice Chen"), (2L, "emails", null, """[{"address":"a@example.com","verified":true}]"""), (2L, "company", "Acme", "Globex"), (1L, "company", null, "Acme")],
            history.Select(c => (c.Version, c.Field, c.From, c.To)).ToList());
        Assert.All(history.Take(3), c => Assert.Equal((null, T0.AddMinutes(5)), (c.ChangedBy, c.At)));
        Assert.Equal((Ann, T0), (history[3].ChangedBy, history[3].At));
        Assert.All(history, c => Assert.Equal(customer.Id, c.CustomerId));
    }

    [SkippableFact]
    public async Task A_new_name_from_the_channel_is_a_new_version_audited_as_nobody_so_an_edit_read_before_it_is_stale()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100", "Alice");

        await store.ResolveCustomerAsync(Workspace, customer.Identities[0], "Alice C.", T0.AddMinutes(1));
        await store.ResolveCustomerAsync(Workspace, customer.Identities[0], "Alice C.", T0.AddMinutes(2));
        var stale = await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice", Company = "Acme" }, Ann, T0);

        Assert.Equal(ProfileUpdateOutcome.Conflict, stale.Outcome);
        Assert.Equal((1L, "Alice C."), (stale.Profile!.Version, stale.Profile.Fields.Name));
        var entry = Assert.Single(await Profiles(store).ListProfileChangesAsync(Workspace, customer.Id, 10));
        Assert.Equal((1L, "name", "Alice", "Alice C.", (Guid?)null, T0.AddMinutes(1)), (entry.Version, entry.Field, entry.From, entry.To, entry.ChangedBy, entry.At));
    }

    [SkippableFact]
    public async Task A_new_name_arriving_with_a_batch_of_messages_is_audited_once_at_the_time_it_arrived()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([Arrival("SM1", T0)]);
        var customer = stored[0].Message.CustomerId;

        await store.AppendInboundBatchAsync([Arrival("SM2", T0.AddMinutes(1), name: "Alice C."), Arrival("SM3", T0.AddMinutes(2), name: "Alice Chen")]);

        var entry = Assert.Single(await Profiles(store).ListProfileChangesAsync(Workspace, customer, 10));
        Assert.Equal(("Alice", "Alice Chen", 1L), (entry.From, entry.To, entry.Version));
        Assert.Equal(T0.AddMinutes(2), entry.At);
        Assert.Equal(1, (await Profiles(store).GetProfileAsync(Workspace, customer))!.Version);
    }

    [SkippableFact]
    public async Task A_change_that_changes_nothing_makes_no_version_and_no_history()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100", "Alice");

        var result = await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice" }, Ann, T0);

        Assert.Equal((ProfileUpdateOutcome.Updated, 0L), (result.Outcome, result.Profile!.Version));
        Assert.Empty(await Profiles(store).ListProfileChangesAsync(Workspace, customer.Id, 10));
    }

    [SkippableFact]
    public async Task A_new_name_shows_on_the_customers_conversations()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100", "Alice");
        var conversation = await store.OpenConversationAsync(customer, customer.Identities[0], "+14155238886", T0);

        await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice Chen" }, Ann, T0);

        Assert.Equal("Alice Chen", (await store.GetConversationAsync(conversation.Id))!.CustomerName);
    }

    [SkippableFact]
    public async Task Another_workspaces_customer_cannot_be_read_changed_listed_or_audited()
    {
        var store = await CreateStoreAsync();
        var theirs = await CustomerAsync(store, "+14155550100", "Alice", OtherWorkspace);
        await Profiles(store).UpdateProfileAsync(OtherWorkspace, theirs.Id, 0, new CustomerProfileFields { Name = "Alice", Company = "Acme" }, Ann, T0);

        Assert.Null(await Profiles(store).GetProfileAsync(Workspace, theirs.Id));
        Assert.Equal(ProfileUpdateOutcome.NotFound, (await Profiles(store).UpdateProfileAsync(Workspace, theirs.Id, 1, Everything, Ann, T0)).Outcome);
        Assert.Empty(await Profiles(store).ListProfilesAsync(Workspace, null, 10));
        Assert.Empty(await Profiles(store).ListProfileChangesAsync(Workspace, theirs.Id, 10));
        Assert.Equal("Acme", (await Profiles(store).GetProfileAsync(OtherWorkspace, theirs.Id))!.Fields.Company);
    }

    [SkippableFact]
    public async Task The_list_pages_through_every_customer_by_name_then_id_with_unnamed_customers_first()
    {
        var store = await CreateStoreAsync();
        var names = new[] { "Bob", null, "alice", "Alice", "Bob", "", "Zoë", "Bob", null };
        var created = new List<Customer>();
        for (var i = 0; i < names.Length; i++) created.Add(await CustomerAsync(store, $"+1415555{i:D4}", names[i]));
        await CustomerAsync(store, "+14155559999", "Aaron", OtherWorkspace);

        var seen = new List<CustomerProfile>();
        CustomerPageCursor? cursor = null;
        while (true)
        {
            var page = await Profiles(store).ListProfilesAsync(Workspace, cursor, 2);
            seen.AddRange(page);
            if (page.Count < 2) break;
            cursor = new CustomerPageCursor(page[^1].Fields.Name ?? "", page[^1].Id);
        }

        // Ordinal order (the same in both stores); a customer who gave no name (none or empty) has none and sorts first.
        var expected = created.OrderBy(c => c.DisplayName ?? "", StringComparer.Ordinal).ThenBy(c => c.Id.ToString(), StringComparer.Ordinal).Select(c => c.Id);
        Assert.Equal(expected, seen.Select(p => p.Id));
        Assert.All(seen, p => Assert.Equal(created.Single(c => c.Id == p.Id).Identities, p.Identities));
    }
}

public sealed class SqliteCustomerProfileStoreTests : CustomerProfileStoreContract, IDisposable
{
    private readonly SqliteTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    // Another store on the same file has its own writer connection: two processes.
    protected override Task<IInboxStore> OpenAgainAsync() => stores.CreateAsync();

    [Theory]
    [InlineData(nameof(SqliteInboxStore.FirstProfilePageSql), "SEARCH customers USING INDEX ix_customers_workspace_name (workspace_id=?)")]
    [InlineData(nameof(SqliteInboxStore.NextProfilePageSql), "SEARCH customers USING INDEX ix_customers_workspace_name (workspace_id=? AND <expr>>?)")]
    public async Task Customer_list_pages_are_read_straight_from_an_index_however_deep_they_are(string query, string expectedPlan)
    {
        await stores.CreateAsync();
        var sql = (string)typeof(SqliteInboxStore).GetField(query, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        await using var connection = new SqliteConnection($"Data Source={stores.File};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "$workspace", "$name", "$id", "$take" })
            if (sql.Contains(name)) command.Parameters.AddWithValue(name, name == "$take" ? 1 : "x");

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        // One step, on the index, in its order: no sort of the workspace's customers.
        Assert.Equal([expectedPlan], plan);
    }

    public void Dispose() => stores.Dispose();
}

/// <summary>The same contract against a real MongoDB when CRM_TEST_MONGO is set (a replica set: profile changes use transactions); skipped otherwise.</summary>
public sealed class MongoCustomerProfileStoreTests : CustomerProfileStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    protected override Task<IInboxStore> OpenAgainAsync() => stores.OpenLastAgainAsync();

    public void Dispose() => stores.Dispose();
}
