using Crm.Contracts;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Mongo;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using MongoDB.Driver;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every <see cref="IReplyOutbox"/> adapter must do: a reply and its dispatch are one record, an
/// attempt is claimed by one dispatcher at a time, outcomes end dispatching, and overdue replies end truthfully.
/// </summary>
public abstract class ReplyOutboxContract
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Deadline = T0.AddMinutes(10);

    /// <summary>A new, initialized, empty store. Adapters that cannot run here skip the test.</summary>
    protected abstract Task<IInboxStore> CreateStoreAsync();

    private static IReplyOutbox Outbox(IInboxStore store) => (IReplyOutbox)store;

    [SkippableFact]
    public async Task A_reply_is_stored_pending_with_its_first_attempt_due_at_once()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0, from: "whatsapp:+14155238886");

        var stored = await store.GetMessageAsync(reply.Id);
        Assert.Equivalent(reply, stored, strict: true);
        Assert.Equal(MessageStatuses.Pending, stored!.Status);
        Assert.Equal("a reply", (await store.GetConversationAsync(reply.ConversationId))!.LastMessagePreview);

        var claimed = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));
        Assert.Equal((reply.Id, reply.ConversationId, Channels.WhatsApp, "+14155550100", "whatsapp:+14155238886", "a reply", 1, Deadline),
            (claimed.MessageId, claimed.ConversationId, claimed.Channel, claimed.To, claimed.From, claimed.Text, claimed.Attempt, claimed.NotAfter));
    }

    [SkippableFact]
    public async Task A_claimed_attempt_is_not_claimed_again_until_its_lease_ends()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);

        Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));
        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(29), Lease, 10));
        // The dispatcher died without reporting: the attempt is due again once the lease is over.
        Assert.Equal(reply.Id, Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0 + Lease, Lease, 10)).MessageId);
    }

    [SkippableFact]
    public async Task Concurrent_dispatchers_claim_each_reply_once()
    {
        var store = await CreateStoreAsync();
        var replies = new List<TimelineMessage>();
        for (var i = 0; i < 20; i++) replies.Add(await ReplyAsync(store, T0.AddMilliseconds(i)));

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(1), Lease, 7))));

        var claimed = claims.SelectMany(c => c).Select(c => c.MessageId).ToList();
        Assert.Equal(claimed.Count, claimed.Distinct().Count());
        Assert.Equal(replies.Select(r => r.Id).Order(), claimed.Order());
    }

    [SkippableFact]
    public async Task Claims_are_bounded_and_earliest_first()
    {
        var store = await CreateStoreAsync();
        var later = await ReplyAsync(store, T0.AddSeconds(2));
        var earlier = await ReplyAsync(store, T0);
        await ReplyAsync(store, T0.AddSeconds(5));

        var claimed = await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(3), Lease, 1);

        Assert.Equal([earlier.Id], claimed.Select(c => c.MessageId));
        Assert.Equal([later.Id], (await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(3), Lease, 10)).Select(c => c.MessageId));
    }

    [SkippableFact]
    public async Task A_handed_over_attempt_is_handed_over_again_at_the_redispatch_time()
    {
        var store = await CreateStoreAsync();
        await ReplyAsync(store, T0);
        var claimed = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));

        Assert.True(await Outbox(store).MarkHandedOverAsync(claimed, T0.AddMinutes(1)));

        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(59), Lease, 10));
        var again = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0.AddMinutes(1), Lease, 10));
        Assert.Equal((1, 1), (again.Attempt, again.Sends));
        Assert.NotEqual(claimed.ClaimToken, again.ClaimToken);
    }

    [SkippableFact]
    public async Task A_refused_hand_over_is_tried_again_at_the_retry_time()
    {
        var store = await CreateStoreAsync();
        await ReplyAsync(store, T0);
        var claimed = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));

        Assert.True(await Outbox(store).MarkBusRefusedAsync(claimed, T0.AddSeconds(2)));

        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(1), Lease, 10));
        Assert.Equal(1, Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(2), Lease, 10)).Refusals);
    }

    [SkippableFact]
    public async Task An_outcome_ends_dispatching_and_an_overtaken_claim_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);
        var claimed = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));

        // The connector answered before the dispatcher recorded its hand-over.
        Assert.NotNull(await store.ApplyStatusAsync(reply.Id, MessageStatuses.Queued, null, "SMout", T0.AddSeconds(1)));

        Assert.False(await Outbox(store).MarkHandedOverAsync(claimed, T0.AddMinutes(1)));
        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(T0.AddMinutes(9), Lease, 10));
        Assert.Empty(await Outbox(store).GiveUpOverdueRepliesAsync(T0.AddDays(1), T0.AddDays(1), 10));
        Assert.Equal(MessageStatuses.Queued, (await store.GetMessageAsync(reply.Id))!.Status);
    }

    [SkippableFact]
    public async Task An_unknown_outcome_ends_dispatching()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);

        Assert.NotNull(await store.ApplyStatusAsync(reply.Id, MessageStatuses.UnknownOutcome, null, null, T0.AddSeconds(1)));

        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(2), Lease, 10));
        // The provider's own callback can still settle it.
        Assert.Equal(MessageStatuses.Delivered, (await store.ApplyStatusAsync(reply.Id, MessageStatuses.Delivered, null, "SMlate", T0.AddSeconds(3)))?.Status);
    }

    [SkippableFact]
    public async Task Retrying_shows_on_the_reply_and_makes_the_next_attempt_due_when_asked()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);
        var first = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));
        await Outbox(store).MarkHandedOverAsync(first, T0.AddMinutes(1));

        var retrying = await Outbox(store).ScheduleNextAttemptAsync(reply.Id, 1, T0.AddSeconds(5), T0.AddSeconds(1));

        Assert.Equal(MessageStatuses.Retrying, retrying?.Status);
        Assert.Equal(T0.AddSeconds(1), retrying?.StatusUpdatedAt);
        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(4), Lease, 10));
        var second = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(5), Lease, 10));
        Assert.Equal((2, 0), (second.Attempt, second.Sends));
        // The first attempt's hand-over is overtaken, and a repeated report for it changes nothing.
        Assert.False(await Outbox(store).MarkHandedOverAsync(first, T0.AddMinutes(1)));
        Assert.Null(await Outbox(store).ScheduleNextAttemptAsync(reply.Id, 1, T0.AddSeconds(9), T0.AddSeconds(6)));
        Assert.True(await Outbox(store).MarkHandedOverAsync(second, T0.AddMinutes(2)));
    }

    [SkippableFact]
    public async Task Retrying_never_reopens_a_settled_reply()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);
        await store.ApplyStatusAsync(reply.Id, MessageStatuses.Failed, SendFailures.Expired, null, T0.AddSeconds(1));

        Assert.Null(await Outbox(store).ScheduleNextAttemptAsync(reply.Id, 1, T0.AddSeconds(5), T0.AddSeconds(2)));
        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(T0.AddSeconds(5), Lease, 10));
        Assert.Equal(MessageStatuses.Failed, (await store.GetMessageAsync(reply.Id))!.Status);
    }

    [SkippableFact]
    public async Task Nothing_is_dispatched_after_the_deadline()
    {
        var store = await CreateStoreAsync();
        await ReplyAsync(store, T0);

        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(Deadline, Lease, 10));
    }

    [SkippableFact]
    public async Task An_overdue_reply_that_reached_the_bus_ends_as_unknown_outcome()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);
        var claimed = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));
        await Outbox(store).MarkHandedOverAsync(claimed, T0.AddMinutes(1));

        Assert.Empty(await Outbox(store).GiveUpOverdueRepliesAsync(Deadline, Deadline, 10));
        var settled = Assert.Single(await Outbox(store).GiveUpOverdueRepliesAsync(Deadline.AddTicks(1), Deadline.AddMinutes(2), 10));

        Assert.Equal((reply.Id, MessageStatuses.UnknownOutcome, null, Deadline.AddMinutes(2)), (settled.Id, settled.Status, settled.ErrorCode, settled.StatusUpdatedAt));
        Assert.Equal(MessageStatuses.UnknownOutcome, (await store.GetMessageAsync(reply.Id))!.Status);
        Assert.Empty(await Outbox(store).GiveUpOverdueRepliesAsync(Deadline.AddDays(1), Deadline.AddDays(1), 10));
    }

    [SkippableFact]
    public async Task An_overdue_reply_whose_dispatcher_died_mid_send_ends_as_unknown_outcome()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);
        Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));

        var settled = Assert.Single(await Outbox(store).GiveUpOverdueRepliesAsync(Deadline.AddTicks(1), Deadline.AddMinutes(2), 10));

        Assert.Equal((reply.Id, MessageStatuses.UnknownOutcome), (settled.Id, settled.Status));
    }

    [SkippableFact]
    public async Task A_claim_over_a_dead_dispatchers_claim_still_counts_as_maybe_sent()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);
        Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));
        var retaken = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0 + Lease, Lease, 10));
        await Outbox(store).MarkBusRefusedAsync(retaken, T0.AddMinutes(1));

        var settled = Assert.Single(await Outbox(store).GiveUpOverdueRepliesAsync(Deadline.AddTicks(1), Deadline.AddMinutes(2), 10));

        Assert.Equal((reply.Id, MessageStatuses.UnknownOutcome), (settled.Id, settled.Status));
    }

    [SkippableFact]
    public async Task An_overdue_reply_that_never_reached_the_bus_fails_as_not_dispatched()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);
        var claimed = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));
        await Outbox(store).MarkBusRefusedAsync(claimed, T0.AddSeconds(1));

        var settled = Assert.Single(await Outbox(store).GiveUpOverdueRepliesAsync(Deadline.AddTicks(1), Deadline.AddMinutes(2), 10));

        Assert.Equal((reply.Id, MessageStatuses.Failed, SendFailures.NotDispatched), (settled.Id, settled.Status, settled.ErrorCode));
        Assert.Empty(await Outbox(store).ClaimDueRepliesAsync(Deadline.AddMinutes(-1), Lease, 10));
    }

    [SkippableFact]
    public async Task A_retried_reply_whose_next_attempt_never_reached_the_bus_fails_as_not_dispatched()
    {
        var store = await CreateStoreAsync();
        var reply = await ReplyAsync(store, T0);
        var first = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));
        await Outbox(store).MarkHandedOverAsync(first, T0.AddMinutes(1));
        await Outbox(store).ScheduleNextAttemptAsync(reply.Id, 1, T0.AddSeconds(5), T0.AddSeconds(1));

        var settled = Assert.Single(await Outbox(store).GiveUpOverdueRepliesAsync(Deadline.AddTicks(1), Deadline.AddMinutes(2), 10));

        Assert.Equal((MessageStatuses.Failed, SendFailures.NotDispatched), (settled.Status, settled.ErrorCode));
    }

    [SkippableFact]
    public async Task Giving_up_is_bounded_per_pass()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 3; i++) await ReplyAsync(store, T0.AddSeconds(i));

        Assert.Equal(2, (await Outbox(store).GiveUpOverdueRepliesAsync(Deadline.AddMinutes(1), Deadline.AddMinutes(1), 2)).Count);
        Assert.Single(await Outbox(store).GiveUpOverdueRepliesAsync(Deadline.AddMinutes(1), Deadline.AddMinutes(1), 2));
    }

    [SkippableFact]
    public async Task A_reply_is_resent_at_most_once_and_remembers_what_it_resends()
    {
        var store = await CreateStoreAsync();
        var original = await ReplyAsync(store, T0);
        await store.ApplyStatusAsync(original.Id, MessageStatuses.Failed, "63016", null, T0.AddSeconds(1));

        var resend = NewReply(await store.GetConversationAsync(original.ConversationId), T0.AddMinutes(1)) with { ResendOf = original.Id };
        Assert.True(await Outbox(store).AppendReplyAsync(resend, new OutboundReply("+14155550100", null, Deadline)));
        var again = NewReply(await store.GetConversationAsync(original.ConversationId), T0.AddMinutes(1)) with { ResendOf = original.Id };
        Assert.False(await Outbox(store).AppendReplyAsync(again, new OutboundReply("+14155550100", null, Deadline)));

        Assert.Equal(original.Id, (await store.GetMessageAsync(resend.Id))?.ResendOf);
        Assert.Equal(resend.Id, (await Outbox(store).FindResendAsync(original.Id))?.Id);
        Assert.Null(await Outbox(store).FindResendAsync(resend.Id));
        Assert.Null(await store.GetMessageAsync(again.Id));
        Assert.Equal([original.Id, resend.Id], (await store.ListMessagesAsync(original.ConversationId, null, 10)).Select(m => m.Id));
    }

    [SkippableFact]
    public async Task A_claimed_reply_carries_its_conversations_workspace_and_connection()
    {
        var store = await CreateStoreAsync();
        var workspace = Guid.Parse("0b0e0000-0000-4000-8000-00000000000c");
        var connection = Guid.Parse("c0c0c0c0-0000-4000-8000-000000000002");
        var stored = await store.AppendInboundBatchAsync([new InboundMessageReceived(Channels.WhatsApp, "SMclaim-in", "+14155550100", "Alice",
            "+14155238886", "hi", [], null, null, new Dictionary<string, string>(), T0) { WorkspaceId = workspace, ConnectionId = connection }]);
        var reply = NewReply(stored[0].Conversation, T0) with { WorkspaceId = workspace };
        Assert.True(await Outbox(store).AppendReplyAsync(reply, new OutboundReply("+14155550100", "+14155238886", Deadline)));

        var claimed = Assert.Single(await Outbox(store).ClaimDueRepliesAsync(T0, Lease, 10));

        Assert.Equal(workspace, claimed.WorkspaceId);
        Assert.Equal(connection, claimed.ConnectionId);
        Assert.Equal(workspace, (await store.GetMessageAsync(reply.Id))?.WorkspaceId);
    }

    private static async Task<TimelineMessage> ReplyAsync(IInboxStore store, DateTimeOffset at, string? from = null)
    {
        var identity = new ChannelIdentity(Channels.WhatsApp, "+14155550100");
        var customer = await store.ResolveCustomerAsync(Guid.Empty, identity, "Alice", T0);
        var conversation = await store.OpenConversationAsync(customer, identity, "+14155238886", T0);
        var reply = NewReply(conversation, at);
        Assert.True(await Outbox(store).AppendReplyAsync(reply, new OutboundReply(identity.Value, from, at + (Deadline - T0))));
        return reply;
    }

    private static TimelineMessage NewReply(Conversation? conversation, DateTimeOffset at) => new(
        Guid.NewGuid(), conversation!.Id, conversation.CustomerId, Channels.WhatsApp, Directions.Outbound, null,
        "a reply", [], null, null, new Dictionary<string, string>(), MessageStatuses.Pending, null, "agent-ann", at, at);
}

public sealed class SqliteReplyOutboxTests : ReplyOutboxContract, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("crm-sqlite-replies-").FullName;

    protected override async Task<IInboxStore> CreateStoreAsync()
    {
        var store = new SqliteInboxStore($"Data Source={Path.Combine(directory, "inbox.db")};Pooling=False");
        await store.InitializeAsync();
        return store;
    }

    [Fact]
    public async Task A_store_made_before_the_outbox_gains_its_columns_and_keeps_its_messages()
    {
        var file = Path.Combine(directory, "old.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // The messages table as it was before replies carried their dispatch state.
            command.CommandText = """
                CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, customer_id TEXT NOT NULL, channel TEXT NOT NULL,
                    direction TEXT NOT NULL, channel_message_id TEXT, text TEXT, media_json TEXT NOT NULL, location_json TEXT, button_json TEXT,
                    raw_json TEXT NOT NULL, status TEXT NOT NULL, status_rank INTEGER NOT NULL, error_code TEXT, agent TEXT,
                    created_at INTEGER NOT NULL, status_updated_at INTEGER NOT NULL);
                INSERT INTO messages VALUES ('6f9619ff-8b86-d011-b42d-00cf4fc964ff', '7f9619ff-8b86-d011-b42d-00cf4fc964ff', '8f9619ff-8b86-d011-b42d-00cf4fc964ff', 'whatsapp', 'inbound', 'SMold', 'hi', '[]',
                    NULL, NULL, '{}', 'received', 0, NULL, NULL, 1, 1);
                """;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteInboxStore($"Data Source={file};Pooling=False");
        await store.InitializeAsync();
        await store.InitializeAsync();

        var old = await store.GetMessageAsync(Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"));
        Assert.Equal(("SMold", null), (old?.ChannelMessageId, old?.ResendOf));
        Assert.Empty(await ((IReplyOutbox)store).ClaimDueRepliesAsync(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), 10));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}

/// <summary>The same contract against a real MongoDB when CRM_TEST_MONGO is set; skipped otherwise.</summary>
public sealed class MongoReplyOutboxTests : ReplyOutboxContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    public void Dispose() => stores.Dispose();
}
