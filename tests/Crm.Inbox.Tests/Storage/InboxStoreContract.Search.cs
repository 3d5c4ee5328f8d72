using Crm.Contracts;
using Crm.Inbox.Search;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Tests.Storage;

/// <summary>Full-text search, the same on every adapter.</summary>
public abstract partial class InboxStoreContract
{
    private static Task<IReadOnlyList<SearchHit>> SearchAsync(IInboxStore store, string text, Guid? workspace = null, PageCursor? after = null, int take = 20)
        => store.SearchAsync(workspace ?? Workspace, SearchQuery.Parse(text), after, take);

    [SkippableFact]
    public async Task Search_finds_inbound_text_a_reply_and_a_note_with_their_conversation()
    {
        var store = await CreateStoreAsync();
        var inbound = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMs1", T0, text: "My parcel never arrived")]));
        var conversation = inbound.Conversation;
        var reply = Outbound(conversation, T0.AddMinutes(1)) with { Text = "Your parcel left the depot", WorkspaceId = conversation.WorkspaceId };
        Assert.True(await ((IReplyOutbox)store).AppendReplyAsync(reply, new OutboundReply("+14155550100", null, T0.AddMinutes(10))));
        var note = TimelineEntries.Note(conversation, "Parcel claim filed", "ann", T0.AddMinutes(2));
        Assert.True(await store.AppendMessageAsync(note));
        await store.AppendInboundBatchAsync([Arrival("SMs2", T0.AddMinutes(3), text: "Thanks, bye")]);

        var hits = await SearchAsync(store, "parcel");

        Assert.Equal([note.Id, reply.Id, inbound.Message.Id], hits.Select(h => h.MessageId));
        Assert.All(hits, h => Assert.Equal((conversation.Id, "Alice", Channels.WhatsApp), (h.ConversationId, h.CustomerName, h.Channel)));
        Assert.Contains("arrived", hits[2].Snippet);
        Assert.Equal(T0, hits[2].At);
    }

    [SkippableFact]
    public async Task Search_needs_every_term_whatever_the_case()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([
            Arrival("SMp1", T0, text: "Invoice number 4711 is wrong"),
            Arrival("SMp2", T0.AddSeconds(1), text: "Where is my invoice"),
        ]);

        Assert.Equal([stored[0].Message.Id], (await SearchAsync(store, "invoice WRONG")).Select(h => h.MessageId));
        Assert.Equal([stored[1].Message.Id, stored[0].Message.Id], (await SearchAsync(store, "INVOICE")).Select(h => h.MessageId));
        Assert.Empty(await SearchAsync(store, "invoice refund"));
    }

    [SkippableFact]
    public async Task Search_ignores_diacritics_in_names_and_text()
    {
        var store = await CreateStoreAsync();
        var stored = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMd1", T0, name: "Zoë Brontë", text: "Un café crème, s'il vous plaît")]));

        var byName = Assert.Single(await SearchAsync(store, "zoe"));
        Assert.Equal((stored.Conversation.Id, "Zoë Brontë", (Guid?)null), (byName.ConversationId, byName.CustomerName, byName.MessageId));
        Assert.Equal(stored.Message.Id, Assert.Single(await SearchAsync(store, "creme")).MessageId);
        Assert.Equal(stored.Message.Id, Assert.Single(await SearchAsync(store, "Crème")).MessageId);
    }

    [SkippableFact]
    public async Task Search_finds_a_customer_by_part_of_their_phone_number()
    {
        var store = await CreateStoreAsync();
        var stored = await store.AppendInboundBatchAsync([
            Arrival("SMi1", T0, from: "+14155550100", name: "Alice"),
            Arrival("SMi2", T0.AddSeconds(1), from: "+14155559999", name: "Bob"),
        ]);

        var hit = Assert.Single(await SearchAsync(store, "5550100"));
        Assert.Equal((stored[0].Conversation.Id, (Guid?)null), (hit.ConversationId, hit.MessageId));
        Assert.Equal(2, (await SearchAsync(store, "+1 415 555")).Count);
    }

    [SkippableFact]
    public async Task Search_finds_a_customer_by_their_new_name_and_not_the_old_one()
    {
        var store = await CreateStoreAsync();
        var first = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMr1", T0, name: "Alice")]));
        await store.AppendInboundBatchAsync([Arrival("SMr2", T0.AddSeconds(1), name: "Wanda Maximoff")]);

        Assert.Equal(first.Conversation.Id, Assert.Single(await SearchAsync(store, "maximoff")).ConversationId);
        Assert.Empty(await SearchAsync(store, "alice"));
    }

    [SkippableFact]
    public async Task Search_never_returns_another_workspaces_messages_or_customers()
    {
        var store = await CreateStoreAsync();
        var other = Guid.Parse("0b0e0000-0000-4000-8000-00000000000b");
        var stored = await store.AppendInboundBatchAsync([
            Arrival("SMw1", T0, name: "Quentin", text: "secret launch plan"),
            Arrival("SMw2", T0.AddSeconds(1), from: "+14155550177", name: "Quentin", text: "secret launch plan") with { WorkspaceId = other },
        ]);

        Assert.Equal([stored[1].Message.Id], (await SearchAsync(store, "secret launch", other)).Select(h => h.MessageId));
        Assert.Equal([stored[1].Conversation.Id], (await SearchAsync(store, "quentin", other)).Select(h => h.ConversationId));
        Assert.Equal([stored[0].Message.Id], (await SearchAsync(store, "secret launch")).Select(h => h.MessageId));
        Assert.Empty(await SearchAsync(store, "5550177"));
    }

    [SkippableFact]
    public async Task Search_pages_by_cursor_without_skipping_or_repeating_same_tick_ties()
    {
        var store = await CreateStoreAsync();
        // Three share one tick, and all are stored within a few milliseconds.
        await store.AppendInboundBatchAsync([.. Enumerable.Range(0, 7)
            .Select(i => Arrival($"SMg{i}", i < 3 ? T0 : T0.AddSeconds(i), text: $"refund request {i}"))]);

        var paged = await SearchAllPagesAsync(store, "refund", take: 2);

        var onePage = (await SearchAsync(store, "refund", take: 50)).Select(h => h.MessageId);
        Assert.Equal(7, paged.Distinct().Count());
        Assert.Equal(onePage, paged);
    }

    [SkippableFact]
    public async Task Search_lists_messages_newest_stored_first_even_when_a_late_one_carries_an_older_time()
    {
        var store = await CreateStoreAsync();
        var first = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMl1", T0.AddMinutes(5), text: "refund sent")]));
        await NextMillisecondAsync();
        // Delivered after the first but stamped earlier by the provider: stored second, so listed first.
        var late = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMl2", T0, text: "refund please")]));

        Assert.Equal([late.Message.Id, first.Message.Id], (await SearchAsync(store, "refund")).Select(h => h.MessageId));
        Assert.Equal([late.Message.Id, first.Message.Id], await SearchAllPagesAsync(store, "refund", take: 1));
    }

    [SkippableFact]
    public async Task Search_lists_customer_matches_before_messages_and_pages_across_both()
    {
        var store = await CreateStoreAsync();
        // The customers' conversations are older than the messages that name them: they still come first.
        var rufus = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMm1", T0, from: "+14155550103", name: "Rufus", text: "hi")]));
        var rufina = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMm2", T0.AddMinutes(1), from: "+14155550104", name: "Rufina", text: "hey")]));
        var older = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMm3", T0.AddMinutes(2), from: "+14155550101", name: "Bob", text: "ask Rufus about it")]));
        await NextMillisecondAsync();
        var newer = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMm4", T0.AddMinutes(3), from: "+14155550102", name: "Carol", text: "Rufus said no")]));

        Assert.Equal([(rufina.Conversation.Id, (Guid?)null), (rufus.Conversation.Id, null), (newer.Conversation.Id, newer.Message.Id), (older.Conversation.Id, older.Message.Id)],
            (await SearchAsync(store, "ruf")).Select(h => (h.ConversationId, h.MessageId)));
        Assert.Equal([null, null, newer.Message.Id, older.Message.Id], await SearchAllPagesAsync(store, "ruf", take: 1));
    }

    private static async Task<List<Guid?>> SearchAllPagesAsync(IInboxStore store, string text, int take)
    {
        var seen = new List<Guid?>();
        PageCursor? after = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await SearchAsync(store, text, after: after, take: take);
            if (page.Count == 0) return seen;
            seen.AddRange(page.Select(h => h.MessageId));
            after = page[^1].Cursor;
        }
        throw new InvalidOperationException("Search pages never ended: is the cursor moving?");
    }

    /// <summary>Message ids are UUIDv7, ordered by their millisecond (random within it): lets two stores' orders be compared.</summary>
    private static async Task NextMillisecondAsync()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() == now) await Task.Delay(1);
    }

    [SkippableTheory]
    [InlineData("\"")]
    [InlineData("*")]
    [InlineData("NEAR(")]
    [InlineData("AND")]
    [InlineData("hello\" OR \"x*")]
    [InlineData("text:(a) ^b -c {d}")]
    [InlineData(".*[")]
    public async Task Search_syntax_in_the_query_is_taken_as_plain_text(string query)
    {
        var store = await CreateStoreAsync();
        await store.AppendInboundBatchAsync([Arrival("SMh1", T0, text: "hello AND near text")]);

        var hits = await SearchAsync(store, query);

        Assert.All(hits, h => Assert.NotNull(h.MessageId));
    }
}
