using Crm.Contracts;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every <see cref="IInboxStore"/> adapter must do. Each adapter's test class supplies a fresh,
/// empty store; the tests are the same for all of them.
/// </summary>
public abstract partial class InboxStoreContract
{
    internal static readonly DateTimeOffset T0 = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A new, initialized, empty store. Adapters that cannot run here skip the test.</summary>
    protected abstract Task<IInboxStore> CreateStoreAsync();

    private static ChannelIdentity Alice => new(Channels.WhatsApp, "+14155550100");

    internal static readonly Guid Workspace = Guid.Parse("0b0e0000-0000-4000-8000-00000000000a");

    [SkippableFact]
    public async Task The_same_identity_always_resolves_to_the_same_customer()
    {
        var store = await CreateStoreAsync();
        var first = await store.ResolveCustomerAsync(Workspace, Alice, "Alice", T0);
        var second = await store.ResolveCustomerAsync(Workspace, Alice, null, T0.AddMinutes(1));
        var other = await store.ResolveCustomerAsync(Workspace, new ChannelIdentity(Channels.WhatsApp, "+14155550199"), "Bob", T0);

        Assert.Equal(first.Id, second.Id);
        Assert.NotEqual(first.Id, other.Id);
        Assert.Equal("Alice", second.DisplayName);
        Assert.Equal([Alice], second.Identities);
    }

    [SkippableFact]
    public async Task A_new_profile_name_replaces_the_old_one()
    {
        var store = await CreateStoreAsync();
        var customer = await store.ResolveCustomerAsync(Workspace, Alice, "Alice", T0);
        await store.ResolveCustomerAsync(Workspace, Alice, "Alice Smith", T0);

        Assert.Equal("Alice Smith", (await store.GetCustomerAsync(customer.Id))!.DisplayName);
    }

    [SkippableFact]
    public async Task Concurrent_first_contacts_create_one_customer_and_one_conversation()
    {
        var store = await CreateStoreAsync();
        var customers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.ResolveCustomerAsync(Workspace, Alice, "Alice", T0))));
        var conversations = await Task.WhenAll(customers.Select(c => Task.Run(() => store.OpenConversationAsync(c, Alice, Business, T0))));

        Assert.Single(customers.Select(c => c.Id).Distinct());
        Assert.Single(conversations.Select(c => c.Id).Distinct());
    }

    [SkippableFact]
    public async Task An_open_conversation_is_reused()
    {
        var store = await CreateStoreAsync();
        var customer = await store.ResolveCustomerAsync(Workspace, Alice, "Alice", T0);
        var opened = await store.OpenConversationAsync(customer, Alice, Business, T0);
        var again = await store.OpenConversationAsync(customer, Alice, Business, T0.AddHours(1));

        Assert.Equal(opened.Id, again.Id);
        Assert.Equal(ConversationStatuses.Open, again.Status);
        Assert.Equal(Alice.Value, again.CustomerIdentity);
        Assert.Equal("Alice", again.CustomerName);
        Assert.Equal(Business, again.BusinessIdentity);
        Assert.Equivalent(opened, await store.GetConversationAsync(opened.Id), strict: true);
    }

    [SkippableFact]
    public async Task A_message_is_stored_with_everything_it_carried()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);
        var message = Inbound(conversation, "SM1", T0) with
        {
            Media = [new MediaAttachment("https://media.example/1.jpg", "image/jpeg"), new MediaAttachment("https://media.example/2.ogg", null)],
            Location = new SharedLocation(52.37, 4.89, "Office", "Dam 1"),
            Button = new ButtonReply("Yes please", "offer-42"),
            RawFields = new Dictionary<string, string> { ["Referral.Source"] = "ad", ["$odd"] = "kept" },
        };

        Assert.True(await store.AppendMessageAsync(message));

        var stored = await store.GetMessageAsync(message.Id);
        Assert.NotNull(stored);
        Assert.Equivalent(message, stored, strict: true);
        Assert.Equal(message.CreatedAt, stored.CreatedAt);
        Assert.Equal(message.Id, (await store.FindMessageByChannelIdAsync(Channels.WhatsApp, "SM1"))?.Id);
    }

    [SkippableFact]
    public async Task The_same_channel_message_id_is_stored_once()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);

        Assert.True(await store.AppendMessageAsync(Inbound(conversation, "SM1", T0)));
        Assert.False(await store.AppendMessageAsync(Inbound(conversation, "SM1", T0.AddSeconds(5))));

        Assert.Single(await store.ListMessagesAsync(conversation.Id, null, 50));
    }

    [SkippableFact]
    public async Task Many_outbound_messages_without_a_provider_id_are_all_kept()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);

        Assert.True(await store.AppendMessageAsync(Outbound(conversation, T0)));
        Assert.True(await store.AppendMessageAsync(Outbound(conversation, T0.AddSeconds(1))));

        Assert.Equal(2, (await store.ListMessagesAsync(conversation.Id, null, 50)).Count);
    }

    [SkippableFact]
    public async Task Appending_moves_the_conversation_to_the_top_with_a_preview()
    {
        var store = await CreateStoreAsync();
        var older = await ConversationAsync(store, new ChannelIdentity(Channels.WhatsApp, "+14155550111"));
        var newer = await ConversationAsync(store);
        await store.AppendMessageAsync(Inbound(newer, "SM1", T0.AddMinutes(1)));
        await store.AppendMessageAsync(Inbound(older, "SM2", T0.AddMinutes(2)) with { Text = "latest words" });
        // Arrives late but was sent earlier: must not replace the preview.
        await store.AppendMessageAsync(Inbound(older, "SM3", T0) with { Text = "stale" });

        var list = await store.ListConversationsAsync(Workspace, null, 10);
        Assert.Equal([older.Id, newer.Id], list.Select(c => c.Id));
        Assert.Equal("latest words", list[0].LastMessagePreview);
        Assert.Equal(T0.AddMinutes(2), list[0].LastMessageAt);
        Assert.Equal([newer.Id], (await store.ListConversationsAsync(Workspace, new PageCursor(list[0].LastMessageAt, list[0].Id), 10)).Select(c => c.Id));
    }

    [SkippableFact]
    public async Task A_timeline_pages_backwards_from_the_newest_message_oldest_first()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);
        var messages = Enumerable.Range(0, 7).Select(i => Inbound(conversation, $"SM{i}", T0.AddSeconds(i))).ToList();
        // Messages in the same tick are still ordered, and paging never skips or repeats them, even when a
        // page boundary falls between them.
        messages.Add(Inbound(conversation, "SM-same-tick", T0.AddSeconds(6)));
        messages.Add(Inbound(conversation, "SM-same-tick-2", T0.AddSeconds(6)));
        messages.Add(Inbound(conversation, "SM-same-tick-3", T0.AddSeconds(2)));
        foreach (var message in messages.OrderBy(_ => Guid.NewGuid())) await store.AppendMessageAsync(message);

        var seen = new List<TimelineMessage>();
        PageCursor? before = null;
        // Bounded, so a cursor that repeats its page fails the test instead of hanging it.
        for (var pages = 0; pages <= messages.Count; pages++)
        {
            var page = await store.ListMessagesAsync(conversation.Id, before, 2);
            if (page.Count == 0) break;
            Assert.True(page.Count <= 2);
            Assert.Equal(page.OrderBy(m => m.CreatedAt).Select(m => m.CreatedAt), page.Select(m => m.CreatedAt));
            seen.InsertRange(0, page);
            before = new PageCursor(page[0].CreatedAt, page[0].Id);
        }

        Assert.Equal(messages.Count, seen.Count);
        Assert.Equal(messages.Count, seen.Select(m => m.Id).Distinct().Count());
        Assert.Equal(messages.Select(m => m.CreatedAt).Order(), seen.Select(m => m.CreatedAt));
        Assert.Equal(T0.AddSeconds(6), (await store.ListMessagesAsync(conversation.Id, null, 1)).Single().CreatedAt);
    }

    [SkippableFact]
    public async Task A_timeline_holds_only_its_own_conversation()
    {
        var store = await CreateStoreAsync();
        var mine = await ConversationAsync(store);
        var theirs = await ConversationAsync(store, new ChannelIdentity(Channels.WhatsApp, "+14155550111"));
        await store.AppendMessageAsync(Inbound(mine, "SM1", T0));
        await store.AppendMessageAsync(Inbound(theirs, "SM2", T0));

        Assert.Equal(["SM1"], (await store.ListMessagesAsync(mine.Id, null, 50)).Select(m => m.ChannelMessageId));
    }

    [SkippableFact]
    public async Task A_status_only_moves_forward_and_records_the_provider_id()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);
        var message = Outbound(conversation, T0);
        await store.AppendMessageAsync(message);

        var queued = await store.ApplyStatusAsync(message.Id, MessageStatuses.Queued, null, "SMout", T0.AddSeconds(1));
        var delivered = await store.ApplyStatusAsync(message.Id, MessageStatuses.Delivered, null, "SMout", T0.AddSeconds(3));
        var lateSent = await store.ApplyStatusAsync(message.Id, MessageStatuses.Sent, null, "SMout", T0.AddSeconds(4));

        Assert.Equal(MessageStatuses.Queued, queued?.Status);
        Assert.Equal("SMout", queued?.ChannelMessageId);
        Assert.Equal(MessageStatuses.Delivered, delivered?.Status);
        Assert.Equal(T0.AddSeconds(3), delivered?.StatusUpdatedAt);
        Assert.Null(lateSent);
        Assert.Equal(MessageStatuses.Delivered, (await store.GetMessageAsync(message.Id))?.Status);
        Assert.Equal(message.Id, (await store.FindMessageByChannelIdAsync(Channels.WhatsApp, "SMout"))?.Id);
    }

    [SkippableFact]
    public async Task A_failure_keeps_its_error_code()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);
        var message = Outbound(conversation, T0);
        await store.AppendMessageAsync(message);

        await store.ApplyStatusAsync(message.Id, MessageStatuses.Sent, null, "SMout", T0);
        var failed = await store.ApplyStatusAsync(message.Id, MessageStatuses.Undelivered, "63016", null, T0.AddSeconds(2));

        Assert.Equal(MessageStatuses.Undelivered, failed?.Status);
        Assert.Equal("63016", failed?.ErrorCode);
        Assert.Null(await store.ApplyStatusAsync(Guid.NewGuid(), MessageStatuses.Sent, null, null, T0));
    }

    [SkippableFact]
    public async Task A_batch_stores_each_message_once_when_it_repeats_inside_the_batch_and_across_batches()
    {
        var store = await CreateStoreAsync();

        var first = await store.AppendInboundBatchAsync([Arrival("SM1", T0), Arrival("SM2", T0.AddSeconds(1)), Arrival("SM1", T0.AddSeconds(2))]);
        var second = await store.AppendInboundBatchAsync([Arrival("SM2", T0.AddSeconds(3)), Arrival("SM3", T0.AddSeconds(4))]);
        var redelivered = await store.AppendInboundBatchAsync([Arrival("SM3", T0.AddSeconds(5))]);

        Assert.Equal(["SM1", "SM2"], first.Select(s => s.Message.ChannelMessageId));
        Assert.Equal(["SM3"], second.Select(s => s.Message.ChannelMessageId));
        Assert.Empty(redelivered);
        var conversation = Assert.Single(await store.ListConversationsAsync(Workspace, null, 10));
        Assert.Equal(["SM1", "SM2", "SM3"], (await store.ListMessagesAsync(conversation.Id, null, 50)).Select(m => m.ChannelMessageId));
    }

    [SkippableFact]
    public async Task A_batch_stores_each_message_with_everything_it_carried()
    {
        var store = await CreateStoreAsync();
        var arrival = Arrival("SM1", T0) with
        {
            Media = [new MediaAttachment("https://media.example/1.jpg", "image/jpeg")],
            Location = new SharedLocation(52.37, 4.89, "Office", "Dam 1"),
            Button = new ButtonReply("Yes please", "offer-42"),
            RawFields = new Dictionary<string, string> { ["Referral.Source"] = "ad" },
        };

        var stored = Assert.Single(await store.AppendInboundBatchAsync([arrival])).Message;

        Assert.Equivalent(stored, await store.GetMessageAsync(stored.Id), strict: true);
        Assert.Equal(Directions.Inbound, stored.Direction);
        Assert.Equal(MessageStatuses.Received, stored.Status);
        Assert.Equal(T0, stored.CreatedAt);
        Assert.Equal(arrival.Button, stored.Button);
        Assert.Equal(arrival.Location, stored.Location);
        Assert.Equal(arrival.Media, stored.Media);
        Assert.Equal(arrival.RawFields, stored.RawFields);
        Assert.Equal(Business, stored.BusinessIdentity);
    }

    [SkippableFact]
    public async Task Concurrent_batches_store_every_message_once_with_one_customer_and_one_conversation_each()
    {
        var store = await CreateStoreAsync();
        var customers = Enumerable.Range(0, 5).Select(i => $"+1415555020{i}").ToList();
        var arrivals = Enumerable.Range(0, 60)
            .Select(i => Arrival($"SM{i}", T0.AddSeconds(i), from: customers[i % customers.Count]))
            .ToList();
        // Every message is in two of the eight batches, in a different order each time.
        var batches = Enumerable.Range(0, 8)
            .Select(b => (IReadOnlyList<InboundMessageReceived>)arrivals.Where((_, i) => i % 4 == b % 4).OrderBy(_ => Guid.NewGuid()).ToList())
            .ToList();

        var results = await Task.WhenAll(batches.Select(batch => Task.Run(() => store.AppendInboundBatchAsync(batch))));

        var stored = results.SelectMany(r => r).Select(s => s.Message).ToList();
        Assert.Equal(arrivals.Count, stored.Count);
        Assert.Equal(arrivals.Count, stored.Select(m => m.ChannelMessageId).Distinct().Count());
        var conversations = await store.ListConversationsAsync(Workspace, null, 50);
        Assert.Equal(customers.Count, conversations.Count);
        Assert.Equal(customers.Count, conversations.Select(c => c.CustomerId).Distinct().Count());
        foreach (var conversation in conversations)
        {
            var timeline = await store.ListMessagesAsync(conversation.Id, null, 100);
            Assert.Equal(arrivals.Count / customers.Count, timeline.Count);
            Assert.All(timeline, m => Assert.Equal(conversation.CustomerIdentity, customers[int.Parse(m.ChannelMessageId![2..]) % customers.Count]));
            Assert.Equal(timeline[^1].CreatedAt, conversation.LastMessageAt);
        }
    }

    [SkippableFact]
    public async Task A_batch_reuses_the_open_conversation_and_moves_its_last_activity_only_forward()
    {
        var store = await CreateStoreAsync();
        var opened = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SM1", T0, text: "first")])).Conversation;

        // The newer message is first in the batch; the older one arrived late and must not take the preview.
        var later = await store.AppendInboundBatchAsync([Arrival("SM3", T0.AddMinutes(3), text: "newest"), Arrival("SM2", T0.AddMinutes(2), text: "late")]);
        var stale = await store.AppendInboundBatchAsync([Arrival("SM0", T0.AddMinutes(-1), text: "very late")]);

        Assert.All(later.Concat(stale), s => Assert.Equal(opened.Id, s.Conversation.Id));
        Assert.All(later, s => Assert.Equal("newest", s.Conversation.LastMessagePreview));
        var conversation = await store.GetConversationAsync(opened.Id);
        Assert.Equal(T0.AddMinutes(3), conversation?.LastMessageAt);
        Assert.Equal("newest", conversation?.LastMessagePreview);
        Assert.Equivalent(conversation, Assert.Single(stale).Conversation, strict: true);
        Assert.Equal(["very late", "first", "late", "newest"], (await store.ListMessagesAsync(opened.Id, null, 50)).Select(m => m.Text));
    }

    [SkippableFact]
    public async Task The_conversation_shows_the_customers_newest_profile_name()
    {
        var store = await CreateStoreAsync();
        var first = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SM1", T0, name: "Alice")])).Conversation;

        var renamed = await store.AppendInboundBatchAsync(
            [Arrival("SM2", T0.AddSeconds(1), name: "Alice S."), Arrival("SM3", T0.AddSeconds(2), name: "Alice Smith"), Arrival("SM4", T0.AddSeconds(3), name: null)]);
        // A redelivery of the first message carries the old name: it is a duplicate and changes nothing.
        await store.AppendInboundBatchAsync([Arrival("SM1", T0, name: "Alice")]);

        Assert.All(renamed, s => Assert.Equal("Alice Smith", s.Conversation.CustomerName));
        Assert.Equal("Alice Smith", (await store.GetConversationAsync(first.Id))?.CustomerName);
        Assert.Equal("Alice Smith", (await store.GetCustomerAsync(first.CustomerId))?.DisplayName);
    }

    [SkippableFact]
    public async Task A_new_profile_name_reaches_every_conversation_of_the_customer()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([Arrival("SM1", T0, name: "Alice"), Arrival("SM2", T0, name: "Alice", business: OtherBusiness)]);
        var customer = stored[0].Message.CustomerId;

        await store.ResolveCustomerAsync(Workspace, Alice, "Alice Smith", T0.AddMinutes(1));

        Assert.All(await store.ListConversationsAsync(Workspace, null, 10), c => Assert.Equal("Alice Smith", c.CustomerName));
        Assert.Equal("Alice Smith", (await store.GetCustomerAsync(customer))?.DisplayName);
    }

    [SkippableFact]
    public async Task A_customer_writing_to_two_business_numbers_has_two_conversations()
    {
        var store = await CreateStoreAsync();

        var stored = await store.AppendInboundBatchAsync(
        [
            Arrival("SM1", T0), Arrival("SM2", T0.AddSeconds(1), business: OtherBusiness), Arrival("SM3", T0.AddSeconds(2)),
            Arrival("SM4", T0.AddSeconds(3), from: "+14155550199", name: "Bob"),
        ]);
        var again = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SM5", T0.AddSeconds(4), business: OtherBusiness)]));

        Assert.Single(stored.Take(3).Select(s => s.Message.CustomerId).Distinct());
        Assert.Equal(stored[0].Conversation.Id, stored[2].Conversation.Id);
        Assert.NotEqual(stored[0].Conversation.Id, stored[1].Conversation.Id);
        Assert.Equal(stored[1].Conversation.Id, again.Conversation.Id);
        Assert.Equal(OtherBusiness, again.Message.BusinessIdentity);
        Assert.Equal(OtherBusiness, (await store.GetConversationAsync(again.Conversation.Id))?.BusinessIdentity);
        Assert.Equal(Business, (await store.GetConversationAsync(stored[0].Conversation.Id))?.BusinessIdentity);
        Assert.Equal(Business, (await store.GetMessageAsync(stored[0].Message.Id))?.BusinessIdentity);
        Assert.Equal(3, (await store.ListConversationsAsync(Workspace, null, 10)).Count);
        Assert.Equal(["SM2", "SM5"], (await store.ListMessagesAsync(again.Conversation.Id, null, 10)).Select(m => m.ChannelMessageId));

        var alice = await store.ResolveCustomerAsync(Workspace, Alice, null, T0);
        Assert.Equal(stored[0].Conversation.Id, (await store.OpenConversationAsync(alice, Alice, Business, T0)).Id);
        Assert.Equal(again.Conversation.Id, (await store.OpenConversationAsync(alice, Alice, OtherBusiness, T0)).Id);
    }

    [SkippableFact]
    public async Task The_conversation_list_pages_by_cursor_without_skipping_or_repeating_same_tick_ties()
    {
        var store = await CreateStoreAsync();
        // Eleven conversations, most sharing their last activity's tick with others.
        var arrivals = Enumerable.Range(0, 11)
            .Select(i => Arrival($"SM{i}", T0.AddSeconds(i / 4), from: $"+1415555030{i:00}"))
            .OrderBy(_ => Guid.NewGuid())
            .ToList();
        await store.AppendInboundBatchAsync(arrivals);

        var seen = new List<Conversation>();
        PageCursor? cursor = null;
        // Bounded, so a cursor that repeats its page fails the test instead of hanging it.
        for (var pages = 0; pages <= arrivals.Count; pages++)
        {
            var page = await store.ListConversationsAsync(Workspace, cursor, 3);
            if (page.Count == 0) break;
            Assert.True(page.Count <= 3);
            seen.AddRange(page);
            cursor = new PageCursor(page[^1].LastMessageAt, page[^1].Id);
        }

        Assert.Equal(arrivals.Count, seen.Count);
        Assert.Equal(arrivals.Count, seen.Select(c => c.Id).Distinct().Count());
        Assert.Equal(seen.Select(c => c.LastMessageAt).OrderDescending(), seen.Select(c => c.LastMessageAt));
        Assert.Equal(seen.Select(c => c.Id), (await store.ListConversationsAsync(Workspace, null, 50)).Select(c => c.Id));
    }

    [SkippableFact]
    public async Task An_empty_batch_stores_nothing()
    {
        var store = await CreateStoreAsync();

        Assert.Empty(await store.AppendInboundBatchAsync([]));
        Assert.Empty(await store.ListConversationsAsync(Workspace, null, 10));
    }

    [SkippableFact]
    public async Task The_same_sender_writing_to_two_workspaces_is_two_customers_each_seen_only_in_its_workspace()
    {
        var store = await CreateStoreAsync();
        var other = Guid.Parse("0b0e0000-0000-4000-8000-00000000000b");

        var stored = await store.AppendInboundBatchAsync([
            Arrival("SMws-a", T0),
            Arrival("SMws-b", T0.AddSeconds(1)) with { WorkspaceId = other },
        ]);

        Assert.Equal(2, stored.Count);
        Assert.NotEqual(stored[0].Message.CustomerId, stored[1].Message.CustomerId);
        Assert.Equal([Workspace, other], stored.Select(s => s.Conversation.WorkspaceId));
        Assert.Equal([Workspace, other], stored.Select(s => s.Message.WorkspaceId));
        Assert.Equal(other, (await store.GetCustomerAsync(stored[1].Message.CustomerId))?.WorkspaceId);
        Assert.Equal([stored[0].Conversation.Id], (await store.ListConversationsAsync(Workspace, null, 10)).Select(c => c.Id));
        Assert.Equal([stored[1].Conversation.Id], (await store.ListConversationsAsync(other, null, 10)).Select(c => c.Id));
        Assert.Equal(stored[0].Message.CustomerId, (await store.ResolveCustomerAsync(Workspace, Alice, null, T0)).Id);
        Assert.Equal(stored[1].Message.CustomerId, (await store.ResolveCustomerAsync(other, Alice, null, T0)).Id);
    }

    [SkippableFact]
    public async Task A_conversation_keeps_the_connection_its_customer_wrote_through()
    {
        var store = await CreateStoreAsync();
        var connection = Guid.Parse("c0c0c0c0-0000-4000-8000-000000000001");
        var before = await ConversationAsync(store);

        var stored = await store.AppendInboundBatchAsync([Arrival("SMconn", T0.AddMinutes(1)) with { ConnectionId = connection }]);

        // A conversation opened before connections were data takes the one its customer now writes through.
        Assert.Equal(before.Id, Assert.Single(stored).Conversation.Id);
        Assert.Equal(connection, stored[0].Conversation.ConnectionId);
        Assert.Equal(connection, (await store.GetConversationAsync(before.Id))?.ConnectionId);
    }

    [SkippableFact]
    public async Task A_status_change_is_recorded_on_the_timeline_once_and_a_repeat_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);

        var resolved = await store.ChangeConversationAsync(conversation.Id, ConversationStatuses.Resolved, null, ConversationPriorities.High, "ann", T0.AddMinutes(1));
        var again = await store.ChangeConversationAsync(conversation.Id, ConversationStatuses.Resolved, null, ConversationPriorities.High, "ann", T0.AddMinutes(2));

        Assert.Equal(ConversationStatuses.Resolved, resolved!.Conversation.Status);
        Assert.Equal(ConversationPriorities.High, resolved.Conversation.Priority);
        Assert.Equal([new ActivityEntry(ActivityKinds.StatusChanged, ConversationStatuses.Open, ConversationStatuses.Resolved),
                      new ActivityEntry(ActivityKinds.PriorityChanged, ConversationPriorities.None, ConversationPriorities.High)],
            resolved.Entries.Select(e => e.Activity));
        Assert.Empty(again!.Entries);
        var stored = await store.GetConversationAsync(conversation.Id);
        Assert.Equal((ConversationStatuses.Resolved, ConversationPriorities.High), (stored!.Status, stored.Priority));
        var timeline = await store.ListMessagesAsync(conversation.Id, null, 10);
        Assert.All(timeline, entry => Assert.Equal(("ann", Directions.Activity), (entry.Agent, entry.Direction)));
        Assert.Equal(2, timeline.Count);
        // Activity is not customer activity: the conversation's place in the list does not move.
        Assert.Equal(conversation.LastMessageAt, stored.LastMessageAt);
        Assert.Null(await store.ChangeConversationAsync(Guid.NewGuid(), ConversationStatuses.Open, null, null, "ann", T0));
    }

    [SkippableFact]
    public async Task A_snoozed_conversation_opens_again_when_its_time_comes()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);
        var until = T0.AddHours(2);
        var snoozed = await store.ChangeConversationAsync(conversation.Id, ConversationStatuses.Snoozed, until, null, "ann", T0);

        var early = await store.WakeSnoozedAsync(until.AddSeconds(-1), 10);
        var due = await store.WakeSnoozedAsync(until, 10);

        Assert.Equal(until, snoozed!.Conversation.SnoozedUntil);
        Assert.Empty(early);
        var woken = Assert.Single(due);
        Assert.Equal((ConversationStatuses.Open, (DateTimeOffset?)null), (woken.Conversation.Status, woken.Conversation.SnoozedUntil));
        Assert.Equal(new ActivityEntry(ActivityKinds.StatusChanged, ConversationStatuses.Snoozed, ConversationStatuses.Open), Assert.Single(woken.Entries).Activity);
        Assert.Null(woken.Entries[0].Agent);
        Assert.Empty(await store.WakeSnoozedAsync(until.AddHours(1), 10));
    }

    [SkippableFact]
    public async Task A_customer_message_opens_a_resolved_conversation_again_with_an_activity_entry_before_it()
    {
        var store = await CreateStoreAsync();
        var first = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMbefore", T0)]));
        await store.ChangeConversationAsync(first.Conversation.Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(1));

        var stored = await store.AppendInboundBatchAsync([Arrival("SMafter", T0.AddMinutes(5))]);

        Assert.All(stored, s => Assert.Equal(first.Conversation.Id, s.Conversation.Id));
        Assert.Equal([Directions.Activity, Directions.Inbound], stored.Select(s => s.Message.Direction));
        Assert.Equal(new ActivityEntry(ActivityKinds.StatusChanged, ConversationStatuses.Resolved, ConversationStatuses.Open), stored[0].Message.Activity);
        Assert.Equal(ConversationStatuses.Open, (await store.GetConversationAsync(first.Conversation.Id))!.Status);
        Assert.Equal(["SMbefore", null, null, "SMafter"],
            (await store.ListMessagesAsync(first.Conversation.Id, null, 10)).Select(m => m.ChannelMessageId));
    }

    [SkippableFact]
    public async Task A_private_note_is_kept_on_the_timeline_without_moving_the_conversation()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);

        var bob = Guid.NewGuid();
        Assert.True(await store.AppendMessageAsync(TimelineEntries.Note(conversation, "VIP, call back", "ann", T0.AddHours(1), [bob])));

        var note = Assert.Single(await store.ListMessagesAsync(conversation.Id, null, 10));
        Assert.Equal((Directions.Note, "VIP, call back", "ann"), (note.Direction, note.Text, note.Agent));
        Assert.Equal([bob], note.Mentions);
        Assert.Equal(conversation.LastMessageAt, (await store.GetConversationAsync(conversation.Id))!.LastMessageAt);
    }

    [SkippableFact]
    public async Task The_list_filters_by_status_and_priority_and_shows_waiting_customers_longest_first_until_answered()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([
            Arrival("SMwait-a", T0.AddMinutes(3), from: "+14155550101"),
            Arrival("SMwait-b", T0.AddMinutes(1), from: "+14155550102"),
            Arrival("SMwait-c", T0.AddMinutes(2), from: "+14155550103"),
            Arrival("SMwait-b2", T0.AddMinutes(4), from: "+14155550102"),
        ]);
        var (a, b, c) = (stored[0].Conversation, stored[1].Conversation, stored[2].Conversation);
        await store.ChangeConversationAsync(c.Id, ConversationStatuses.Pending, null, ConversationPriorities.Urgent, "ann", T0.AddMinutes(5));
        Assert.True(await Outbox(store).AppendReplyAsync(Outbound(a, T0.AddMinutes(6)) with { WorkspaceId = Workspace },
            new OutboundReply("+14155550101", Business, T0.AddHours(1))));

        var waiting = await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter(Sort: ConversationSorts.LongestWaiting));
        var pending = await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter(Status: ConversationStatuses.Pending));
        var urgent = await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter(Priority: ConversationPriorities.Urgent));
        var open = await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter(Status: ConversationStatuses.Open));
        var afterFirst = await store.ListConversationsAsync(Workspace, new PageCursor(waiting[0].WaitingSince!.Value, waiting[0].Id), 10,
            new ConversationListFilter(Sort: ConversationSorts.LongestWaiting));

        // b waits since its first unanswered message (minute 1); a was answered, c is pending (waiting on the customer).
        Assert.Equal([b.Id], waiting.Select(x => x.Id));
        Assert.Equal(T0.AddMinutes(1), waiting[0].WaitingSince);
        Assert.Empty(afterFirst);
        Assert.Equal([c.Id], pending.Select(x => x.Id));
        Assert.Equal([c.Id], urgent.Select(x => x.Id));
        Assert.Equal([a.Id, b.Id], open.Select(x => x.Id));
    }

    private static IReplyOutbox Outbox(IInboxStore store) => (IReplyOutbox)store;

    [SkippableFact]
    public async Task Labels_are_unique_per_workspace_whatever_the_case_and_deleting_one_takes_it_off_its_conversations()
    {
        var store = await CreateStoreAsync();
        var labels = (Crm.Inbox.Conversations.ILabelStore)store;
        var other = Guid.Parse("0b0e0000-0000-4000-8000-00000000000d");
        var vip = await labels.AddLabelAsync(new Crm.Inbox.Conversations.Label(Guid.NewGuid(), Workspace, "VIP", "#d4a72c", T0));
        var clash = await labels.AddLabelAsync(new Crm.Inbox.Conversations.Label(Guid.NewGuid(), Workspace, "vip", "#000000", T0));
        var elsewhere = await labels.AddLabelAsync(new Crm.Inbox.Conversations.Label(Guid.NewGuid(), other, "VIP", "#000000", T0));
        var conversation = await ConversationAsync(store);
        var second = (await store.AppendInboundBatchAsync([Arrival("SMlabel", T0, from: "+14155550199")]))[0].Conversation;

        var labelled = await store.LabelConversationAsync(conversation.Id, vip!, add: true, "ann", T0.AddMinutes(1));
        var again = await store.LabelConversationAsync(conversation.Id, vip!, add: true, "ann", T0.AddMinutes(2));
        var filtered = await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter(LabelId: vip!.Id));

        Assert.Null(clash);
        Assert.NotNull(elsewhere);
        Assert.Equal([vip.Id], labelled!.Conversation.Labels);
        Assert.Equal(new ActivityEntry(ActivityKinds.LabelAdded, null, "VIP"), Assert.Single(labelled.Entries).Activity);
        Assert.Empty(again!.Entries);
        Assert.Equal([conversation.Id], filtered.Select(c => c.Id));
        Assert.DoesNotContain(second.Id, filtered.Select(c => c.Id));
        Assert.Equal(["VIP"], (await labels.ListLabelsAsync(Workspace)).Select(l => l.Name));

        Assert.True(await labels.DeleteLabelAsync(Workspace, vip.Id));
        Assert.Empty((await store.GetConversationAsync(conversation.Id))!.Labels);
        Assert.Empty(await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter(LabelId: vip.Id)));
        Assert.False(await labels.DeleteLabelAsync(other, vip.Id));
        Assert.Null(await labels.GetLabelAsync(other, vip.Id));
    }

    [SkippableFact]
    public async Task Canned_replies_are_found_by_shortcut_prefix_unique_per_workspace_whatever_the_case()
    {
        var store = await CreateStoreAsync();
        var replies = (Crm.Inbox.Conversations.ICannedReplyStore)store;
        var other = Guid.Parse("0b0e0000-0000-4000-8000-00000000000e");
        var hello = await replies.AddCannedReplyAsync(new Crm.Inbox.Conversations.CannedReply(Guid.NewGuid(), Workspace, "hello", "Hi!", T0));
        await replies.AddCannedReplyAsync(new Crm.Inbox.Conversations.CannedReply(Guid.NewGuid(), Workspace, "help_desk", "Desk", T0));
        await replies.AddCannedReplyAsync(new Crm.Inbox.Conversations.CannedReply(Guid.NewGuid(), Workspace, "bye", "Bye", T0));
        var clash = await replies.AddCannedReplyAsync(new Crm.Inbox.Conversations.CannedReply(Guid.NewGuid(), Workspace, "HELLO", "Again", T0));
        var elsewhere = await replies.AddCannedReplyAsync(new Crm.Inbox.Conversations.CannedReply(Guid.NewGuid(), other, "hello", "Theirs", T0));

        Assert.Null(clash);
        Assert.NotNull(elsewhere);
        Assert.Equal(["hello", "help_desk"], (await replies.ListCannedRepliesAsync(Workspace, "HEL")).Select(r => r.Shortcut));
        Assert.Equal(["help_desk"], (await replies.ListCannedRepliesAsync(Workspace, "help_")).Select(r => r.Shortcut));
        Assert.Equal(["bye", "hello", "help_desk"], (await replies.ListCannedRepliesAsync(Workspace, null)).Select(r => r.Shortcut));
        Assert.Null(await replies.UpdateCannedReplyAsync(Workspace, hello!.Id, "bye", "x"));
        Assert.Equal("Hello there", (await replies.UpdateCannedReplyAsync(Workspace, hello.Id, "hi", "Hello there"))?.Content);
        Assert.Null(await replies.GetCannedReplyAsync(other, hello.Id));
        Assert.False(await replies.DeleteCannedReplyAsync(other, hello.Id));
        Assert.True(await replies.DeleteCannedReplyAsync(Workspace, hello.Id));
    }

    [SkippableFact]
    public async Task Each_agent_has_their_own_read_marker_and_unread_counts_only_customer_messages_after_it()
    {
        var store = await CreateStoreAsync();
        var (ann, bob) = (Guid.NewGuid(), Guid.NewGuid());
        var stored = await store.AppendInboundBatchAsync([Arrival("SMu1", T0), Arrival("SMu2", T0.AddMinutes(1)), Arrival("SMu3", T0.AddMinutes(2))]);
        var conversation = stored[0].Conversation.Id;
        Assert.True(await store.AppendMessageAsync(TimelineEntries.Note(stored[0].Conversation, "a note", "ann", T0.AddMinutes(3))));

        var marked = await store.MarkReadAsync(ann, conversation, T0.AddMinutes(1));
        var older = await store.MarkReadAsync(ann, conversation, T0);

        Assert.Equal(T0.AddMinutes(1), marked);
        Assert.Equal(T0.AddMinutes(1), older); // a marker never moves back
        Assert.Equal(1, (await store.UnreadCountsAsync(ann, [conversation], 100))[conversation]);
        Assert.Equal(3, (await store.UnreadCountsAsync(bob, [conversation], 100))[conversation]);
        Assert.Equal(2, (await store.UnreadCountsAsync(bob, [conversation], 2))[conversation]);
    }

    [SkippableFact]
    public async Task Teams_keep_their_settings_and_members_and_names_are_unique_per_workspace()
    {
        var store = await CreateStoreAsync();
        var teams = (Crm.Inbox.Assignment.ITeamStore)store;
        var (ann, bob) = (Guid.NewGuid(), Guid.NewGuid());
        var support = new Crm.Inbox.Assignment.Team(Guid.NewGuid(), Workspace, "Support", Crm.Inbox.Assignment.AssignmentPolicies.RoundRobin, 5, null, [ann], T0);

        Assert.NotNull(await teams.AddTeamAsync(support));
        Assert.Null(await teams.AddTeamAsync(support with { Id = Guid.NewGuid(), Name = "SUPPORT" }));
        var updated = await teams.UpdateTeamAsync(support with { Policy = Crm.Inbox.Assignment.AssignmentPolicies.LeastLoaded, MaxOpenPerAgent = 8, ReassignAfterMinutes = 30, Members = [ann, bob] });

        var read = await teams.GetTeamAsync(Workspace, support.Id);
        Assert.NotNull(updated);
        Assert.Equal((Crm.Inbox.Assignment.AssignmentPolicies.LeastLoaded, 8, (int?)30), (read!.Policy, read.MaxOpenPerAgent, read.ReassignAfterMinutes));
        Assert.Equal([ann, bob], read.Members);
        Assert.Null(await teams.GetTeamAsync(Guid.NewGuid(), support.Id));
        Assert.Equal(["Support"], (await teams.ListTeamsAsync(Workspace)).Select(t => t.Name));
        Assert.True(await teams.DeleteTeamAsync(Workspace, support.Id));
        Assert.Empty(await teams.ListTeamsAsync(Workspace));
    }

    [SkippableFact]
    public async Task The_list_filters_by_customer_to_their_conversations_on_every_business_number()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([
            Arrival("SMcust-a", T0.AddMinutes(1), from: "+14155550101"),
            Arrival("SMcust-b", T0.AddMinutes(2), from: "+14155550102"),
            Arrival("SMcust-a2", T0.AddMinutes(3), from: "+14155550101", business: OtherBusiness),
        ]);
        var (first, other, second) = (stored[0].Conversation, stored[1].Conversation, stored[2].Conversation);

        var theirs = await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter { CustomerId = first.CustomerId });

        Assert.Equal(first.CustomerId, second.CustomerId);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal([second.Id, first.Id], theirs.Select(x => x.Id));
        Assert.Equal([other.Id], (await store.ListConversationsAsync(Workspace, null, 10, new ConversationListFilter { CustomerId = other.CustomerId })).Select(x => x.Id));
        Assert.Empty(await store.ListConversationsAsync(Guid.NewGuid(), null, 10, new ConversationListFilter { CustomerId = first.CustomerId }));
    }

    // The workspace, times, arrivals and conversations here are shared with the other store contracts (internal).
    internal const string Business = "+14155238886";
    private const string OtherBusiness = "+14155238999";

    internal static InboundMessageReceived Arrival(string sid, DateTimeOffset at, string from = "+14155550100", string? name = "Alice",
        string business = Business, string? text = null) => new(
        Channels.WhatsApp, sid, from, name, business, text ?? "hello " + sid, [], null, null, new Dictionary<string, string>(), at)
    {
        WorkspaceId = Workspace,
    };

    internal static async Task<Conversation> ConversationAsync(IInboxStore store, ChannelIdentity? identity = null)
    {
        identity ??= Alice;
        var customer = await store.ResolveCustomerAsync(Workspace, identity, "Customer " + identity.Value, T0);
        return await store.OpenConversationAsync(customer, identity, Business, T0);
    }

    private static TimelineMessage Inbound(Conversation conversation, string channelMessageId, DateTimeOffset at) => new(
        Guid.NewGuid(), conversation.Id, conversation.CustomerId, Channels.WhatsApp, Directions.Inbound, channelMessageId,
        "hello " + channelMessageId, [], null, null, new Dictionary<string, string>(), MessageStatuses.Received, null, null, at, at);

    private static TimelineMessage Outbound(Conversation conversation, DateTimeOffset at) => new(
        Guid.NewGuid(), conversation.Id, conversation.CustomerId, Channels.WhatsApp, Directions.Outbound, null,
        "a reply", [], null, null, new Dictionary<string, string>(), MessageStatuses.Pending, null, "agent-ann", at, at);
}
