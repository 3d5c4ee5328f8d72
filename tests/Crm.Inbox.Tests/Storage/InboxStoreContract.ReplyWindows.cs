using Crm.Contracts;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Tests.Storage;

/// <summary>Reply-window facts, events and echoes on the inbound path, and provider watermarks: the same on every store.</summary>
public abstract partial class InboxStoreContract
{
    [SkippableFact]
    public async Task The_reply_window_starts_at_the_customers_last_turn_and_counts_free_text_replies_since_but_not_templates_or_failures()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([Arrival("SMw-1", T0), Arrival("SMw-2", T0.AddMinutes(5))]);
        var conversation = stored[0].Conversation;
        var replies = new[]
        {
            Outbound(conversation, T0.AddMinutes(6)),
            Outbound(conversation, T0.AddMinutes(7)) with { Template = new OutboundTemplate("HX1", "en", new Dictionary<string, string>()) },
            Outbound(conversation, T0.AddMinutes(8)) with { Status = MessageStatuses.Failed },
            Outbound(conversation, T0.AddMinutes(9)) with { Status = MessageStatuses.Delivered },
        };
        foreach (var reply in replies) await store.AppendMessageAsync(reply with { WorkspaceId = Workspace });

        Assert.Equal(new ReplyWindowFacts(T0.AddMinutes(5), 2), await store.ReplyWindowFactsAsync(conversation.Id));
    }

    [SkippableFact]
    public async Task Only_events_reaching_out_move_the_reply_window_and_a_conversation_nobody_wrote_in_has_none()
    {
        var store = await CreateStoreAsync();
        var first = await store.AppendInboundBatchAsync([Arrival("wx-w1", T0)]);
        await store.AppendInboundBatchAsync(
        [
            Arrival("wx-w2", T0.AddMinutes(1)) with { Text = null, Event = new CustomerEvent(CustomerEventKinds.Reaction, "👍", "wx-w1") },
            Arrival("wx-w3", T0.AddMinutes(2)) with { Text = null, Event = new CustomerEvent(CustomerEventKinds.LinkOpened, "https://example.com", null) },
        ]);
        var afterIgnored = await store.ReplyWindowFactsAsync(first[0].Conversation.Id);
        await store.AppendInboundBatchAsync([Arrival("wx-w4", T0.AddMinutes(3)) with { Text = null, Event = new CustomerEvent(CustomerEventKinds.Subscribed, null, null) }]);
        var afterSubscribe = await store.ReplyWindowFactsAsync(first[0].Conversation.Id);
        var silent = await ConversationAsync(store, new ChannelIdentity(Channels.WhatsApp, "+14155550177"));

        Assert.Equal(T0, afterIgnored.LastCustomerTurnAt);
        Assert.Equal(T0.AddMinutes(3), afterSubscribe.LastCustomerTurnAt);
        Assert.Equal(new ReplyWindowFacts(null, 0), await store.ReplyWindowFactsAsync(silent.Id));
    }

    [SkippableFact]
    public async Task Events_and_echoes_keep_their_kind_and_an_echo_ends_the_customers_wait_without_reopening()
    {
        var store = await CreateStoreAsync();
        var first = await store.AppendInboundBatchAsync([Arrival("m-e1", T0)]);
        await store.ChangeConversationAsync(first[0].Conversation.Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(1));

        var echoed = await store.AppendInboundBatchAsync([Arrival("m-e2", T0.AddMinutes(2), text: "sent from the page") with { SentByBusiness = true }]);
        var reaction = await store.AppendInboundBatchAsync(
            [Arrival("m-e3", T0.AddMinutes(3)) with { Text = null, Event = new CustomerEvent(CustomerEventKinds.Reaction, "❤", "m-e2") }]);
        var timeline = await store.ListMessagesAsync(first[0].Conversation.Id, null, 10);

        var echo = timeline.Single(m => m.ChannelMessageId == "m-e2");
        Assert.Equal((Directions.Outbound, MessageStatuses.Sent, true), (echo.Direction, echo.Status, echo.SentOutsideCrm));
        Assert.Equal(new CustomerEvent(CustomerEventKinds.Reaction, "❤", "m-e2"), timeline.Single(m => m.ChannelMessageId == "m-e3").Event);
        Assert.Equal(ConversationStatuses.Resolved, reaction.Single().Conversation.Status);
        Assert.Null(echoed.Single().Conversation.WaitingSince);
    }

    [SkippableFact]
    public async Task A_watermark_finds_the_replies_the_provider_took_up_to_it_that_are_below_its_status()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([Arrival("SMwm-1", T0)]);
        var conversation = stored[0].Conversation;
        var pending = Outbound(conversation, T0.AddMinutes(1)) with { WorkspaceId = Workspace };
        var queued = Outbound(conversation, T0.AddMinutes(2)) with { Status = MessageStatuses.Queued, WorkspaceId = Workspace };
        var read = Outbound(conversation, T0.AddMinutes(3)) with { Status = MessageStatuses.Read, WorkspaceId = Workspace };
        var after = Outbound(conversation, T0.AddMinutes(9)) with { Status = MessageStatuses.Sent, WorkspaceId = Workspace };
        foreach (var message in new[] { pending, queued, read, after }) await store.AppendMessageAsync(message);

        var found = await store.OutboundBelowStatusAsync(Workspace, Channels.WhatsApp, "+14155550100", Business, T0, T0.AddMinutes(5), MessageStatuses.Read, 10);
        var otherCustomer = await store.OutboundBelowStatusAsync(Workspace, Channels.WhatsApp, "+14155550199", Business, T0, T0.AddMinutes(5), MessageStatuses.Read, 10);

        Assert.Equal([queued.Id], found);
        Assert.Empty(otherCustomer);
    }
}
