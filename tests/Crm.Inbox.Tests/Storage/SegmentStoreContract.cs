using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using Crm.Inbox.Segments;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;
using MongoDB.Bson;
using MongoDB.Driver;
using static Crm.Inbox.Tests.Storage.InboxStoreContract;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every <see cref="ISegmentStore"/> adapter must do: one data set, and for each filter the exact customers it matches,
/// the same on every store. The data is seeded only through store methods, so the cases run on each adapter as they are.
/// Customers of another workspace and a merged-away customer share Alice's every value: they would show in any case Alice does.
/// </summary>
public abstract class SegmentStoreContract
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000f0");
    private static readonly Guid Ann = Guid.Parse("a0a00000-0000-4000-8000-000000000001");
    private static readonly Guid Ben = Guid.Parse("a0a00000-0000-4000-8000-000000000002");
    private static readonly Guid Vip = Guid.Parse("1abe1000-0000-4000-8000-000000000001");
    private static readonly Guid Late = Guid.Parse("1abe1000-0000-4000-8000-000000000002");

    /// <summary>Now, for relative dates: 2026-11-22 09:00 UTC (2027 has no 29 February: Alice's birthday falls on 1 March).</summary>
    private static readonly DateTimeOffset Now = T0;

    protected abstract Task<IInboxStore> CreateStoreAsync();

    /// <summary>Marks the customer merged away (MERGE's column / field), as a merge would leave it.</summary>
    protected abstract Task MarkMergedAsync(IInboxStore store, Guid customerId, Guid survivorId);

    private static ISegmentStore Segments(IInboxStore store) => (ISegmentStore)store;

    private sealed record DataSet(IInboxStore Store, IReadOnlyDictionary<string, Guid> Ids);

    private static readonly CustomerProfileFields AliceFields = new()
    {
        Name = "Alice Chen", Language = "zh-Hans-CN", TimeZone = "Asia/Shanghai", Birthday = new DateOnly(1992, 2, 29), Company = "Acme Ltd",
        Phones = [new ContactPhone("+8613800000001", true)], Emails = [new ContactEmail("alice@acme.test", true)],
        LifecycleStage = "vip", OwnerAgentId = Ann, ValueTier = "gold",
    };

    private async Task<DataSet> SeedAsync()
    {
        var store = await CreateStoreAsync();
        var ids = new Dictionary<string, Guid>();

        async Task<Guid> Add(string key, Guid workspace, string channel, string identity, string? name, DateTimeOffset created, CustomerProfileFields? fields)
        {
            var customer = await store.ResolveCustomerAsync(workspace, new ChannelIdentity(channel, identity), name, created);
            if (fields is not null)
            {
                var result = await ((ICustomerProfileStore)store).UpdateProfileAsync(workspace, customer.Id, 0, fields with { Name = name }, Ann, created);
                Assert.Equal(ProfileUpdateOutcome.Updated, result.Outcome);
            }
            ids[key] = customer.Id;
            return customer.Id;
        }

        var alice = await Add("Alice", Workspace, Channels.WhatsApp, "+8613800000001", "Alice Chen", Now.AddDays(-200), AliceFields);
        await Add("Bob", Workspace, Channels.WeChat, "o-bob", "Bob Li", Now.AddDays(-100), new CustomerProfileFields
        {
            Birthday = new DateOnly(1985, 11, 25), Company = "Beta", LifecycleStage = "lead", Emails = [new ContactEmail("bob@beta.test", false)],
        });
        await Add("Carol", Workspace, Channels.Messenger, "psid-carol", "Carol", Now.AddDays(-10), new CustomerProfileFields
        {
            LifecycleStage = "customer", OwnerAgentId = Ben,
        });
        await Add("Dan", Workspace, Channels.WhatsApp, "+14155550004", "Dan", Now.AddHours(-2), new CustomerProfileFields
        {
            Birthday = new DateOnly(1970, 11, 22), Company = "50% Off_Deals", LifecycleStage = "churned", ValueTier = "silver",
            Phones = [new ContactPhone("+14155550004", false)],
        });
        await Add("Nameless", Workspace, Channels.WhatsApp, "+14155550005", null, Now.AddHours(-1), null);
        await Add("Eve", OtherWorkspace, Channels.WhatsApp, "+8613800000001", "Alice Chen", Now.AddDays(-200), AliceFields);
        var mallory = await Add("Mallory", Workspace, Channels.WhatsApp, "+8613800000009", "Alice Chen", Now.AddDays(-200), AliceFields);

        await ((ILabelStore)store).AddLabelAsync(new Label(Vip, Workspace, "vip", "#1f6feb", Now));
        await ((ILabelStore)store).AddLabelAsync(new Label(Late, Workspace, "late payer", "#1f6feb", Now));
        var segments = Segments(store);
        await segments.ApplyBulkActionAsync(Workspace, [ids["Alice"], ids["Bob"], mallory], new BulkAction(BulkAction.AddLabel, LabelId: Vip), Ann, Now);
        await segments.ApplyBulkActionAsync(Workspace, [ids["Bob"]], new BulkAction(BulkAction.AddLabel, LabelId: Late), Ann, Now);
        await SeedActivityAsync(store, ids, mallory);
        await SeedAttributesAsync(store, ids);
        // Merged away last, with everything Alice has: it would show wherever Alice does if merged customers were not left out.
        await MarkMergedAsync(store, mallory, alice);
        return new DataSet(store, ids);
    }

    private static readonly Guid Twilio = Guid.Parse("c0c00000-0000-4000-8000-000000000001");
    private static readonly Guid SecondNumber = Guid.Parse("c0c00000-0000-4000-8000-000000000002");

    private static InboundMessageReceived Inbound(string sid, string channel, string from, string? name, DateTimeOffset at, Guid? connection = null,
        Guid? workspace = null) => new(channel, sid, from, name, "business", "hello", [], null, null, new Dictionary<string, string>(), at)
    {
        WorkspaceId = workspace ?? Workspace,
        ConnectionId = connection,
    };

    private static async Task<TimelineMessage> ReplyAsync(IInboxStore store, Conversation conversation, DateTimeOffset at, string? agent)
    {
        var reply = new TimelineMessage(Guid.NewGuid(), conversation.Id, conversation.CustomerId, conversation.Channel, Directions.Outbound, null,
            "a reply", [], null, null, new Dictionary<string, string>(), MessageStatuses.Pending, null, agent, at, at) { WorkspaceId = conversation.WorkspaceId };
        Assert.True(await ((IReplyOutbox)store).AppendReplyAsync(reply, new OutboundReply(conversation.CustomerIdentity, conversation.BusinessIdentity, at.AddHours(1))));
        return reply;
    }

    /// <summary>
    /// Behaviour through the message writes that keep it, consent and reachability through BEHAVIOUR's store:
    /// Alice last wrote 70 days ago (an agent replied), Bob twice (5 days ago and today, on WeChat), Carol only got an
    /// automated message, Dan wrote today and his number turned out unreachable; Nameless never did anything.
    /// </summary>
    private static async Task SeedActivityAsync(IInboxStore store, IReadOnlyDictionary<string, Guid> ids, Guid mallory)
    {
        var consents = (ICustomerConsentStore)store;
        var alice = (await store.AppendInboundBatchAsync([Inbound("SMalice", Channels.WhatsApp, "+8613800000001", "Alice Chen", Now.AddDays(-70), Twilio)]))[0];
        await ReplyAsync(store, alice.Conversation, Now.AddDays(-69), "Ann");
        await store.AppendInboundBatchAsync([Inbound("SMeve", Channels.WhatsApp, "+8613800000001", "Alice Chen", Now.AddDays(-70), Twilio, OtherWorkspace)]);
        await store.AppendInboundBatchAsync([Inbound("SMmallory", Channels.WhatsApp, "+8613800000009", "Alice Chen", Now.AddDays(-70), Twilio)]);
        await store.AppendInboundBatchAsync([
            Inbound("wx-bob-1", Channels.WeChat, "o-bob", "Bob Li", Now.AddDays(-5)), Inbound("wx-bob-2", Channels.WeChat, "o-bob", "Bob Li", Now.AddHours(-1))]);
        var carol = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.Messenger, "psid-carol"), null, Now);
        var carolConversation = await store.OpenConversationAsync(carol, new ChannelIdentity(Channels.Messenger, "psid-carol"), "page", Now.AddDays(-3));
        await ReplyAsync(store, carolConversation, Now.AddDays(-3), agent: null);
        var dan = (await store.AppendInboundBatchAsync([Inbound("SMdan", Channels.WhatsApp, "+14155550004", "Dan", Now.AddMinutes(-90), SecondNumber)]))[0];
        var toDan = await ReplyAsync(store, dan.Conversation, Now.AddMinutes(-80), "Ann");
        Assert.True(await consents.MarkUnreachableAsync(toDan.Id, SendFailures.RecipientUnavailable, Now.AddMinutes(-70)));

        foreach (var (key, channel, state) in new[]
        {
            ("Alice", Channels.WhatsApp, ConsentStates.OptedIn), ("Bob", Channels.WeChat, ConsentStates.OptedOut), ("Dan", Channels.WhatsApp, ConsentStates.OptedOut),
        })
        {
            var result = await consents.SetConsentAsync(Workspace, ids[key], channel, new ConsentChange(state, ConsentSources.Agent, null, Ann), Now.AddDays(-1));
            Assert.Equal(ProfileUpdateOutcome.Updated, result.Outcome);
        }
        await consents.SetConsentAsync(Workspace, mallory, Channels.WhatsApp, new ConsentChange(ConsentStates.OptedIn, ConsentSources.Agent, null, Ann), Now.AddDays(-1));
    }

    private static readonly (string Key, string Type, string[] Options)[] Definitions =
    [
        ("city", "text", []), ("score", "number", []), ("vipSince", "date", []), ("newsletter", "boolean", []), ("plan", "choice", ["free", "pro"]),
        ("interests", "multi-choice", ["golf", "tea", "wine"]), ("site", "url", []),
    ];

    /// <summary>Attribute definitions through ATTRIBUTES' store, values through profile updates (as the API writes them).</summary>
    private static async Task SeedAttributesAsync(IInboxStore store, IReadOnlyDictionary<string, Guid> ids)
    {
        var definitions = (ICustomerAttributeDefinitionStore)store;
        var position = 0;
        foreach (var (key, type, options) in Definitions)
            Assert.NotNull(await definitions.AddAttributeDefinitionAsync(new CustomerAttributeDefinition(Guid.NewGuid(), Workspace, key, key, type, options, position++, Now)));

        var profiles = (ICustomerProfileStore)store;
        foreach (var (key, json) in new[]
        {
            ("Alice", """{"city":"Shanghai","score":42,"vipSince":"2024-05-01","newsletter":true,"plan":"pro","interests":["golf","tea"],"site":"https://alice.test"}"""),
            ("Bob", """{"city":"Beijing","score":7.5,"newsletter":false,"interests":["wine"]}"""),
            ("Carol", """{"plan":"free"}"""),
        })
        {
            var current = (await profiles.GetProfileAsync(Workspace, ids[key]))!;
            var attributes = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
            var result = await profiles.UpdateProfileAsync(Workspace, ids[key], current.Version, current.Fields with { Attributes = attributes }, Ann, Now.AddDays(-1));
            Assert.Equal(ProfileUpdateOutcome.Updated, result.Outcome);
        }
    }

    private static string Condition(string field, string op, object? value = null)
        => JsonSerializer.Serialize(value is null ? new { field, @operator = op } : (object)new { field, @operator = op, value });

    private static string All(params string[] conditions) => $$"""{"op":"and","conditions":[{{string.Join(",", conditions)}}]}""";

    private static string Any(params string[] conditions) => $$"""{"op":"or","conditions":[{{string.Join(",", conditions)}}]}""";

    private static readonly string[] Everyone = ["Alice", "Bob", "Carol", "Dan", "Nameless"];

    private static string[] AllBut(params string[] keys) => Everyone.Except(keys).ToArray();

    /// <summary>Each filter, and exactly who it matches.</summary>
    public static TheoryData<string, string[]> Cases() => new()
    {
        // Text fields: equals is exact, contains / starts with ignore case and match % and _ literally.
        { Condition("name", "equals", "Bob Li"), ["Bob"] },
        { Condition("name", "equals", "bob li"), [] },
        { Condition("name", "notEquals", "Bob Li"), AllBut("Bob") },
        { Condition("name", "contains", "LI"), ["Alice", "Bob"] },
        { Condition("name", "startsWith", "al"), ["Alice"] },
        { Condition("name", "isPresent"), AllBut("Nameless") },
        { Condition("name", "isAbsent"), ["Nameless"] },
        { Condition("company", "inList", new[] { "Acme Ltd", "Beta" }), ["Alice", "Bob"] },
        { Condition("company", "contains", "0%"), ["Dan"] },
        { Condition("company", "contains", "f_d"), ["Dan"] },
        { Condition("company", "contains", "%"), ["Dan"] },
        { Condition("company", "startsWith", "_"), [] },
        { Condition("lifecycleStage", "equals", "vip"), ["Alice"] },
        // Stages match whatever their case, as the workspace's stages do; other text is exact.
        { Condition("lifecycleStage", "equals", "VIP"), ["Alice"] },
        { Condition("lifecycleStage", "notEquals", "Vip"), AllBut("Alice") },
        { Condition("lifecycleStage", "inList", new[] { "LEAD", "Churned" }), ["Bob", "Dan"] },
        { Condition("language", "startsWith", "zh"), ["Alice"] },
        { Condition("timeZone", "equals", "Asia/Shanghai"), ["Alice"] },
        { Condition("valueTier", "isPresent"), ["Alice", "Dan"] },
        { Condition("valueTier", "notEquals", "gold"), AllBut("Alice") },
        // The owner.
        { Condition("ownerAgentId", "equals", Ann.ToString()), ["Alice"] },
        { Condition("ownerAgentId", "notEquals", Ann.ToString().ToUpperInvariant()), AllBut("Alice") },
        { Condition("ownerAgentId", "inList", new[] { Ann, Ben }), ["Alice", "Carol"] },
        { Condition("ownerAgentId", "isAbsent"), ["Bob", "Dan", "Nameless"] },
        // Phones and emails: any of them.
        { Condition("phone", "equals", "+8613800000001"), ["Alice"] },
        { Condition("phone", "startsWith", "+1415"), ["Dan"] },
        { Condition("phone", "isAbsent"), ["Bob", "Carol", "Nameless"] },
        { Condition("email", "contains", "@BETA"), ["Bob"] },
        { Condition("email", "isPresent"), ["Alice", "Bob"] },
        // The birthday: a date, and its anniversaries (today is 22 November 2026).
        { Condition("birthday", "equals", "1985-11-25"), ["Bob"] },
        { Condition("birthday", "notEquals", "1985-11-25"), AllBut("Bob") },
        { Condition("birthday", "greaterThan", "1980-01-01"), ["Alice", "Bob"] },
        { Condition("birthday", "lessThan", "1980-01-01"), ["Dan"] },
        { Condition("birthday", "between", new[] { "1985-11-25", "1992-02-29" }), ["Alice", "Bob"] },
        { Condition("birthday", "isAbsent"), ["Carol", "Nameless"] },
        { Condition("birthday", "isToday"), [] },
        { Condition("birthday", "anniversaryWithinDays", 0), ["Dan"] },
        { Condition("birthday", "anniversaryWithinDays", 3), ["Bob", "Dan"] },
        // 98 days reach 28 February 2027, 99 reach 1 March: where a 29 February birthday falls in a year without one.
        { Condition("birthday", "anniversaryWithinDays", 98), ["Bob", "Dan"] },
        { Condition("birthday", "anniversaryWithinDays", 99), ["Alice", "Bob", "Dan"] },
        // Timestamps, absolute and relative to now.
        { Condition("createdAt", "moreThanDaysAgo", 150), ["Alice"] },
        { Condition("createdAt", "lessThanDaysAgo", 50), ["Carol", "Dan", "Nameless"] },
        { Condition("createdAt", "lessThanDaysAgo", 10), ["Dan", "Nameless"] },
        { Condition("createdAt", "withinLastDays", 10), ["Carol", "Dan", "Nameless"] },
        { Condition("createdAt", "withinLastDays", 9), ["Dan", "Nameless"] },
        { Condition("createdAt", "isToday"), ["Dan", "Nameless"] },
        { Condition("createdAt", "greaterThan", "2026-11-01"), ["Carol", "Dan", "Nameless"] },
        { Condition("createdAt", "lessThan", "2026-11-22T07:30:00Z"), ["Alice", "Bob", "Carol", "Dan"] },
        { Condition("createdAt", "between", new[] { "2026-05-01", "2026-09-01T00:00:00+08:00" }), ["Alice", "Bob"] },
        { Condition("createdAt", "never"), [] },
        // Channels the customer has an identity on.
        { Condition("channel", "equals", "whatsapp"), ["Alice", "Dan", "Nameless"] },
        { Condition("channel", "notEquals", "whatsapp"), ["Bob", "Carol"] },
        { Condition("channel", "hasAnyOf", new[] { "wechat", "messenger" }), ["Bob", "Carol"] },
        { Condition("channel", "hasAllOf", new[] { "whatsapp", "wechat" }), [] },
        { Condition("channel", "hasNoneOf", new[] { "whatsapp" }), ["Bob", "Carol"] },
        { Condition("channel", "isPresent"), Everyone },
        // Labels (put on by a bulk action in the seed).
        { Condition("labels", "hasAnyOf", new[] { Vip }), ["Alice", "Bob"] },
        { Condition("labels", "hasAllOf", new[] { Vip, Late }), ["Bob"] },
        { Condition("labels", "hasNoneOf", new[] { Vip }), ["Carol", "Dan", "Nameless"] },
        { Condition("labels", "equals", Late.ToString()), ["Bob"] },
        { Condition("labels", "notEquals", Late.ToString()), AllBut("Bob") },
        { Condition("labels", "isPresent"), ["Alice", "Bob"] },
        { Condition("labels", "isAbsent"), ["Carol", "Dan", "Nameless"] },
        // Behaviour kept by the system (now is 09:00; Bob wrote at 08:00, Dan at 07:30).
        { Condition("lastInboundAt", "moreThanDaysAgo", 60), ["Alice"] },
        { Condition("lastInboundAt", "never"), ["Carol", "Nameless"] },
        { Condition("lastInboundAt", "isToday"), ["Bob", "Dan"] },
        { Condition("lastInboundAt", "withinLastDays", 7), ["Bob", "Dan"] },
        { Condition("firstSeenAt", "lessThanDaysAgo", 10), ["Bob", "Dan"] },
        { Condition("firstSeenAt", "between", new[] { "2026-09-01", "2026-09-30" }), ["Alice"] },
        { Condition("lastOutboundAgentAt", "isPresent"), ["Alice", "Dan"] },
        { Condition("lastOutboundAutomationAt", "moreThanDaysAgo", 2), ["Carol"] },
        { Condition("lastOutboundAutomationAt", "isAbsent"), AllBut("Carol") },
        { Condition("inboundCount", "greaterThan", 1), ["Bob"] },
        { Condition("inboundCount", "equals", 0), ["Carol", "Nameless"] },
        { Condition("inboundCount", "lessThan", 1), ["Carol", "Nameless"] },
        { Condition("inboundCount", "between", new[] { 1, 1 }), ["Alice", "Dan"] },
        { Condition("inboundCount", "inList", new[] { 2, 3 }), ["Bob"] },
        { Condition("outboundCount", "equals", 1), ["Alice", "Carol", "Dan"] },
        { Condition("outboundCount", "notEquals", 1), ["Bob", "Nameless"] },
        { Condition("lastChannel", "equals", "wechat"), ["Bob"] },
        { Condition("lastChannel", "inList", new[] { "whatsapp" }), ["Alice", "Dan"] },
        { Condition("lastChannel", "isAbsent"), ["Carol", "Nameless"] },
        // Consent per channel, and on any channel; no record is "none", not an opt-out.
        { Condition("consent.whatsapp", "equals", "opted-out"), ["Dan"] },
        { Condition("consent.whatsapp", "equals", "opted-in"), ["Alice"] },
        { Condition("consent.whatsapp", "equals", "none"), ["Bob", "Carol", "Nameless"] },
        { Condition("consent.whatsapp", "notEquals", "opted-out"), AllBut("Dan") },
        { Condition("consent.whatsapp", "notEquals", "none"), ["Alice", "Dan"] },
        { Condition("consent.whatsapp", "inList", new[] { "opted-in", "none" }), AllBut("Dan") },
        { Condition("consent.wechat", "equals", "opted-out"), ["Bob"] },
        { Condition("consent", "equals", "opted-out"), ["Bob", "Dan"] },
        { Condition("consent", "notEquals", "opted-out"), ["Alice", "Carol", "Nameless"] },
        { Condition("consent", "equals", "opted-in"), ["Alice"] },
        // Reachability and connections of the identities.
        { Condition("reachableOn", "equals", "whatsapp"), ["Alice", "Nameless"] },
        { Condition("reachableOn", "hasNoneOf", new[] { "whatsapp" }), ["Bob", "Carol", "Dan"] },
        { Condition("reachableOn", "hasAnyOf", new[] { "wechat", "messenger" }), ["Bob", "Carol"] },
        { Condition("hasUnreachableIdentity", "equals", true), ["Dan"] },
        { Condition("hasUnreachableIdentity", "equals", false), AllBut("Dan") },
        { Condition("connection", "equals", Twilio.ToString()), ["Alice"] },
        { Condition("connection", "hasAnyOf", new[] { Twilio, SecondNumber }), ["Alice", "Dan"] },
        { Condition("connection", "isAbsent"), ["Bob", "Carol", "Nameless"] },
        // Custom attributes, typed by their definitions.
        { Condition("attribute.city", "equals", "Shanghai"), ["Alice"] },
        { Condition("attribute.city", "contains", "ING"), ["Bob"] },
        { Condition("attribute.City", "isAbsent"), ["Carol", "Dan", "Nameless"] },
        { Condition("attribute.site", "startsWith", "https://"), ["Alice"] },
        { Condition("attribute.score", "greaterThan", 10), ["Alice"] },
        { Condition("attribute.score", "lessThan", 10), ["Bob"] },
        { Condition("attribute.score", "equals", 7.5), ["Bob"] },
        { Condition("attribute.score", "between", new[] { 7.5, 42 }), ["Alice", "Bob"] },
        { Condition("attribute.score", "notEquals", 42), AllBut("Alice") },
        { Condition("attribute.score", "isPresent"), ["Alice", "Bob"] },
        { Condition("attribute.vipSince", "lessThan", "2025-01-01"), ["Alice"] },
        { Condition("attribute.vipSince", "isAbsent"), AllBut("Alice") },
        { Condition("attribute.newsletter", "equals", true), ["Alice"] },
        { Condition("attribute.newsletter", "equals", false), ["Bob"] },
        { Condition("attribute.newsletter", "isAbsent"), ["Carol", "Dan", "Nameless"] },
        { Condition("attribute.plan", "inList", new[] { "pro" }), ["Alice"] },
        { Condition("attribute.plan", "notEquals", "pro"), AllBut("Alice") },
        { Condition("attribute.interests", "hasAnyOf", new[] { "tea", "wine" }), ["Alice", "Bob"] },
        { Condition("attribute.interests", "hasAllOf", new[] { "golf", "tea" }), ["Alice"] },
        { Condition("attribute.interests", "hasNoneOf", new[] { "golf" }), AllBut("Alice") },
        { Condition("attribute.interests", "equals", "wine"), ["Bob"] },
        { Condition("attribute.interests", "isPresent"), ["Alice", "Bob"] },
        // The benchmark's segment: VIP, silent 60+ days, not opted out on WhatsApp.
        { All(Condition("lifecycleStage", "equals", "vip"), Condition("lastInboundAt", "moreThanDaysAgo", 60),
            Condition("consent.whatsapp", "notEquals", "opted-out")), ["Alice"] },
        // Groups, nested.
        { Any(Condition("lifecycleStage", "equals", "vip"), Condition("company", "equals", "Beta")), ["Alice", "Bob"] },
        { All(Condition("channel", "equals", "whatsapp"), Any(Condition("lifecycleStage", "equals", "churned"), Condition("name", "isAbsent"))), ["Dan", "Nameless"] },
        { All(Condition("labels", "hasAnyOf", new[] { Vip }), Condition("createdAt", "moreThanDaysAgo", 150)), ["Alice"] },
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task A_filter_matches_exactly_its_customers_counted_and_paged_by_name(string filterJson, string[] expected)
    {
        var data = await SeedAsync();
        var schema = SegmentSchema.From(await ((ICustomerAttributeDefinitionStore)data.Store).ListAttributeDefinitionsAsync(Workspace));
        var (filter, problems) = SegmentFilterParser.Parse(JsonDocument.Parse(filterJson).RootElement, schema);
        Assert.Null(problems);

        var count = await Segments(data.Store).CountSegmentAsync(Workspace, filter!, Now);
        var seen = new List<CustomerProfile>();
        CustomerPageCursor? after = null;
        // Pages of two: the keyset must go on from each page's last customer without skipping or repeating one.
        for (var page = 0; page < 10; page++)
        {
            var items = await Segments(data.Store).ListSegmentAsync(Workspace, filter!, Now, after, 2);
            seen.AddRange(items);
            if (items.Count < 2) break;
            after = new CustomerPageCursor(items[^1].Fields.Name ?? "", items[^1].Id);
        }

        var expectedIds = expected.Select(key => data.Ids[key]).ToHashSet();
        Assert.Equal(expectedIds.Count, count);
        Assert.Equal(expectedIds.Order(), seen.Select(p => p.Id).Order());
        Assert.Equal(seen.OrderBy(p => p.Fields.Name ?? "", StringComparer.Ordinal).ThenBy(p => p.Id).Select(p => p.Id), seen.Select(p => p.Id));
    }

    [SkippableFact]
    public async Task A_page_carries_the_profile_and_identities_as_the_customer_list_does()
    {
        var data = await SeedAsync();
        var (filter, _) = SegmentFilterParser.Parse(JsonDocument.Parse(Condition("lifecycleStage", "equals", "vip")).RootElement, SegmentSchema.Empty);

        var page = await Segments(data.Store).ListSegmentAsync(Workspace, filter!, Now, null, 10);

        var alice = Assert.Single(page);
        Assert.Equal(AliceFields.Phones, alice.Fields.Phones);
        Assert.Equal("Asia/Shanghai", alice.Fields.TimeZone);
        Assert.Equal([new ChannelIdentity(Channels.WhatsApp, "+8613800000001")], alice.Identities);
    }

    [SkippableFact]
    public async Task A_listed_page_gets_the_behaviour_and_consents_one_profile_read_shows()
    {
        var data = await SeedAsync();
        var (filter, _) = SegmentFilterParser.Parse(JsonDocument.Parse(Condition("consent", "equals", "opted-out")).RootElement, SegmentSchema.Empty);
        var profiles = (ICustomerProfileStore)data.Store;

        var page = await Segments(data.Store).WithBehaviourAndConsentsAsync(await Segments(data.Store).ListSegmentAsync(Workspace, filter!, Now, null, 10));

        Assert.Equal(["Bob Li", "Dan"], page.Select(p => p.Fields.Name));
        foreach (var listed in page)
        {
            var read = (await profiles.GetProfileAsync(Workspace, listed.Id))!;
            Assert.Equivalent(read.Behaviour with { Channels = [] }, listed.Behaviour with { Channels = [] }, strict: true);
            Assert.Equal(read.Consents, listed.Consents);
            Assert.Equal(read.LabelIds, listed.LabelIds);
        }
        Assert.Equal((2L, Channels.WeChat), (page[0].Behaviour.InboundCount, page[0].Behaviour.LastChannel));
    }

    [SkippableFact]
    public async Task A_bulk_action_changes_each_customer_once_with_an_audit_entry_and_a_repeat_changes_nothing()
    {
        var data = await SeedAsync();
        var segments = Segments(data.Store);
        var ids = new[] { data.Ids["Alice"], data.Ids["Bob"], data.Ids["Carol"] };
        var before = await ((ICustomerProfileStore)data.Store).GetProfileAsync(Workspace, data.Ids["Carol"]);

        var changed = await segments.ApplyBulkActionAsync(Workspace, ids, new BulkAction(BulkAction.SetOwner, OwnerAgentId: Ben), Ann, Now.AddMinutes(5));
        var again = await segments.ApplyBulkActionAsync(Workspace, ids, new BulkAction(BulkAction.SetOwner, OwnerAgentId: Ben), Ann, Now.AddMinutes(6));

        // Carol was Ben's already.
        Assert.Equal(2, changed);
        Assert.Equal(0, again);
        var alice = await ((ICustomerProfileStore)data.Store).GetProfileAsync(Workspace, data.Ids["Alice"]);
        Assert.Equal(Ben, alice!.Fields.OwnerAgentId);
        var history = await ((ICustomerProfileStore)data.Store).ListProfileChangesAsync(Workspace, data.Ids["Alice"], 10);
        var entry = history[0];
        Assert.Equal(("ownerAgentId", Ann.ToString(), Ben.ToString(), (Guid?)Ann, alice.Version), (entry.Field, entry.From, entry.To, entry.ChangedBy, entry.Version));
        Assert.Equal(before!.Version, (await ((ICustomerProfileStore)data.Store).GetProfileAsync(Workspace, data.Ids["Carol"]))!.Version);
    }

    [SkippableFact]
    public async Task A_bulk_label_change_is_audited_by_label_name_and_removing_takes_it_off()
    {
        var data = await SeedAsync();
        var segments = Segments(data.Store);
        var ids = new[] { data.Ids["Alice"], data.Ids["Carol"] };

        var removed = await segments.ApplyBulkActionAsync(Workspace, ids, new BulkAction(BulkAction.RemoveLabel, LabelId: Vip), Ben, Now);
        var profiles = (ICustomerProfileStore)data.Store;

        Assert.Equal(1, removed);
        Assert.Empty((await profiles.GetProfileAsync(Workspace, data.Ids["Alice"]))!.LabelIds);
        Assert.Equal([Vip, Late], (await profiles.GetProfileAsync(Workspace, data.Ids["Bob"]))!.LabelIds);
        var entry = (await ((ICustomerProfileStore)data.Store).ListProfileChangesAsync(Workspace, data.Ids["Alice"], 10))[0];
        Assert.Equal(("labels", "vip", (string?)null, (Guid?)Ben), (entry.Field, entry.From, entry.To, entry.ChangedBy));
    }

    [SkippableFact]
    public async Task A_bulk_attribute_change_sets_it_where_it_differs_and_a_null_value_clears_it()
    {
        var data = await SeedAsync();
        var segments = Segments(data.Store);
        var profiles = (ICustomerProfileStore)data.Store;
        var ids = new[] { data.Ids["Alice"], data.Ids["Bob"], data.Ids["Carol"] };

        var set = await segments.ApplyBulkActionAsync(Workspace, ids,
            new BulkAction(BulkAction.SetAttribute, AttributeKey: "city", AttributeValue: JsonSerializer.SerializeToElement("Shanghai")), Ben, Now);
        var cleared = await segments.ApplyBulkActionAsync(Workspace, [data.Ids["Bob"], data.Ids["Dan"]],
            new BulkAction(BulkAction.SetAttribute, AttributeKey: "city"), Ben, Now);

        // Alice lives in Shanghai already; Dan has no city to clear.
        Assert.Equal((2, 1), (set, cleared));
        Assert.Equal("Shanghai", (await profiles.GetProfileAsync(Workspace, data.Ids["Carol"]))!.Fields.Attributes["city"].GetString());
        Assert.Equal("free", (await profiles.GetProfileAsync(Workspace, data.Ids["Carol"]))!.Fields.Attributes["plan"].GetString());
        Assert.False((await profiles.GetProfileAsync(Workspace, data.Ids["Bob"]))!.Fields.Attributes.ContainsKey("city"));
        var entries = await profiles.ListProfileChangesAsync(Workspace, data.Ids["Bob"], 10);
        Assert.Equal([("attribute.city", "Shanghai", (string?)null), ("attribute.city", "Beijing", "Shanghai")],
            entries.Take(2).Select(e => (e.Field, e.From, e.To)));
    }

    [SkippableFact]
    public async Task A_bulk_action_never_touches_another_workspaces_customers_or_merged_away_ones()
    {
        var data = await SeedAsync();

        var changed = await Segments(data.Store).ApplyBulkActionAsync(Workspace, [data.Ids["Eve"], data.Ids["Mallory"]],
            new BulkAction(BulkAction.SetOwner, OwnerAgentId: Ben), Ben, Now);

        Assert.Equal(0, changed);
        var eve = await ((ICustomerProfileStore)data.Store).GetProfileAsync(OtherWorkspace, data.Ids["Eve"]);
        Assert.Equal(Ann, eve!.Fields.OwnerAgentId);
    }

    [SkippableFact]
    public async Task Saved_segments_are_kept_per_workspace_and_saving_again_replaces_name_and_filter_only()
    {
        var store = await CreateStoreAsync();
        var segments = Segments(store);
        var id = Guid.NewGuid();
        var first = new Segment(id, Workspace, "VIP", Condition("lifecycleStage", "equals", "vip"), false, Ann, T0, T0);

        await segments.SaveSegmentAsync(first);
        var saved = await segments.SaveSegmentAsync(first with { Name = "VIPs", FilterJson = Condition("name", "isPresent"), CreatedBy = Ben,
            CreatedAt = T0.AddDays(1), UpdatedAt = T0.AddDays(1) });
        await segments.SaveSegmentAsync(new Segment(Guid.NewGuid(), Workspace, "Another", Condition("name", "isPresent"), false, Ann, T0, T0));

        Assert.Equal(first with { Name = "VIPs", FilterJson = Condition("name", "isPresent"), UpdatedAt = T0.AddDays(1) }, saved);
        Assert.Equal(saved, await segments.GetSegmentAsync(Workspace, id));
        Assert.Null(await segments.GetSegmentAsync(OtherWorkspace, id));
        Assert.Empty(await segments.ListSegmentsAsync(OtherWorkspace));
        Assert.Equal(["Another", "VIPs"], (await segments.ListSegmentsAsync(Workspace)).Select(s => s.Name));
        Assert.False(await segments.DeleteSegmentAsync(OtherWorkspace, id));
        Assert.True(await segments.DeleteSegmentAsync(Workspace, id));
        Assert.Null(await segments.GetSegmentAsync(Workspace, id));
    }

    [SkippableFact]
    public async Task A_built_in_id_is_kept_apart_in_each_workspace()
    {
        var store = await CreateStoreAsync();
        var segments = Segments(store);
        var builtIn = Guid.Parse("00000000-0000-0000-0000-00000000d001");

        await segments.SaveSegmentAsync(new Segment(builtIn, Workspace, "Dormant 60", "{}", true, Ann, T0, T0));
        await segments.SaveSegmentAsync(new Segment(builtIn, OtherWorkspace, "Dormant 30", "{}", true, Ben, T0, T0));

        Assert.Equal("Dormant 60", (await segments.GetSegmentAsync(Workspace, builtIn))!.Name);
        Assert.Equal("Dormant 30", (await segments.GetSegmentAsync(OtherWorkspace, builtIn))!.Name);
        Assert.True((await segments.GetSegmentAsync(Workspace, builtIn))!.BuiltIn);
    }
}

public sealed class SqliteSegmentStoreTests : SegmentStoreContract, IDisposable
{
    private readonly SqliteTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    protected override async Task MarkMergedAsync(IInboxStore store, Guid customerId, Guid survivorId)
    {
        await using var connection = new SqliteConnection($"Data Source={stores.File};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE customers SET merged_into = $survivor WHERE id = $id";
        command.Parameters.AddWithValue("$survivor", survivorId.ToString());
        command.Parameters.AddWithValue("$id", customerId.ToString());
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    [Theory]
    [InlineData("""{"op":"and","conditions":[{"field":"lifecycleStage","operator":"equals","value":"vip"},{"field":"lastInboundAt","operator":"moreThanDaysAgo","value":60},{"field":"consent.whatsapp","operator":"notEquals","value":"opted-out"}]}""",
        "SEARCH c USING INDEX ix_customers_segment_stage (workspace_id=? AND lifecycle_stage=? AND last_inbound_at<?)")]
    [InlineData("""{"op":"or","conditions":[{"field":"lastInboundAt","operator":"moreThanDaysAgo","value":90},{"op":"and","conditions":[{"field":"lastInboundAt","operator":"never"},{"field":"createdAt","operator":"moreThanDaysAgo","value":90}]}]}""",
        "SEARCH c USING INDEX ix_customers_segment_last_inbound (workspace_id=?)")]
    public async Task A_segment_count_reads_its_index_not_the_customers(string filterJson, string expectedFirstStep)
    {
        await stores.CreateAsync();
        var (filter, _) = SegmentFilterParser.Parse(System.Text.Json.JsonDocument.Parse(filterJson).RootElement, SegmentSchema.Empty);
        var (sql, parameters) = Crm.Inbox.Storage.Sqlite.SqliteInboxStore.SegmentQuery("SELECT count(*)", Workspace, filter!, T0, "");
        await using var connection = new SqliteConnection($"Data Source={stores.File};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));

        Assert.Equal(expectedFirstStep, plan[0]);
    }

    public void Dispose() => stores.Dispose();
}

/// <summary>The same cases against a real MongoDB when CRM_TEST_MONGO is set; skipped otherwise.</summary>
public sealed class MongoSegmentStoreTests : SegmentStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    protected override async Task MarkMergedAsync(IInboxStore store, Guid customerId, Guid survivorId)
    {
        var updated = await stores.LastDatabase.GetCollection<BsonDocument>("customers").UpdateOneAsync(
            new BsonDocument("_id", new BsonBinaryData(customerId, GuidRepresentation.Standard)),
            new BsonDocument("$set", new BsonDocument("mergedInto", new BsonBinaryData(survivorId, GuidRepresentation.Standard))));
        Assert.Equal(1, updated.ModifiedCount);
    }

    public void Dispose() => stores.Dispose();
}
