using Crm.Contracts;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every <see cref="IInboxStore"/> adapter must do. Each adapter's test class supplies a fresh,
/// empty store; the tests are the same for all of them.
/// </summary>
public abstract class InboxStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A new, initialized, empty store. Adapters that cannot run here skip the test.</summary>
    protected abstract Task<IInboxStore> CreateStoreAsync();

    private static ChannelIdentity Alice => new(Channels.WhatsApp, "+14155550100");

    [SkippableFact]
    public async Task The_same_identity_always_resolves_to_the_same_customer()
    {
        var store = await CreateStoreAsync();
        var first = await store.ResolveCustomerAsync(Alice, "Alice", T0);
        var second = await store.ResolveCustomerAsync(Alice, null, T0.AddMinutes(1));
        var other = await store.ResolveCustomerAsync(new ChannelIdentity(Channels.WhatsApp, "+14155550199"), "Bob", T0);

        Assert.Equal(first.Id, second.Id);
        Assert.NotEqual(first.Id, other.Id);
        Assert.Equal("Alice", second.DisplayName);
        Assert.Equal([Alice], second.Identities);
    }

    [SkippableFact]
    public async Task A_new_profile_name_replaces_the_old_one()
    {
        var store = await CreateStoreAsync();
        var customer = await store.ResolveCustomerAsync(Alice, "Alice", T0);
        await store.ResolveCustomerAsync(Alice, "Alice Smith", T0);

        Assert.Equal("Alice Smith", (await store.GetCustomerAsync(customer.Id))!.DisplayName);
    }

    [SkippableFact]
    public async Task Concurrent_first_contacts_create_one_customer_and_one_conversation()
    {
        var store = await CreateStoreAsync();
        var customers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.ResolveCustomerAsync(Alice, "Alice", T0))));
        var conversations = await Task.WhenAll(customers.Select(c => Task.Run(() => store.OpenConversationAsync(c, Alice, T0))));

        Assert.Single(customers.Select(c => c.Id).Distinct());
        Assert.Single(conversations.Select(c => c.Id).Distinct());
    }

    [SkippableFact]
    public async Task An_open_conversation_is_reused()
    {
        var store = await CreateStoreAsync();
        var customer = await store.ResolveCustomerAsync(Alice, "Alice", T0);
        var opened = await store.OpenConversationAsync(customer, Alice, T0);
        var again = await store.OpenConversationAsync(customer, Alice, T0.AddHours(1));

        Assert.Equal(opened.Id, again.Id);
        Assert.Equal(ConversationStatuses.Open, again.Status);
        Assert.Equal(Alice.Value, again.CustomerIdentity);
        Assert.Equal("Alice", again.CustomerName);
        Assert.Equal(opened, await store.GetConversationAsync(opened.Id));
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

        var list = await store.ListConversationsAsync(0, 10);
        Assert.Equal([older.Id, newer.Id], list.Select(c => c.Id));
        Assert.Equal("latest words", list[0].LastMessagePreview);
        Assert.Equal(T0.AddMinutes(2), list[0].LastMessageAt);
        Assert.Equal([newer.Id], (await store.ListConversationsAsync(1, 10)).Select(c => c.Id));
    }

    [SkippableFact]
    public async Task A_timeline_pages_backwards_from_the_newest_message_oldest_first()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store);
        var messages = Enumerable.Range(0, 7).Select(i => Inbound(conversation, $"SM{i}", T0.AddSeconds(i))).ToList();
        // Two messages in the same tick are still ordered, and paging never skips or repeats them.
        messages.Add(Inbound(conversation, "SM-same-tick", T0.AddSeconds(6)));
        foreach (var message in messages.OrderBy(_ => Guid.NewGuid())) await store.AppendMessageAsync(message);

        var seen = new List<TimelineMessage>();
        Guid? before = null;
        while (true)
        {
            var page = await store.ListMessagesAsync(conversation.Id, before, 3);
            if (page.Count == 0) break;
            Assert.True(page.Count <= 3);
            Assert.Equal(page.OrderBy(m => m.CreatedAt).Select(m => m.CreatedAt), page.Select(m => m.CreatedAt));
            seen.InsertRange(0, page);
            before = page[0].Id;
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

    private static async Task<Conversation> ConversationAsync(IInboxStore store, ChannelIdentity? identity = null)
    {
        identity ??= Alice;
        var customer = await store.ResolveCustomerAsync(identity, "Customer " + identity.Value, T0);
        return await store.OpenConversationAsync(customer, identity, T0);
    }

    private static TimelineMessage Inbound(Conversation conversation, string channelMessageId, DateTimeOffset at) => new(
        Guid.NewGuid(), conversation.Id, conversation.CustomerId, Channels.WhatsApp, Directions.Inbound, channelMessageId,
        "hello " + channelMessageId, [], null, null, new Dictionary<string, string>(), MessageStatuses.Received, null, null, at, at);

    private static TimelineMessage Outbound(Conversation conversation, DateTimeOffset at) => new(
        Guid.NewGuid(), conversation.Id, conversation.CustomerId, Channels.WhatsApp, Directions.Outbound, null,
        "a reply", [], null, null, new Dictionary<string, string>(), MessageStatuses.Pending, null, "agent-ann", at, at);
}
