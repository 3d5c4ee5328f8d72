using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;
using static Crm.Inbox.Tests.Storage.InboxStoreContract;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every adapter must do for a workspace's custom attributes (definitions and typed values on the profile), its
/// lifecycle stages and the labels on its customers: nothing customers hold is removed from under them, and a workspace
/// sees only its own.
/// </summary>
public abstract class CustomerAttributeStoreContract
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000f1");
    private static readonly Guid Ann = Guid.Parse("a0a00000-0000-4000-8000-000000000001");

    /// <summary>A new, initialized, empty store. Adapters that cannot run here skip the test.</summary>
    protected abstract Task<IInboxStore> CreateStoreAsync();

    /// <summary>A second store on the data of the last one <see cref="CreateStoreAsync"/> made, as another process would open it.</summary>
    protected abstract Task<IInboxStore> OpenAgainAsync();

    private static ICustomerAttributeDefinitionStore Definitions(IInboxStore store) => (ICustomerAttributeDefinitionStore)store;
    private static ILifecycleStageStore Stages(IInboxStore store) => (ILifecycleStageStore)store;
    private static ICustomerLabelStore CustomerLabels(IInboxStore store) => (ICustomerLabelStore)store;
    private static ICustomerProfileStore Profiles(IInboxStore store) => (ICustomerProfileStore)store;

    private static Task<Customer> CustomerAsync(IInboxStore store, string number, Guid? workspace = null)
        => store.ResolveCustomerAsync(workspace ?? Workspace, new ChannelIdentity(Channels.WhatsApp, number), "Alice", T0);

    private static CustomerAttributeDefinition Definition(string key, string type, int position, IReadOnlyList<string>? options = null, Guid? workspace = null)
        => new(Guid.NewGuid(), workspace ?? Workspace, key, key.ToUpperInvariant(), type, options ?? [], position, T0);

    private static JsonElement J(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static Dictionary<string, JsonElement> Values(params (string Key, string Json)[] values) => values.ToDictionary(v => v.Key, v => J(v.Json));

    /// <summary>Values as sorted (key, raw JSON) pairs: what both stores must give back exactly.</summary>
    private static List<(string, string)> Raw(IReadOnlyDictionary<string, JsonElement> attributes)
        => attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => (a.Key, a.Value.GetRawText())).ToList();

    /// <summary>The same keys with the same JSON values (however a store escapes text).</summary>
    private static void AssertSameValues(IReadOnlyDictionary<string, JsonElement> expected, IReadOnlyDictionary<string, JsonElement> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.All(expected, e => Assert.True(JsonElement.DeepEquals(e.Value, actual[e.Key]), $"{e.Key}: {e.Value} read back as {actual[e.Key]}"));
    }

    /// <summary>Sets the customer's attributes to exactly <paramref name="attributes"/> through the profile, from its current version.</summary>
    private static async Task<ProfileUpdateResult> SetAttributesAsync(IInboxStore store, Guid customerId, Dictionary<string, JsonElement> attributes,
        Guid? workspace = null)
    {
        var current = (await Profiles(store).GetProfileAsync(workspace ?? Workspace, customerId))!;
        return await Profiles(store).UpdateProfileAsync(workspace ?? Workspace, customerId, current.Version, current.Fields with { Attributes = attributes }, Ann, T0);
    }

    [SkippableFact]
    public async Task Definitions_are_stored_as_written_and_listed_by_position_then_key()
    {
        var store = await CreateStoreAsync();
        var plan = Definition("plan", AttributeTypes.Choice, 1, ["Free", "Pro"]);
        var seats = Definition("seats", AttributeTypes.Number, 0);
        var beta = Definition("beta", AttributeTypes.Boolean, 1);
        foreach (var definition in new[] { plan, seats, beta }) Assert.Equal(definition, await Definitions(store).AddAttributeDefinitionAsync(definition), DefinitionComparer);

        var listed = await Definitions(await OpenAgainAsync()).ListAttributeDefinitionsAsync(Workspace);

        Assert.Equal(["seats", "beta", "plan"], listed.Select(d => d.Key));
        Assert.Equal(plan, listed[2], DefinitionComparer);
    }

    [SkippableFact]
    public async Task A_key_is_unique_within_a_workspace_whatever_its_case_but_another_workspace_may_use_it()
    {
        var store = await CreateStoreAsync();
        await Definitions(store).AddAttributeDefinitionAsync(Definition("plan", AttributeTypes.Text, 0));

        var again = await Definitions(store).AddAttributeDefinitionAsync(Definition("PLAN", AttributeTypes.Number, 1));
        var theirs = await Definitions(store).AddAttributeDefinitionAsync(Definition("plan", AttributeTypes.Number, 0, workspace: OtherWorkspace));

        Assert.Null(again);
        Assert.NotNull(theirs);
        Assert.Equal(AttributeTypes.Text, (await Definitions(store).GetAttributeDefinitionAsync(Workspace, "Plan"))!.Type);
        Assert.Equal(AttributeTypes.Number, (await Definitions(store).GetAttributeDefinitionAsync(OtherWorkspace, "plan"))!.Type);
    }

    [SkippableFact]
    public async Task Another_workspaces_definition_cannot_be_read_listed_changed_or_deleted()
    {
        var store = await CreateStoreAsync();
        await Definitions(store).AddAttributeDefinitionAsync(Definition("plan", AttributeTypes.Choice, 0, ["Free"], OtherWorkspace));

        Assert.Null(await Definitions(store).GetAttributeDefinitionAsync(Workspace, "plan"));
        Assert.Empty(await Definitions(store).ListAttributeDefinitionsAsync(Workspace));
        Assert.Equal(DefinitionChangeOutcome.NotFound, (await Definitions(store).UpdateAttributeDefinitionAsync(Workspace, "plan", "Mine", [], 0)).Outcome);
        Assert.Equal(DefinitionChangeOutcome.NotFound, (await Definitions(store).DeleteAttributeDefinitionAsync(Workspace, "plan")).Outcome);
        Assert.Equal(["Free"], (await Definitions(store).GetAttributeDefinitionAsync(OtherWorkspace, "plan"))!.Options);
    }

    [SkippableFact]
    public async Task Changing_a_definition_changes_its_label_options_and_position_but_never_its_type()
    {
        var store = await CreateStoreAsync();
        await Definitions(store).AddAttributeDefinitionAsync(Definition("plan", AttributeTypes.Choice, 0, ["Free", "Pro"]));

        var result = await Definitions(store).UpdateAttributeDefinitionAsync(Workspace, "plan", "Subscription", ["Free", "Pro", "Enterprise"], 4);
        var read = await Definitions(store).GetAttributeDefinitionAsync(Workspace, "plan");

        Assert.Equal(DefinitionChangeOutcome.Changed, result.Outcome);
        Assert.Equal(("Subscription", AttributeTypes.Choice, 4), (read!.Label, read.Type, read.Position));
        Assert.Equal(["Free", "Pro", "Enterprise"], read.Options);
        Assert.Equal(read, result.Definition, DefinitionComparer);
    }

    [SkippableFact]
    public async Task Removing_an_option_customers_hold_is_refused_with_how_many_hold_it_and_changes_nothing()
    {
        var store = await CreateStoreAsync();
        await Definitions(store).AddAttributeDefinitionAsync(Definition("plan", AttributeTypes.Choice, 0, ["Free", "Pro", "Gold"]));
        await Definitions(store).AddAttributeDefinitionAsync(Definition("tags", AttributeTypes.MultiChoice, 1, ["a", "b", "c"]));
        for (var i = 0; i < 2; i++)
            await SetAttributesAsync(store, (await CustomerAsync(store, $"+1415555010{i}")).Id, Values(("plan", "\"Pro\""), ("tags", """["a","b"]""")));
        // The same option held in another workspace does not count here.
        var theirs = await CustomerAsync(store, "+14155550199", OtherWorkspace);
        await Definitions(store).AddAttributeDefinitionAsync(Definition("plan", AttributeTypes.Choice, 0, ["Gold"], OtherWorkspace));
        await SetAttributesAsync(store, theirs.Id, Values(("plan", "\"Gold\"")), OtherWorkspace);

        var planRefused = await Definitions(store).UpdateAttributeDefinitionAsync(Workspace, "plan", "Plan", ["Free"], 0);
        var tagsRefused = await Definitions(store).UpdateAttributeDefinitionAsync(Workspace, "tags", "Tags", ["a", "c"], 1);
        // Gold is held by nobody here, and a change of case is not a removal.
        var allowed = await Definitions(store).UpdateAttributeDefinitionAsync(Workspace, "plan", "Plan", ["Free", "PRO"], 0);

        Assert.Equal(DefinitionChangeOutcome.InUse, planRefused.Outcome);
        Assert.Equal(new Dictionary<string, long> { ["Pro"] = 2 }, planRefused.HeldBy);
        Assert.Equal(DefinitionChangeOutcome.InUse, tagsRefused.Outcome);
        Assert.Equal(new Dictionary<string, long> { ["b"] = 2 }, tagsRefused.HeldBy);
        Assert.Equal(["a", "b", "c"], (await Definitions(store).GetAttributeDefinitionAsync(Workspace, "tags"))!.Options);
        Assert.Equal(DefinitionChangeOutcome.Changed, allowed.Outcome);
        Assert.Equal(["Free", "PRO"], (await Definitions(store).GetAttributeDefinitionAsync(Workspace, "plan"))!.Options);
    }

    [SkippableFact]
    public async Task Deleting_a_definition_customers_have_values_for_is_refused_with_the_count_until_they_are_cleared()
    {
        var store = await CreateStoreAsync();
        await Definitions(store).AddAttributeDefinitionAsync(Definition("beta", AttributeTypes.Boolean, 0));
        var alice = await CustomerAsync(store, "+14155550100");
        await CustomerAsync(store, "+14155550101");
        // false is a value like any other.
        await SetAttributesAsync(store, alice.Id, Values(("beta", "false")));

        var refused = await Definitions(store).DeleteAttributeDefinitionAsync(Workspace, "beta");
        await SetAttributesAsync(store, alice.Id, []);
        var deleted = await Definitions(store).DeleteAttributeDefinitionAsync(Workspace, "BETA");

        Assert.Equal((DefinitionChangeOutcome.InUse, 1L), (refused.Outcome, refused.HeldBy["beta"]));
        Assert.Equal(DefinitionChangeOutcome.Changed, deleted.Outcome);
        Assert.Null(await Definitions(store).GetAttributeDefinitionAsync(Workspace, "beta"));
        Assert.Equal(DefinitionChangeOutcome.NotFound, (await Definitions(store).DeleteAttributeDefinitionAsync(Workspace, "beta")).Outcome);
    }

    [SkippableFact]
    public async Task Attribute_values_of_every_type_are_stored_and_read_back_exactly()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100");
        var values = Values(("plan", "\"Pro\""), ("seats", "12"), ("ratio", "0.25"), ("renewal", "\"2027-01-31\""), ("beta", "true"),
            ("site", "\"https://acme.example/\""), ("tags", """["a","c"]"""), ("note", "\"你好\""));

        var result = await SetAttributesAsync(store, customer.Id, values);
        var read = await Profiles(await OpenAgainAsync()).GetProfileAsync(Workspace, customer.Id);
        var listed = Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10));

        Assert.Equal((ProfileUpdateOutcome.Updated, 1L), (result.Outcome, result.Profile!.Version));
        AssertSameValues(values, read!.Fields.Attributes);
        AssertSameValues(values, listed.Fields.Attributes);
    }

    [SkippableFact]
    public async Task Each_changed_attribute_is_one_audit_entry_and_a_cleared_one_is_a_change_to_nothing()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100");
        await SetAttributesAsync(store, customer.Id, Values(("plan", "\"Free\""), ("seats", "3"), ("tags", """["a"]""")));

        await SetAttributesAsync(store, customer.Id, Values(("plan", "\"Pro\""), ("tags", """["a"]""")));
        var history = await Profiles(store).ListProfileChangesAsync(Workspace, customer.Id, 10);

        Assert.Equal(
            [(2L, "attribute.seats", "3", null), (2L, "attribute.plan", "Free", "Pro"), (1L, "attribute.tags", null, """["a"]"""),
             (1L, "attribute.seats", null, "3"), (1L, "attribute.plan", null, "Free")],
            history.Select(c => (c.Version, c.Field, c.From, c.To)).ToList());
        Assert.Equal([("plan", "\"Pro\""), ("tags", """["a"]""")], Raw((await Profiles(store).GetProfileAsync(Workspace, customer.Id))!.Fields.Attributes));
    }

    [SkippableFact]
    public async Task A_workspace_that_never_chose_stages_has_the_default_ones_and_its_own_once_set()
    {
        var store = await CreateStoreAsync();

        var before = await Stages(store).GetLifecycleStagesAsync(Workspace);
        var set = await Stages(store).SetLifecycleStagesAsync(Workspace, ["lead", "trial", "customer", "vip", "churned"], T0);

        Assert.Equal(["lead", "customer", "vip", "churned"], before);
        Assert.True(set.Changed);
        Assert.Equal(["lead", "trial", "customer", "vip", "churned"], await Stages(await OpenAgainAsync()).GetLifecycleStagesAsync(Workspace));
        Assert.Equal(LifecycleStages.Default, await Stages(store).GetLifecycleStagesAsync(OtherWorkspace));
    }

    [SkippableFact]
    public async Task Removing_a_stage_customers_are_in_is_refused_with_how_many_whatever_its_case_and_changes_nothing()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 2; i++)
        {
            var customer = await CustomerAsync(store, $"+1415555010{i}");
            await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice", LifecycleStage = i == 0 ? "vip" : "VIP" }, Ann, T0);
        }
        var theirs = await CustomerAsync(store, "+14155550199", OtherWorkspace);
        await Profiles(store).UpdateProfileAsync(OtherWorkspace, theirs.Id, 0, new CustomerProfileFields { Name = "Alice", LifecycleStage = "churned" }, Ann, T0);

        var refused = await Stages(store).SetLifecycleStagesAsync(Workspace, ["lead", "customer"], T0);
        // Churned is held only in the other workspace; a new spelling of a stage is not a removal.
        var allowed = await Stages(store).SetLifecycleStagesAsync(Workspace, ["Lead", "VIP"], T0);

        Assert.False(refused.Changed);
        Assert.Equal(new Dictionary<string, long> { ["vip"] = 2 }, refused.HeldBy);
        Assert.True(allowed.Changed);
        Assert.Equal(["Lead", "VIP"], await Stages(store).GetLifecycleStagesAsync(Workspace));
    }

    private static async Task<Label> LabelAsync(IInboxStore store, string name, Guid? workspace = null)
        => (await ((ILabelStore)store).AddLabelAsync(new Label(Guid.NewGuid(), workspace ?? Workspace, name, "#1f6feb", T0)))!;

    [SkippableFact]
    public async Task Labelling_a_customer_is_a_new_version_and_an_audit_entry_and_doing_it_again_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100");
        var vip = await LabelAsync(store, "VIP");
        var late = await LabelAsync(store, "Late payer");

        await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, vip, add: true, Ann, T0);
        var again = await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, vip, add: true, Ann, T0.AddMinutes(1));
        await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, late, add: true, Ann, T0.AddMinutes(2));
        var removed = await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, vip, add: false, null, T0.AddMinutes(3));
        var removedAgain = await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, vip, add: false, null, T0.AddMinutes(4));

        Assert.Equal((ProfileUpdateOutcome.Updated, 1L), (again.Outcome, again.Profile!.Version));
        Assert.Equal([vip.Id], again.Profile.LabelIds);
        Assert.Equal(3L, removed.Profile!.Version);
        Assert.Equal([late.Id], removed.Profile.LabelIds);
        Assert.Equal(3L, removedAgain.Profile!.Version);
        var read = (await Profiles(await OpenAgainAsync()).GetProfileAsync(Workspace, customer.Id))!;
        Assert.Equal(3L, read.Version);
        Assert.Equal([late.Id], read.LabelIds);
        Assert.Equal(
            [(3L, "labels", "VIP", null, (Guid?)null, T0.AddMinutes(3)), (2L, "labels", null, "Late payer", Ann, T0.AddMinutes(2)), (1L, "labels", null, "VIP", Ann, T0)],
            (await Profiles(store).ListProfileChangesAsync(Workspace, customer.Id, 10)).Select(c => (c.Version, c.Field, c.From, c.To, c.ChangedBy, c.At)).ToList());
    }

    [SkippableFact]
    public async Task A_customers_labels_show_in_the_order_they_were_put_on_in_the_list_too()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100");
        var labels = new[] { await LabelAsync(store, "b"), await LabelAsync(store, "a"), await LabelAsync(store, "c") };
        foreach (var label in labels) await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, label, add: true, Ann, T0);

        var listed = Assert.Single(await Profiles(store).ListProfilesAsync(Workspace, null, 10));

        Assert.Equal(labels.Select(l => l.Id), listed.LabelIds);
    }

    [SkippableFact]
    public async Task A_label_edit_makes_an_edit_read_before_it_stale()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerAsync(store, "+14155550100");
        await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, await LabelAsync(store, "VIP"), add: true, Ann, T0);

        var stale = await Profiles(store).UpdateProfileAsync(Workspace, customer.Id, 0, new CustomerProfileFields { Name = "Alice", Company = "Acme" }, Ann, T0);

        Assert.Equal(ProfileUpdateOutcome.Conflict, stale.Outcome);
    }

    [SkippableFact]
    public async Task Deleting_a_workspace_label_takes_it_off_every_customer_carrying_it()
    {
        var store = await CreateStoreAsync();
        var vip = await LabelAsync(store, "VIP");
        var kept = await LabelAsync(store, "Kept");
        var customers = new[] { await CustomerAsync(store, "+14155550100"), await CustomerAsync(store, "+14155550101") };
        foreach (var customer in customers)
        {
            await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, vip, add: true, Ann, T0);
            await CustomerLabels(store).LabelCustomerAsync(Workspace, customer.Id, kept, add: true, Ann, T0);
        }

        Assert.True(await ((ILabelStore)store).DeleteLabelAsync(Workspace, vip.Id));

        foreach (var customer in customers)
            Assert.Equal([kept.Id], (await Profiles(store).GetProfileAsync(Workspace, customer.Id))!.LabelIds);
    }

    [SkippableFact]
    public async Task Another_workspaces_customer_or_label_cannot_be_used_to_label()
    {
        var store = await CreateStoreAsync();
        var mine = await CustomerAsync(store, "+14155550100");
        var theirs = await CustomerAsync(store, "+14155550100", OtherWorkspace);
        var myLabel = await LabelAsync(store, "VIP");
        var theirLabel = await LabelAsync(store, "VIP", OtherWorkspace);

        var onTheirCustomer = await CustomerLabels(store).LabelCustomerAsync(Workspace, theirs.Id, myLabel, add: true, Ann, T0);
        var theirLabelOnMine = await CustomerLabels(store).LabelCustomerAsync(Workspace, mine.Id, theirLabel, add: true, Ann, T0);

        Assert.Equal(ProfileUpdateOutcome.NotFound, onTheirCustomer.Outcome);
        Assert.Equal(ProfileUpdateOutcome.NotFound, theirLabelOnMine.Outcome);
        Assert.Empty((await Profiles(store).GetProfileAsync(Workspace, mine.Id))!.LabelIds);
        Assert.Empty((await Profiles(store).GetProfileAsync(OtherWorkspace, theirs.Id))!.LabelIds);
    }

    private static readonly IEqualityComparer<CustomerAttributeDefinition?> DefinitionComparer = EqualityComparer<CustomerAttributeDefinition?>.Create(
        (a, b) => a is null || b is null ? a == b
            : (a.Id, a.WorkspaceId, a.Key, a.Label, a.Type, a.Position, a.CreatedAt) == (b.Id, b.WorkspaceId, b.Key, b.Label, b.Type, b.Position, b.CreatedAt)
              && a.Options.SequenceEqual(b.Options));
}

public sealed class SqliteCustomerAttributeStoreTests : CustomerAttributeStoreContract, IDisposable
{
    private readonly SqliteTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    // Another store on the same file has its own writer connection: two processes.
    protected override Task<IInboxStore> OpenAgainAsync() => stores.CreateAsync();

    [Theory]
    [InlineData(nameof(SqliteInboxStore.CustomersInStageSql), "SEARCH customers USING COVERING INDEX ix_customers_workspace_lifecycle_stage (workspace_id=? AND lifecycle_stage=?)")]
    [InlineData(nameof(SqliteInboxStore.RemoveLabelFromCustomersSql), "SEARCH customer_labels USING INDEX ix_customer_labels_label (workspace_id=? AND label_id=?)")]
    public async Task Customers_in_a_stage_or_carrying_a_label_are_found_through_an_index(string query, string expectedPlan)
    {
        await stores.CreateAsync();
        var sql = (string)typeof(SqliteInboxStore).GetField(query, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        await using var connection = new SqliteConnection($"Data Source={stores.File};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "$workspace", "$stage", "$label" })
            if (sql.Contains(name)) command.Parameters.AddWithValue(name, "x");

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        Assert.Equal([expectedPlan], plan);
    }

    public void Dispose() => stores.Dispose();
}

/// <summary>The same contract against a real MongoDB when CRM_TEST_MONGO is set (a replica set: the checks use transactions); skipped otherwise.</summary>
public sealed class MongoCustomerAttributeStoreTests : CustomerAttributeStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    protected override Task<IInboxStore> OpenAgainAsync() => stores.OpenLastAgainAsync();

    public void Dispose() => stores.Dispose();
}
