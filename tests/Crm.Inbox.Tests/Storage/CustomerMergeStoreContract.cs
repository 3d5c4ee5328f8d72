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
/// What every <see cref="ICustomerMergeStore"/> adapter must do: one timeline per customer across channels, merges that move
/// everything and lose nothing, undo that gives back exactly what was (or refuses), and match keys for suggestions.
/// </summary>
public abstract class CustomerMergeStoreContract
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000f1");
    private static readonly Guid Ann = Guid.Parse("a0a00000-0000-4000-8000-000000000001");
    private static readonly TimeSpan Grace = TimeSpan.FromHours(24);
    private const string AliceNumber = "+14155550100";
    private const string AliceOpenId = "oWeChatAlice";

    protected abstract Task<IInboxStore> CreateStoreAsync();

    private static ICustomerMergeStore Merges(IInboxStore store) => (ICustomerMergeStore)store;

    private static ICustomerProfileStore Profiles(IInboxStore store) => (ICustomerProfileStore)store;

    private static InboundMessageReceived WeChat(string sid, DateTimeOffset at, string openId = AliceOpenId) => new(
        Channels.WeChat, sid, openId, "Alice W", "gh_business", "hello " + sid, [], null, null, new Dictionary<string, string>(), at)
    {
        WorkspaceId = Workspace,
    };

    /// <summary>Alice on WhatsApp (two messages) and, as a second customer, on WeChat (two messages), interleaved in time.</summary>
    private static async Task<(CustomerProfile WhatsApp, CustomerProfile WeChat)> AliceTwiceAsync(IInboxStore store)
    {
        await store.AppendInboundBatchAsync([Arrival("wa-1", T0, AliceNumber), WeChat("wc-1", T0.AddMinutes(1)), Arrival("wa-2", T0.AddMinutes(2), AliceNumber),
            WeChat("wc-2", T0.AddMinutes(3))]);
        var whatsApp = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, AliceNumber), null, T0);
        var weChat = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WeChat, AliceOpenId), null, T0);
        return ((await Profiles(store).GetProfileAsync(Workspace, whatsApp.Id))!, (await Profiles(store).GetProfileAsync(Workspace, weChat.Id))!);
    }

    private static MergeRequest Request(CustomerProfile survivor, CustomerProfile merged, Dictionary<string, string>? choices = null, DateTimeOffset? at = null)
        => new(Workspace, survivor.Id, merged.Id, survivor.Version, merged.Version, choices ?? [], Ann, false, at ?? T0.AddHours(1));

    [SkippableFact]
    public async Task The_customer_timeline_holds_every_message_of_every_conversation_newest_first_in_pages()
    {
        var store = await CreateStoreAsync();
        // One customer writing to two business numbers: two conversations.
        await store.AppendInboundBatchAsync([Arrival("a", T0, AliceNumber), Arrival("b", T0.AddMinutes(1), AliceNumber, business: "+14155238999"),
            Arrival("c", T0.AddMinutes(2), AliceNumber), Arrival("d", T0.AddMinutes(3), AliceNumber, business: "+14155238999"),
            Arrival("other", T0.AddMinutes(4), "+14155550199")]);
        var alice = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, AliceNumber), null, T0);

        var first = await Merges(store).ListCustomerTimelineAsync(Workspace, alice.Id, null, 3);
        var last = first[^1].Message;
        var second = await Merges(store).ListCustomerTimelineAsync(Workspace, alice.Id, new PageCursor(last.CreatedAt, last.Id), 3);

        Assert.Equal(["d", "c", "b"], first.Select(i => i.Message.ChannelMessageId));
        Assert.Equal(["a"], second.Select(i => i.Message.ChannelMessageId));
        Assert.Equal(2, first.Select(i => i.ConversationId).Distinct().Count());
        Assert.All(first, i => Assert.Equal(i.Message.ConversationId, i.ConversationId));
        Assert.Equal(["+14155238999", Business, "+14155238999"], first.Select(i => i.BusinessIdentity));
        Assert.Empty(await Merges(store).ListCustomerTimelineAsync(OtherWorkspace, alice.Id, null, 10));
    }

    [SkippableFact]
    public async Task A_merge_moves_identities_conversations_and_fields_and_keeps_the_merged_customer_pointing_at_the_survivor()
    {
        var store = await CreateStoreAsync();
        var (survivor, merged) = await AliceTwiceAsync(store);
        var edited = await Profiles(store).UpdateProfileAsync(Workspace, merged.Id, merged.Version, merged.Fields with
        {
            Name = null,
            Company = "Acme",
            Phones = [new ContactPhone("+8613800138000", true)],
        }, Ann, T0);
        merged = edited.Profile!;

        var result = await Merges(store).MergeCustomersAsync(Request(survivor, merged));
        var after = (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!;
        var timeline = await Merges(store).ListCustomerTimelineAsync(Workspace, survivor.Id, null, 10);
        var list = await Profiles(store).ListProfilesAsync(Workspace, null, 10);
        var nextMessageFrom = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WeChat, AliceOpenId), null, T0.AddHours(2));

        Assert.Equal(MergeOutcome.Merged, result.Outcome);
        Assert.Single(result.Merge!.MovedConversationIds);
        Assert.Equal([new ChannelIdentity(Channels.WeChat, AliceOpenId), new ChannelIdentity(Channels.WhatsApp, AliceNumber)], after.Identities);
        Assert.Equal("Acme", after.Fields.Company);
        Assert.Equal(survivor.Fields.Name, after.Fields.Name);
        Assert.Equal(["+8613800138000"], after.Fields.Phones.Select(p => p.Number));
        Assert.Equal(survivor.Version + 1, after.Version);
        Assert.Equal(["wc-2", "wa-2", "wc-1", "wa-1"], timeline.Select(i => i.Message.ChannelMessageId));
        Assert.Equal(survivor.Id, await Merges(store).GetMergedIntoAsync(Workspace, merged.Id));
        Assert.NotNull(await Profiles(store).GetProfileAsync(Workspace, merged.Id));
        Assert.DoesNotContain(list, p => p.Id == merged.Id);
        Assert.Equal(survivor.Id, nextMessageFrom.Id);
        var history = await Profiles(store).ListProfileChangesAsync(Workspace, survivor.Id, 50);
        Assert.Contains(history, c => c.Field == "merged" && c.To == merged.Id.ToString() && c.ChangedBy == Ann);
        Assert.Contains(history, c => c.Field == "company" && c.To == "Acme");
    }

    [SkippableFact]
    public async Task A_field_set_differently_on_both_needs_a_choice_and_the_choice_is_what_stays()
    {
        var store = await CreateStoreAsync();
        var (survivor, merged) = await AliceTwiceAsync(store);
        static System.Text.Json.JsonElement Value(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();
        survivor = (await Profiles(store).UpdateProfileAsync(Workspace, survivor.Id, survivor.Version, survivor.Fields with
        {
            Attributes = new Dictionary<string, System.Text.Json.JsonElement> { ["plan"] = Value("\"gold\"") },
        }, Ann, T0)).Profile!;
        merged = (await Profiles(store).UpdateProfileAsync(Workspace, merged.Id, merged.Version, merged.Fields with
        {
            Attributes = new Dictionary<string, System.Text.Json.JsonElement> { ["plan"] = Value("\"silver\""), ["seats"] = Value("3") },
        }, Ann, T0)).Profile!;

        var unchosen = await Merges(store).MergeCustomersAsync(Request(survivor, merged, new() { ["name"] = MergeChoices.Merged }));
        var chosen = await Merges(store).MergeCustomersAsync(Request(survivor, merged, new() { ["name"] = MergeChoices.Merged, ["attribute.plan"] = MergeChoices.Survivor }));
        var after = (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!.Fields;

        Assert.Equal(MergeOutcome.ChoicesMissing, unchosen.Outcome);
        Assert.Equal([new MergeConflict("attribute.plan", "gold", "silver")], unchosen.MissingChoices);
        Assert.Equal(MergeOutcome.Merged, chosen.Outcome);
        Assert.Equal("Alice W", after.Name);
        Assert.Equal(("gold", "3"), (after.Attributes["plan"].GetString(), after.Attributes["seats"].GetRawText()));
    }

    [SkippableFact]
    public async Task Threads_on_the_same_channel_and_business_number_are_joined_into_the_survivors()
    {
        var store = await CreateStoreAsync();
        await store.AppendInboundBatchAsync([Arrival("s-1", T0, AliceNumber), Arrival("m-1", T0.AddMinutes(1), "+14155550199", "Alice"),
            Arrival("s-2", T0.AddMinutes(2), AliceNumber), Arrival("m-2", T0.AddMinutes(3), "+14155550199", "Alice")]);
        var survivor = (await Profiles(store).GetProfileAsync(Workspace,
            (await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, AliceNumber), null, T0)).Id))!;
        var merged = (await Profiles(store).GetProfileAsync(Workspace,
            (await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+14155550199"), null, T0)).Id))!;
        var thread = (await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter { CustomerId = survivor.Id })).Single();
        var emptied = (await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter { CustomerId = merged.Id })).Single();
        // Ann read the survivor's thread up to s-2, never the merged customer's.
        await store.MarkReadAsync(Ann, thread.Id, T0.AddMinutes(2));

        var result = await Merges(store).MergeCustomersAsync(Request(survivor, merged));
        var joined = (await store.GetConversationAsync(thread.Id))!;

        Assert.Equal([new JoinedConversation(emptied.Id, thread.Id)], result.Merge!.JoinedConversations);
        Assert.Equal(["s-1", "m-1", "s-2", "m-2"], (await store.ListMessagesAsync(thread.Id, null, 10)).Select(m => m.ChannelMessageId));
        Assert.Empty(await store.ListMessagesAsync(emptied.Id, null, 10));
        Assert.Equal(ConversationStatuses.Merged, (await store.GetConversationAsync(emptied.Id))!.Status);
        Assert.Equal(T0.AddMinutes(3), joined.LastMessageAt);
        Assert.Equal("hello m-2", joined.LastMessagePreview);
        Assert.Equal(T0, joined.WaitingSince);
        Assert.Equal([thread.Id], (await store.ListConversationsAsync(Workspace, null, 10)).Select(c => c.Id));
        // No unread message turns read: m-1 and m-2 are unread (and s-2, after m-1, with them: one marker per thread).
        Assert.Equal(3, (await store.UnreadCountsAsync(Ann, [thread.Id], 100))[thread.Id]);
    }

    [SkippableFact]
    public async Task Consent_keeps_the_stricter_choice_labels_are_united_and_behaviour_is_combined()
    {
        var store = await CreateStoreAsync();
        var (survivor, merged) = await AliceTwiceAsync(store);
        var consent = (ICustomerConsentStore)store;
        await consent.SetConsentAsync(Workspace, survivor.Id, Channels.WeChat, new ConsentChange(ConsentStates.OptedIn, ConsentSources.Agent, null, Ann), T0);
        await consent.SetConsentAsync(Workspace, merged.Id, Channels.WeChat, new ConsentChange(ConsentStates.OptedOut, ConsentSources.Keyword, "TD"), T0);
        var vip = new Label(Guid.NewGuid(), Workspace, "VIP", "#ff0000", T0);
        var late = new Label(Guid.NewGuid(), Workspace, "Late payer", "#00ff00", T0);
        await ((ILabelStore)store).AddLabelAsync(vip);
        await ((ILabelStore)store).AddLabelAsync(late);
        await ((ICustomerLabelStore)store).LabelCustomerAsync(Workspace, survivor.Id, vip, true, Ann, T0);
        await ((ICustomerLabelStore)store).LabelCustomerAsync(Workspace, merged.Id, late, true, Ann, T0);
        await ((ICustomerLabelStore)store).LabelCustomerAsync(Workspace, merged.Id, vip, true, Ann, T0);
        survivor = (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!;
        merged = (await Profiles(store).GetProfileAsync(Workspace, merged.Id))!;

        await Merges(store).MergeCustomersAsync(Request(survivor, merged, new() { ["name"] = MergeChoices.Survivor }));
        var after = (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!;

        Assert.Equal(ConsentStates.OptedOut, after.Consents.Single(c => c.Channel == Channels.WeChat).State);
        Assert.Equal(new HashSet<Guid> { vip.Id, late.Id }, after.LabelIds.ToHashSet());
        Assert.Equal(4, after.Behaviour.InboundCount);
        Assert.Equal(T0, after.Behaviour.FirstSeenAt);
        Assert.Equal(T0.AddMinutes(3), after.Behaviour.LastInboundAt);
        Assert.Equal(Channels.WeChat, after.Behaviour.LastChannel);
        Assert.Equal([(Channels.WeChat, 2L), (Channels.WhatsApp, 2L)],
            after.Behaviour.Channels.OrderBy(c => c.Channel).Select(c => (c.Channel, c.InboundCount)));
    }

    [SkippableFact]
    public async Task The_same_merge_again_changes_nothing_and_other_merges_of_a_merged_away_customer_are_refused()
    {
        var store = await CreateStoreAsync();
        var (survivor, merged) = await AliceTwiceAsync(store);
        var third = (await Profiles(store).GetProfileAsync(Workspace,
            (await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+14155550177"), "Carol", T0)).Id))!;
        var choices = new Dictionary<string, string> { ["name"] = MergeChoices.Survivor };
        var first = await Merges(store).MergeCustomersAsync(Request(survivor, merged, choices));
        var afterFirst = await Profiles(store).GetProfileAsync(Workspace, survivor.Id);

        var again = await Merges(store).MergeCustomersAsync(Request(survivor, merged, choices));
        var intoMergedAway = await Merges(store).MergeCustomersAsync(Request(merged, third, new() { ["name"] = MergeChoices.Survivor }));
        var mergedAwayAgain = await Merges(store).MergeCustomersAsync(Request(third, merged, new() { ["name"] = MergeChoices.Survivor }));
        var withItself = await Merges(store).MergeCustomersAsync(Request(third, third));
        var acrossWorkspaces = await Merges(store).MergeCustomersAsync(Request(third, survivor) with { WorkspaceId = OtherWorkspace });
        var stale = await Merges(store).MergeCustomersAsync(Request(third, survivor with { Version = 0 }, new() { ["name"] = MergeChoices.Survivor }));

        Assert.Equal(MergeOutcome.AlreadyMerged, again.Outcome);
        Assert.Equal(first.Merge!.Id, again.Merge!.Id);
        Assert.Equivalent(afterFirst, await Profiles(store).GetProfileAsync(Workspace, survivor.Id), strict: true);
        Assert.Equal(MergeOutcome.MergedAway, intoMergedAway.Outcome);
        Assert.Equal(MergeOutcome.MergedAway, mergedAwayAgain.Outcome);
        Assert.Equal(MergeOutcome.MergedAway, withItself.Outcome);
        Assert.Equal(MergeOutcome.NotFound, acrossWorkspaces.Outcome);
        Assert.Equal(MergeOutcome.Stale, stale.Outcome);
        Assert.Single(await Merges(store).ListMergesAsync(Workspace, survivor.Id));
    }

    [SkippableFact]
    public async Task Undo_gives_back_both_customers_exactly_as_they_were()
    {
        var store = await CreateStoreAsync();
        await store.AppendInboundBatchAsync([Arrival("m-0", T0.AddSeconds(-30), "+14155550199", "Alice")]);
        var (survivor, merged) = await AliceTwiceAsync(store);
        // The merged customer also wrote on the survivor's WhatsApp number: their threads are joined.
        var other = (await Profiles(store).GetProfileAsync(Workspace,
            (await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+14155550199"), null, T0)).Id))!;
        await ((ICustomerConsentStore)store).SetConsentAsync(Workspace, other.Id, Channels.WhatsApp,
            new ConsentChange(ConsentStates.OptedOut, ConsentSources.Keyword, "STOP"), T0);
        other = (await Profiles(store).GetProfileAsync(Workspace, other.Id))!;
        var conversationsBefore = (await store.ListConversationsAsync(Workspace, null, 10)).OrderBy(c => c.Id).ToList();
        var survivorBefore = (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!;

        var merge = (await Merges(store).MergeCustomersAsync(Request(survivor, other, new() { ["name"] = MergeChoices.Survivor }))).Merge!;
        var undo = await Merges(store).UndoMergeAsync(Workspace, merge.Id, Ann, T0.AddHours(2), Grace);
        var survivorAfter = (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!;
        var otherAfter = (await Profiles(store).GetProfileAsync(Workspace, other.Id))!;

        Assert.True(undo.Outcome == UndoOutcome.Undone, string.Join(" | ", undo.Reasons));
        Assert.Single(merge.JoinedConversations);
        Assert.Equivalent(survivorBefore with { Version = 0 }, survivorAfter with { Version = 0 }, strict: true);
        Assert.Equivalent(other with { Version = 0 }, otherAfter with { Version = 0 }, strict: true);
        Assert.True(survivorAfter.Version > survivorBefore.Version);
        Assert.Null(await Merges(store).GetMergedIntoAsync(Workspace, other.Id));
        Assert.Equivalent(conversationsBefore, (await store.ListConversationsAsync(Workspace, null, 10)).OrderBy(c => c.Id).ToList(), strict: true);
        Assert.Equal(["m-0"], (await Merges(store).ListCustomerTimelineAsync(Workspace, other.Id, null, 10)).Select(i => i.Message.ChannelMessageId));
        Assert.Equal(other.Id, (await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+14155550199"), null, T0)).Id);
        Assert.Equal(T0.AddHours(2), (await Merges(store).GetMergeAsync(Workspace, merge.Id))!.UndoneAt);
        Assert.Equal(merged.Id, (await Profiles(store).GetProfileAsync(Workspace, merged.Id))!.Id);
    }

    [SkippableFact]
    public async Task Undo_is_refused_when_a_later_change_would_be_lost_when_done_already_and_after_the_grace_period()
    {
        var store = await CreateStoreAsync();
        var (survivor, merged) = await AliceTwiceAsync(store);
        var merge = (await Merges(store).MergeCustomersAsync(Request(survivor, merged, new() { ["name"] = MergeChoices.Survivor }))).Merge!;

        var late = await Merges(store).UndoMergeAsync(Workspace, merge.Id, Ann, T0.AddHours(1) + Grace + TimeSpan.FromSeconds(1), Grace);
        var current = (await Profiles(store).GetProfileAsync(Workspace, survivor.Id))!;
        await Profiles(store).UpdateProfileAsync(Workspace, survivor.Id, current.Version, current.Fields with { Company = "Changed later" }, Ann, T0.AddHours(2));
        var changed = await Merges(store).UndoMergeAsync(Workspace, merge.Id, Ann, T0.AddHours(2), Grace);
        var unknown = await Merges(store).UndoMergeAsync(OtherWorkspace, merge.Id, Ann, T0.AddHours(2), Grace);

        Assert.Equal(UndoOutcome.Refused, late.Outcome);
        Assert.Contains(late.Reasons, r => r.Contains("passed", StringComparison.Ordinal));
        Assert.Equal(UndoOutcome.Refused, changed.Outcome);
        Assert.Contains(changed.Reasons, r => r.Contains("company", StringComparison.Ordinal));
        Assert.Equal(UndoOutcome.NotFound, unknown.Outcome);
        Assert.Equal(survivor.Id, await Merges(store).GetMergedIntoAsync(Workspace, merged.Id));
    }

    [SkippableFact]
    public async Task Undo_twice_is_refused_and_a_new_message_since_the_merge_refuses_undo()
    {
        var store = await CreateStoreAsync();
        var (survivor, merged) = await AliceTwiceAsync(store);
        var merge = (await Merges(store).MergeCustomersAsync(Request(survivor, merged, new() { ["name"] = MergeChoices.Survivor }))).Merge!;
        await store.AppendInboundBatchAsync([WeChat("wc-after", T0.AddHours(1))]);

        var afterMessage = await Merges(store).UndoMergeAsync(Workspace, merge.Id, Ann, T0.AddHours(2), Grace);

        Assert.Equal(UndoOutcome.Refused, afterMessage.Outcome);
        Assert.Contains(afterMessage.Reasons, r => r.Contains("message", StringComparison.Ordinal));

        var store2 = await CreateStoreAsync();
        var (s2, m2) = await AliceTwiceAsync(store2);
        var merge2 = (await Merges(store2).MergeCustomersAsync(Request(s2, m2, new() { ["name"] = MergeChoices.Survivor }))).Merge!;
        Assert.Equal(UndoOutcome.Undone, (await Merges(store2).UndoMergeAsync(Workspace, merge2.Id, Ann, T0.AddHours(2), Grace)).Outcome);
        var twice = await Merges(store2).UndoMergeAsync(Workspace, merge2.Id, Ann, T0.AddHours(2), Grace);
        Assert.Equal(UndoOutcome.Refused, twice.Outcome);
        Assert.Contains("undone already", twice.Reasons.Single(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Match_keys_find_a_verified_email_and_the_mexican_spellings_of_one_whatsapp_number()
    {
        var store = await CreateStoreAsync();
        var onWhatsApp = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+525512345678"), "Maria", T0);
        var byHand = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WeChat, "oMaria"), "Maria G", T0);
        var byEmail = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WeChat, "oMaria2"), null, T0);
        var elsewhere = await store.ResolveCustomerAsync(OtherWorkspace, new ChannelIdentity(Channels.WeChat, "oMaria3"), null, T0);
        await Profiles(store).UpdateProfileAsync(Workspace, byHand.Id, 0, new CustomerProfileFields
        {
            Name = "Maria G",
            Phones = [new ContactPhone("+5215512345678", false)],
            Emails = [new ContactEmail("Maria@Example.com", true)],
        }, Ann, T0);
        await Profiles(store).UpdateProfileAsync(Workspace, byEmail.Id, 0, new CustomerProfileFields { Emails = [new ContactEmail("maria@example.com", true)] }, Ann, T0);
        await Profiles(store).UpdateProfileAsync(OtherWorkspace, elsewhere.Id, 0, new CustomerProfileFields { Emails = [new ContactEmail("maria@example.com", true)] }, Ann, T0);

        var found = await Merges(store).FindMatchKeysAsync(Workspace, byHand.Id);
        var mine = found.Single(f => f.CustomerId == byHand.Id).Keys;
        var shared = await Merges(store).ListSharedMatchKeysAsync(Workspace, null, 10);

        Assert.Equal(new HashSet<Guid> { onWhatsApp.Id, byHand.Id, byEmail.Id }, found.Select(f => f.CustomerId).ToHashSet());
        Assert.Equal([new MatchReason(MatchKinds.WhatsAppVariant, "+5215512345678", "+525512345678")],
            CustomerMergeRules.Reasons(mine, found.Single(f => f.CustomerId == onWhatsApp.Id).Keys));
        Assert.Equal([new MatchReason(MatchKinds.VerifiedEmail, "maria@example.com", "maria@example.com")],
            CustomerMergeRules.Reasons(mine, found.Single(f => f.CustomerId == byEmail.Id).Keys));
        Assert.Equal([(MatchKey.Email, "maria@example.com"), (MatchKey.Phone, "+525512345678")], shared.Select(s => (s.Kind, s.Value)));
        Assert.DoesNotContain(shared.SelectMany(s => s.Holders), h => h.CustomerId == elsewhere.Id);
        Assert.Single(await Merges(store).ListSharedMatchKeysAsync(Workspace, "email maria@example.com", 10));
    }

    [SkippableFact]
    public async Task A_merged_away_customer_has_no_match_keys_and_automatic_merging_is_off_until_turned_on()
    {
        var store = await CreateStoreAsync();
        var (survivor, merged) = await AliceTwiceAsync(store);
        await Profiles(store).UpdateProfileAsync(Workspace, merged.Id, merged.Version, merged.Fields with { Emails = [new ContactEmail("alice@example.com", true)] }, Ann, T0);
        merged = (await Profiles(store).GetProfileAsync(Workspace, merged.Id))!;

        await Merges(store).MergeCustomersAsync(Request(survivor, merged, new() { ["name"] = MergeChoices.Survivor }));
        var off = await Merges(store).GetAutoMergeAsync(Workspace);
        await Merges(store).SetAutoMergeAsync(Workspace, true);

        Assert.Equal([survivor.Id], (await Merges(store).FindMatchKeysAsync(Workspace, survivor.Id)).Select(f => f.CustomerId));
        Assert.Empty(await Merges(store).FindMatchKeysAsync(Workspace, merged.Id));
        Assert.False(off);
        Assert.True(await Merges(store).GetAutoMergeAsync(Workspace));
        Assert.False(await Merges(store).GetAutoMergeAsync(OtherWorkspace));
    }
}

public sealed class SqliteCustomerMergeStoreTests : CustomerMergeStoreContract, IDisposable
{
    private readonly List<SqliteTestStores> stores = [];

    // Each store of a test on a file of its own (one test uses two separate stores).
    protected override Task<IInboxStore> CreateStoreAsync()
    {
        var files = new SqliteTestStores();
        stores.Add(files);
        return files.CreateAsync();
    }

    [Theory]
    [InlineData(nameof(SqliteInboxStore.NewestCustomerTimelineSql), "SEARCH messages USING INDEX ix_messages_customer_timeline (customer_id=?)")]
    [InlineData(nameof(SqliteInboxStore.OlderCustomerTimelineSql), "SEARCH messages USING INDEX ix_messages_customer_timeline (customer_id=? AND (created_at,id)<(?,?))")]
    [InlineData(nameof(SqliteInboxStore.SharedMatchKeysSql), "SEARCH customer_match_keys USING COVERING INDEX ix_customer_match_keys_value (workspace_id=?)")]
    public async Task Timeline_and_suggestion_queries_are_read_straight_from_their_index(string query, string expectedPlan)
    {
        var files = new SqliteTestStores();
        stores.Add(files);
        await files.CreateAsync();
        var sql = (string)typeof(SqliteInboxStore).GetField(query, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        await using var connection = new SqliteConnection($"Data Source={files.File};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "$customer", "$workspace", "$at", "$id", "$take", "$after" })
            if (sql.Contains(name)) command.Parameters.AddWithValue(name, name is "$take" or "$at" ? 1 : "x");

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        // One step on the index, in its order: no sort of the customer's messages (messages is the biggest table).
        Assert.Equal([expectedPlan], plan);
    }

    public void Dispose()
    {
        foreach (var files in stores) files.Dispose();
    }
}

/// <summary>The same contract against a real MongoDB when CRM_TEST_MONGO is set (a replica set: merges are transactions); skipped otherwise.</summary>
public sealed class MongoCustomerMergeStoreTests : CustomerMergeStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    public void Dispose() => stores.Dispose();
}
