using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;
using static Crm.Inbox.Tests.Storage.InboxStoreContract;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every adapter must do for behaviour (kept inside the message writes), consent per channel, reachability per identity
/// and history paging: exact under redelivery, never backwards, scoped by workspace.
/// </summary>
public abstract class CustomerConsentStoreContract
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000f0");
    private static readonly Guid Ann = Guid.Parse("a0a00000-0000-4000-8000-000000000001");
    private static readonly Guid Twilio = Guid.Parse("c0c00000-0000-4000-8000-000000000001");
    private static readonly Guid SecondNumber = Guid.Parse("c0c00000-0000-4000-8000-000000000002");

    /// <summary>A new, initialized, empty store. Adapters that cannot run here skip the test.</summary>
    protected abstract Task<IInboxStore> CreateStoreAsync();

    /// <summary>A second store on the data of the last one <see cref="CreateStoreAsync"/> made, as another process would open it.</summary>
    protected abstract Task<IInboxStore> OpenAgainAsync();

    private static ICustomerProfileStore Profiles(IInboxStore store) => (ICustomerProfileStore)store;
    private static ICustomerConsentStore Consents(IInboxStore store) => (ICustomerConsentStore)store;

    protected static async Task<CustomerProfile> ProfileAsync(IInboxStore store, Guid customerId)
        => (await Profiles(store).GetProfileAsync(Workspace, customerId))!;

    private static InboundMessageReceived WeChatEvent(string sid, DateTimeOffset at, string kind) => new(
        Channels.WeChat, sid, "oWeChatOpenId1", null, "gh_account", null, [], null, null, new Dictionary<string, string>(), at)
    {
        WorkspaceId = Workspace,
        Event = new CustomerEvent(kind, null, null),
    };

    private static async Task<Guid> CustomerOfAsync(IInboxStore store, params InboundMessageReceived[] batch)
        => (await store.AppendInboundBatchAsync(batch)).First(s => s.Message.Direction == Directions.Inbound).Message.CustomerId;

    private static TimelineMessage Reply(Conversation conversation, DateTimeOffset at, string? agent) => new(
        Guid.NewGuid(), conversation.Id, conversation.CustomerId, conversation.Channel, Directions.Outbound, null,
        "a reply", [], null, null, new Dictionary<string, string>(), MessageStatuses.Pending, null, agent, at, at)
    {
        WorkspaceId = conversation.WorkspaceId,
    };

    protected static async Task<TimelineMessage> ReplyAsync(IInboxStore store, Conversation conversation, DateTimeOffset at, string? agent = "Ann")
    {
        var reply = Reply(conversation, at, agent);
        Assert.True(await ((IReplyOutbox)store).AppendReplyAsync(reply, new OutboundReply(conversation.CustomerIdentity, conversation.BusinessIdentity, at.AddHours(1))));
        return reply;
    }

    [SkippableFact]
    public async Task Inbound_messages_are_counted_once_each_however_often_their_batch_is_delivered()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM1", T0), Arrival("SM2", T0.AddMinutes(1)));

        await store.AppendInboundBatchAsync([Arrival("SM1", T0), Arrival("SM2", T0.AddMinutes(1)), Arrival("SM3", T0.AddMinutes(2))]);
        await store.AppendInboundBatchAsync([Arrival("SM3", T0.AddMinutes(2)), Arrival("SM3", T0.AddMinutes(2))]);

        var behaviour = (await ProfileAsync(await OpenAgainAsync(), customer)).Behaviour;
        Assert.Equal((3L, 0L), (behaviour.InboundCount, behaviour.OutboundCount));
        Assert.Equal((T0, T0.AddMinutes(2), Channels.WhatsApp), (behaviour.FirstSeenAt, behaviour.LastInboundAt, behaviour.LastChannel));
        var channel = Assert.Single(behaviour.Channels);
        Assert.Equal(new ChannelBehaviour(Channels.WhatsApp, T0, T0.AddMinutes(2), null, null, 3, 0), channel);
    }

    [SkippableFact]
    public async Task A_late_older_message_moves_first_seen_back_but_never_moves_last_inbound_back()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM2", T0.AddMinutes(10)));

        await store.AppendInboundBatchAsync([Arrival("SM1", T0.AddMinutes(5))]);

        var behaviour = (await ProfileAsync(store, customer)).Behaviour;
        Assert.Equal((T0.AddMinutes(5), T0.AddMinutes(10), 2L), (behaviour.FirstSeenAt, behaviour.LastInboundAt, behaviour.InboundCount));
        Assert.Equal((T0.AddMinutes(5), T0.AddMinutes(10)), (behaviour.Channels[0].FirstSeenAt, behaviour.Channels[0].LastInboundAt));
    }

    [SkippableFact]
    public async Task The_business_echo_counts_as_outbound_by_a_person_and_an_unfollow_only_as_seen()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, WeChatEvent("E1", T0, CustomerEventKinds.Subscribed));

        await store.AppendInboundBatchAsync([
            WeChatEvent("E2", T0.AddMinutes(1), CustomerEventKinds.Reaction),
            new InboundMessageReceived(Channels.WeChat, "E3", "oWeChatOpenId1", null, "gh_account", "sent from the phone", [], null, null,
                new Dictionary<string, string>(), T0.AddMinutes(2)) { WorkspaceId = Workspace, SentByBusiness = true },
            WeChatEvent("E4", T0.AddMinutes(3), CustomerEventKinds.Unsubscribed),
        ]);

        var behaviour = (await ProfileAsync(store, customer)).Behaviour;
        Assert.Equal((1L, 1L), (behaviour.InboundCount, behaviour.OutboundCount));
        Assert.Equal((T0, T0, T0.AddMinutes(2), (DateTimeOffset?)null),
            (behaviour.FirstSeenAt, behaviour.LastInboundAt, behaviour.LastOutboundAgentAt, behaviour.LastOutboundAutomationAt));
    }

    [SkippableFact]
    public async Task A_reply_with_an_agent_and_one_without_move_their_own_last_outbound_and_the_count()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([Arrival("SM1", T0)]);
        var conversation = stored[0].Conversation;

        await ReplyAsync(store, conversation, T0.AddMinutes(1), agent: "Ann");
        await ReplyAsync(store, conversation, T0.AddMinutes(2), agent: null);
        await ReplyAsync(store, conversation, T0.AddSeconds(30), agent: "Ann");

        var behaviour = (await ProfileAsync(store, conversation.CustomerId)).Behaviour;
        Assert.Equal((1L, 3L), (behaviour.InboundCount, behaviour.OutboundCount));
        Assert.Equal((T0.AddMinutes(1), T0.AddMinutes(2)), (behaviour.LastOutboundAgentAt, behaviour.LastOutboundAutomationAt));
        Assert.Equal(new ChannelBehaviour(Channels.WhatsApp, T0, T0, T0.AddMinutes(1), T0.AddMinutes(2), 1, 3), Assert.Single(behaviour.Channels));
    }

    [SkippableFact]
    public async Task An_identity_keeps_the_connection_it_first_wrote_through()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM1", T0) with { ConnectionId = Twilio });

        await store.AppendInboundBatchAsync([Arrival("SM2", T0.AddMinutes(1)) with { ConnectionId = SecondNumber }]);

        var identity = Assert.Single((await ProfileAsync(store, customer)).IdentityDetails);
        Assert.Equal(new IdentityDetail(Channels.WhatsApp, "+14155550100", Twilio, null, null), identity);
        Assert.True(identity.Reachable);
    }

    [SkippableTheory]
    [InlineData("STOP")]
    [InlineData("  stop \n")]
    [InlineData("Unsubscribe")]
    [InlineData("退订")]
    [InlineData("td")]
    public async Task An_opt_out_keyword_as_the_whole_message_opts_the_customer_out_with_its_source_and_an_audit_entry(string text)
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM1", T0, text: text));

        var profile = await ProfileAsync(await OpenAgainAsync(), customer);

        Assert.Equal(new ChannelConsent(Channels.WhatsApp, ConsentStates.OptedOut, T0, ConsentSources.Keyword, text.Trim(), null), Assert.Single(profile.Consents));
        var entry = Assert.Single(await Profiles(store).ListProfileChangesAsync(Workspace, customer, 10));
        Assert.Equal(("consent.whatsapp", null, "opted-out", profile.Version, (Guid?)null, T0), (entry.Field, entry.From, entry.To, entry.Version, entry.ChangedBy, entry.At));
        Assert.False(await Consents(store).MayMessageInBulkAsync(Workspace, customer, Channels.WhatsApp));
    }

    [SkippableTheory]
    [InlineData("please stop")]
    [InlineData("STOP!")]
    [InlineData("stopping by later")]
    public async Task A_keyword_inside_a_longer_message_records_nothing(string text)
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM1", T0, text: text));

        Assert.Empty((await ProfileAsync(store, customer)).Consents);
        Assert.True(await Consents(store).MayMessageInBulkAsync(Workspace, customer, Channels.WhatsApp));
    }

    [SkippableFact]
    public async Task A_later_start_opts_back_in_and_a_late_older_stop_does_not_undo_it()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM1", T0, text: "STOP"));

        await store.AppendInboundBatchAsync([Arrival("SM3", T0.AddMinutes(10), text: "start")]);
        await store.AppendInboundBatchAsync([Arrival("SM2", T0.AddMinutes(5), text: "QUIT")]);

        var consent = Assert.Single((await ProfileAsync(store, customer)).Consents);
        Assert.Equal((ConsentStates.OptedIn, T0.AddMinutes(10), "start"), (consent.State, consent.ChangedAt, consent.Detail));
        Assert.Equal(["opted-in", "opted-out"], (await Profiles(store).ListProfileChangesAsync(Workspace, customer, 10)).Select(c => c.To));
    }

    [SkippableFact]
    public async Task A_redelivered_stop_records_one_opt_out_and_one_history_entry()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM1", T0, text: "STOP"));

        await store.AppendInboundBatchAsync([Arrival("SM1", T0, text: "STOP")]);
        await store.AppendInboundBatchAsync([Arrival("SM2", T0.AddMinutes(1), text: "STOP")]);

        Assert.Single(await Profiles(store).ListProfileChangesAsync(Workspace, customer, 10));
        Assert.Equal(T0, Assert.Single((await ProfileAsync(store, customer)).Consents).ChangedAt);
    }

    [SkippableFact]
    public async Task A_wechat_unfollow_opts_out_and_a_follow_opts_back_in_as_channel_events()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, WeChatEvent("E1", T0, CustomerEventKinds.Unsubscribed));

        var optedOut = Assert.Single((await ProfileAsync(store, customer)).Consents);
        await store.AppendInboundBatchAsync([WeChatEvent("E2", T0.AddDays(1), CustomerEventKinds.Subscribed)]);
        var optedIn = Assert.Single((await ProfileAsync(store, customer)).Consents);

        Assert.Equal(new ChannelConsent(Channels.WeChat, ConsentStates.OptedOut, T0, ConsentSources.ChannelEvent, "unsubscribed", null), optedOut);
        Assert.Equal(new ChannelConsent(Channels.WeChat, ConsentStates.OptedIn, T0.AddDays(1), ConsentSources.ChannelEvent, "subscribed", null), optedIn);
    }

    [SkippableFact]
    public async Task An_agents_choice_is_recorded_with_who_and_why_and_repeating_it_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM1", T0));
        var change = new ConsentChange(ConsentStates.OptedIn, ConsentSources.Agent, "said yes on the phone", Ann);

        var first = await Consents(store).SetConsentAsync(Workspace, customer, Channels.Messenger, change, T0.AddMinutes(1));
        var again = await Consents(store).SetConsentAsync(Workspace, customer, Channels.Messenger, change, T0.AddMinutes(2));

        Assert.Equal(ProfileUpdateOutcome.Updated, first.Outcome);
        Assert.Equal(new ChannelConsent(Channels.Messenger, ConsentStates.OptedIn, T0.AddMinutes(1), ConsentSources.Agent, "said yes on the phone", Ann),
            Assert.Single(first.Profile!.Consents));
        Assert.Equal((1L, 1L), (first.Profile.Version, again.Profile!.Version));
        var entry = Assert.Single(await Profiles(store).ListProfileChangesAsync(Workspace, customer, 10));
        Assert.Equal(("consent.messenger", (string?)null, "opted-in", (Guid?)Ann), (entry.Field, entry.From, entry.To, entry.ChangedBy));
    }

    [SkippableFact]
    public async Task Another_workspaces_customer_cannot_have_its_consent_or_reachability_changed_or_asked()
    {
        var store = await CreateStoreAsync();
        var theirs = await CustomerOfAsync(store, Arrival("SM1", T0) with { WorkspaceId = OtherWorkspace });
        var identity = new ChannelIdentity(Channels.WhatsApp, "+14155550100");

        var consent = await Consents(store).SetConsentAsync(Workspace, theirs, Channels.WhatsApp,
            new ConsentChange(ConsentStates.OptedOut, ConsentSources.Agent, null, Ann), T0);
        var cleared = await Consents(store).ClearUnreachableAsync(Workspace, theirs, identity, Ann, T0);

        Assert.Equal((ProfileUpdateOutcome.NotFound, ProfileUpdateOutcome.NotFound), (consent.Outcome, cleared.Outcome));
        Assert.False(await Consents(store).MayMessageInBulkAsync(Workspace, theirs, Channels.WhatsApp));
        Assert.True(await Consents(store).MayMessageInBulkAsync(OtherWorkspace, theirs, Channels.WhatsApp));
        Assert.Empty((await Profiles(store).GetProfileAsync(OtherWorkspace, theirs))!.Consents);
    }

    [SkippableFact]
    public async Task A_permanent_failure_marks_the_identity_the_reply_went_to_unreachable_once()
    {
        var store = await CreateStoreAsync();
        var conversation = (await store.AppendInboundBatchAsync([Arrival("SM1", T0)]))[0].Conversation;
        var reply = await ReplyAsync(store, conversation, T0.AddMinutes(1));

        var marked = await Consents(store).MarkUnreachableAsync(reply.Id, SendFailures.RecipientUnavailable, T0.AddMinutes(2));
        var again = await Consents(store).MarkUnreachableAsync(reply.Id, SendFailures.RecipientUnavailable, T0.AddMinutes(3));

        Assert.Equal((true, false), (marked, again));
        var profile = await ProfileAsync(store, conversation.CustomerId);
        Assert.Equal(new IdentityDetail(Channels.WhatsApp, "+14155550100", null, SendFailures.RecipientUnavailable, T0.AddMinutes(2)),
            Assert.Single(profile.IdentityDetails));
        Assert.Single(profile.Identities);
        Assert.False(await Consents(store).MayMessageInBulkAsync(Workspace, conversation.CustomerId, Channels.WhatsApp));
        var entry = Assert.Single(await Profiles(store).ListProfileChangesAsync(Workspace, conversation.CustomerId, 10));
        Assert.Equal(("reachability.whatsapp:+14155550100", "reachable", "unreachable: recipient-unavailable"), (entry.Field, entry.From, entry.To));
    }

    [SkippableFact]
    public async Task The_customer_writing_again_makes_the_identity_reachable_and_an_older_failure_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var conversation = (await store.AppendInboundBatchAsync([Arrival("SM1", T0)]))[0].Conversation;
        var reply = await ReplyAsync(store, conversation, T0.AddMinutes(1));
        await Consents(store).MarkUnreachableAsync(reply.Id, SendFailures.RecipientUnavailable, T0.AddMinutes(2));

        await store.AppendInboundBatchAsync([Arrival("SM2", T0.AddMinutes(3))]);
        var reachable = Assert.Single((await ProfileAsync(store, conversation.CustomerId)).IdentityDetails);
        var stale = await Consents(store).MarkUnreachableAsync(reply.Id, SendFailures.RecipientUnavailable, T0.AddMinutes(2));

        Assert.True(reachable.Reachable);
        Assert.Null(reachable.UnreachableReason);
        Assert.False(stale);
        Assert.Equal(["reachable", "unreachable: recipient-unavailable"],
            (await Profiles(store).ListProfileChangesAsync(Workspace, conversation.CustomerId, 10)).Select(c => c.To));
    }

    [SkippableFact]
    public async Task An_agent_clears_an_unreachable_identity_and_an_unknown_identity_is_not_found()
    {
        var store = await CreateStoreAsync();
        var conversation = (await store.AppendInboundBatchAsync([Arrival("SM1", T0)]))[0].Conversation;
        var reply = await ReplyAsync(store, conversation, T0.AddMinutes(1));
        await Consents(store).MarkUnreachableAsync(reply.Id, SendFailures.RecipientUnavailable, T0.AddMinutes(2));

        var cleared = await Consents(store).ClearUnreachableAsync(Workspace, conversation.CustomerId, new ChannelIdentity(Channels.WhatsApp, "+14155550100"),
            Ann, T0.AddMinutes(3));
        var unknown = await Consents(store).ClearUnreachableAsync(Workspace, conversation.CustomerId, new ChannelIdentity(Channels.WhatsApp, "+14155550199"),
            Ann, T0.AddMinutes(3));

        Assert.Equal((ProfileUpdateOutcome.Updated, ProfileUpdateOutcome.NotFound), (cleared.Outcome, unknown.Outcome));
        Assert.True(Assert.Single(cleared.Profile!.IdentityDetails).Reachable);
        Assert.Equal(Ann, (await Profiles(store).ListProfileChangesAsync(Workspace, conversation.CustomerId, 1))[0].ChangedBy);
        Assert.True(await Consents(store).MayMessageInBulkAsync(Workspace, conversation.CustomerId, Channels.WhatsApp));
    }

    [SkippableFact]
    public async Task History_pages_newest_first_through_every_entry_without_gaps_or_repeats()
    {
        var store = await CreateStoreAsync();
        var customer = await CustomerOfAsync(store, Arrival("SM1", T0));
        for (var i = 1; i <= 3; i++)
        {
            var version = (await ProfileAsync(store, customer)).Version;
            // Two fields per version: the cursor must split a version between pages.
            await Profiles(store).UpdateProfileAsync(Workspace, customer, version, new CustomerProfileFields { Name = "Alice " + i, Company = "Acme " + i }, Ann,
                T0.AddMinutes(i));
        }
        await Consents(store).SetConsentAsync(Workspace, customer, Channels.WhatsApp, new ConsentChange(ConsentStates.OptedOut, ConsentSources.Agent, null, Ann),
            T0.AddMinutes(9));
        var all = await Profiles(store).ListProfileChangesAsync(Workspace, customer, 100);

        var seen = new List<CustomerProfileChange>();
        ProfileChangeCursor? cursor = null;
        while (true)
        {
            var page = await Profiles(store).ListProfileChangesAsync(Workspace, customer, cursor, 3);
            seen.AddRange(page);
            if (page.Count < 3) break;
            cursor = ProfileChangeCursor.Of(page[^1]);
        }

        Assert.Equal(7, all.Count);
        Assert.Equal(all.Select(c => c.Id), seen.Select(c => c.Id));
        Assert.Equal("consent.whatsapp", seen[0].Field);
        Assert.Empty(await Profiles(store).ListProfileChangesAsync(OtherWorkspace, customer, ProfileChangeCursor.Of(all[0]), 10));
    }
}

public sealed class SqliteCustomerConsentStoreTests : CustomerConsentStoreContract, IDisposable
{
    private readonly SqliteTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    // Another store on the same file has its own writer connection: two processes.
    protected override Task<IInboxStore> OpenAgainAsync() => stores.CreateAsync();

    [Fact]
    public async Task A_file_from_before_behaviour_was_kept_is_worked_out_once_from_its_timeline()
    {
        var store = await stores.CreateAsync();
        var stored = await store.AppendInboundBatchAsync([Arrival("SM1", T0), Arrival("SM2", T0.AddMinutes(1))]);
        await ReplyAsync(store, stored[0].Conversation, T0.AddMinutes(2), agent: "Ann");
        await using (var connection = new SqliteConnection($"Data Source={stores.File};Pooling=False"))
        {
            await connection.OpenAsync();
            string[] columns = ["first_seen_at", "last_inbound_at", "last_outbound_agent_at", "last_outbound_automation_at", "last_channel", "inbound_count", "outbound_count"];
            // Such a file has no index on those columns either (segments' indexes on them are made after them at start).
            var indexes = new List<string>();
            await using (var find = connection.CreateCommand())
            {
                find.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers' AND sql IS NOT NULL";
                await using var reader = await find.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    if (columns.Any(column => reader.GetString(1).Contains(column, StringComparison.Ordinal))) indexes.Add(reader.GetString(0));
            }
            await using var command = connection.CreateCommand();
            command.CommandText = string.Concat(indexes.Select(index => $"DROP INDEX {index};")) + "DROP TABLE customer_channel_activity;"
                + string.Concat(columns.Select(column => $"ALTER TABLE customers DROP COLUMN {column};"));
            await command.ExecuteNonQueryAsync();
        }

        var upgraded = await stores.CreateAsync();
        await upgraded.InitializeAsync();

        var behaviour = (await ProfileAsync(upgraded, stored[0].Message.CustomerId)).Behaviour;
        Assert.Equal(new CustomerBehaviour(T0, T0.AddMinutes(1), T0.AddMinutes(2), null, Channels.WhatsApp, 2, 1, []), behaviour with { Channels = [] });
        Assert.Equal(new ChannelBehaviour(Channels.WhatsApp, T0, T0.AddMinutes(1), T0.AddMinutes(2), null, 2, 1), Assert.Single(behaviour.Channels));
    }

    [Fact]
    public async Task A_history_page_is_read_straight_from_the_index_backwards_from_its_cursor()
    {
        await stores.CreateAsync();
        await using var connection = new SqliteConnection($"Data Source={stores.File};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteInboxStore.ProfileChangesPageSql;
        foreach (var name in new[] { "$workspace", "$customer", "$field" }) command.Parameters.AddWithValue(name, "x");
        command.Parameters.AddWithValue("$version", 3L);
        command.Parameters.AddWithValue("$take", 1);

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        // One step, on the index, in its order: a deep page skips nothing it has to read.
        Assert.Equal(["SEARCH customer_profile_changes USING INDEX ix_customer_profile_changes_customer (workspace_id=? AND customer_id=? AND version<?)"], plan);
    }

    public void Dispose() => stores.Dispose();
}

/// <summary>The same contract against a real MongoDB when CRM_TEST_MONGO is set; skipped otherwise.</summary>
public sealed class MongoCustomerConsentStoreTests : CustomerConsentStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    protected override Task<IInboxStore> OpenAgainAsync() => stores.OpenLastAgainAsync();

    public void Dispose() => stores.Dispose();
}
