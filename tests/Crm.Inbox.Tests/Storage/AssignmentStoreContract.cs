using Crm.Contracts;
using Crm.Inbox.Assignment;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using static Crm.Inbox.Tests.Storage.InboxStoreContract;

namespace Crm.Inbox.Tests.Storage;

/// <summary>
/// What every <see cref="IAssignmentStore"/> and <see cref="IAgentPresenceStore"/> adapter must do: the queue, atomic
/// reassignment within capacity (also between processes), what the engine reads to decide, agents' presence, and the
/// list filters and queue order agents see.
/// </summary>
public abstract class AssignmentStoreContract
{
    private static readonly Guid Ann = Guid.Parse("a0a00000-0000-4000-8000-000000000001");
    private static readonly Guid Bob = Guid.Parse("b0b00000-0000-4000-8000-000000000002");
    private static readonly Guid Support = Guid.Parse("5e000000-0000-4000-8000-000000000001");
    private static readonly Guid Sales = Guid.Parse("5a000000-0000-4000-8000-000000000002");
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000f0");

    /// <summary>A new, initialized, empty store. Adapters that cannot run here skip the test.</summary>
    protected abstract Task<IInboxStore> CreateStoreAsync();

    /// <summary>A second store on the data of the last one <see cref="CreateStoreAsync"/> made, as another process would open it.</summary>
    protected abstract Task<IInboxStore> OpenAgainAsync();

    private static IAssignmentStore Assignments(IInboxStore store) => (IAssignmentStore)store;

    private static IAgentPresenceStore Presence(IInboxStore store) => (IAgentPresenceStore)store;

    /// <summary>One conversation per customer number, each with its first message at its time (the customer waits since then).</summary>
    private static async Task<List<Conversation>> ConversationsAsync(IInboxStore store, params (string From, DateTimeOffset At, Guid? Team)[] customers)
    {
        var stored = await store.AppendInboundBatchAsync(customers
            .Select(c => Arrival($"SM{c.From}", c.At, from: c.From) with { RoutingTeamId = c.Team })
            .ToList());
        return stored.Select(s => s.Conversation).ToList();
    }

    private static async Task<Conversation> ConversationAsync(IInboxStore store, string from, DateTimeOffset at, Guid? team = null)
        => (await ConversationsAsync(store, (from, at, team)))[0];

    private static Task<ReassignmentResult> AssignAsync(IInboxStore store, Conversation conversation, Guid agent, DateTimeOffset at)
        => Assignments(store).ReassignAsync(new Reassignment(conversation.Id, null, agent, "admin", at));

    private static async Task<Conversation> StoredAsync(IInboxStore store, Conversation conversation)
        => (await store.GetConversationAsync(conversation.Id))!;

    [SkippableFact]
    public async Task A_new_conversation_waits_in_the_queue_of_the_team_its_connection_routes_to()
    {
        var store = await CreateStoreAsync();

        var routed = await ConversationAsync(store, "+14155550101", T0.AddMinutes(1), Support);
        var opened = await InboxStoreContract.ConversationAsync(store, new ChannelIdentity(Channels.WhatsApp, "+14155550102"));

        var stored = await StoredAsync(store, routed);
        Assert.Equal(((Guid?)Support, (Guid?)null, (DateTimeOffset?)null, (DateTimeOffset?)T0.AddMinutes(1)),
            (stored.TeamId, stored.AssigneeId, stored.AssignedAt, stored.QueuedAt));
        Assert.Equivalent(routed, stored, strict: true);
        Assert.Equal(((Guid?)null, (DateTimeOffset?)T0), ((await StoredAsync(store, opened)).TeamId, (await StoredAsync(store, opened)).QueuedAt));
    }

    [SkippableFact]
    public async Task Assigning_from_the_queue_takes_it_out_of_the_queue_records_the_activity_and_the_agents_turn()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0, Support);

        var result = await Assignments(store).ReassignAsync(new Reassignment(conversation.Id, null, Ann, null, T0.AddMinutes(1)) { ToName = "Ann" });

        Assert.Equal(ReassignmentOutcome.Done, result.Outcome);
        var after = result.Changed!.Conversation;
        Assert.Equal((Ann, T0.AddMinutes(1), (DateTimeOffset?)null), (after.AssigneeId!.Value, after.AssignedAt!.Value, after.QueuedAt));
        Assert.Equivalent(after, await StoredAsync(store, conversation), strict: true);
        var entry = Assert.Single(result.Changed.Entries);
        Assert.Equal(new ActivityEntry(ActivityKinds.Assigned, null, "Ann"), entry.Activity);
        Assert.Null(entry.Agent);
        var timeline = await store.ListMessagesAsync(conversation.Id, null, 10);
        Assert.Equivalent(entry, timeline.Single(m => m.Direction == Directions.Activity), strict: true);
        // Activity is not customer activity: the conversation keeps its place in the list.
        Assert.Equal(conversation.LastMessageAt, after.LastMessageAt);
        var presence = Assert.Single(await Presence(store).ListPresenceAsync(Workspace));
        Assert.Equal((Ann, Workspace, (DateTimeOffset?)T0.AddMinutes(1)), (presence.AgentId, presence.WorkspaceId, presence.LastAssignedAt));
    }

    [SkippableFact]
    public async Task A_transfer_and_a_return_to_the_queue_are_recorded_and_a_no_reply_return_remembers_whom_it_was_taken_from()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0, Support);
        await AssignAsync(store, conversation, Ann, T0.AddMinutes(1));

        var transferred = await Assignments(store).ReassignAsync(
            new Reassignment(conversation.Id, Ann, Bob, "ann", T0.AddMinutes(2)) { FromName = "Ann", ToName = "Bob" });
        var returned = await Assignments(store).ReassignAsync(
            new Reassignment(conversation.Id, Bob, null, null, T0.AddMinutes(3)) { FromName = "Bob", Reason = AssignmentReasons.NoReply });

        Assert.Equal(new ActivityEntry(ActivityKinds.Transferred, "Ann", "Bob"), Assert.Single(transferred.Changed!.Entries).Activity);
        Assert.Equal(new ActivityEntry(ActivityKinds.Unassigned, "Bob", null) { Reason = AssignmentReasons.NoReply },
            Assert.Single(returned.Changed!.Entries).Activity);
        var stored = await StoredAsync(store, conversation);
        // Back in the queue from when the customer began waiting, which is before it was returned.
        Assert.Equal(((Guid?)null, (DateTimeOffset?)null, (DateTimeOffset?)T0, (Guid?)Bob), (stored.AssigneeId, stored.AssignedAt, stored.QueuedAt, stored.ReturnedFrom));
        Assert.Equal(
            [ActivityKinds.Assigned, ActivityKinds.Transferred, ActivityKinds.Unassigned],
            (await store.ListMessagesAsync(conversation.Id, null, 10)).Where(m => m.Activity is not null).Select(m => m.Activity!.Kind));
        Assert.Equal(AssignmentReasons.NoReply, (await store.ListMessagesAsync(conversation.Id, null, 1))[0].Activity!.Reason);

        var again = await AssignAsync(store, conversation, Ann, T0.AddMinutes(4));
        Assert.Null(again.Changed!.Conversation.ReturnedFrom);
        Assert.Null((await StoredAsync(store, conversation)).ReturnedFrom);
    }

    [SkippableFact]
    public async Task A_return_for_another_reason_does_not_mark_whom_it_was_taken_from()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0);
        await AssignAsync(store, conversation, Ann, T0.AddMinutes(1));

        await Assignments(store).ReassignAsync(new Reassignment(conversation.Id, Ann, null, null, T0.AddMinutes(2)) { Reason = AssignmentReasons.AgentOffline });

        var stored = await StoredAsync(store, conversation);
        Assert.Equal(((Guid?)null, (DateTimeOffset?)T0), (stored.ReturnedFrom, stored.QueuedAt));
    }

    [SkippableFact]
    public async Task A_team_change_moves_the_conversation_to_the_other_teams_queue()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0, Support);
        await AssignAsync(store, conversation, Ann, T0.AddMinutes(1));

        var result = await Assignments(store).ReassignAsync(new Reassignment(conversation.Id, Ann, null, "ann", T0.AddMinutes(2))
        {
            ChangesTeam = true, TeamId = Sales, FromTeamName = "Support", ToTeamName = "Sales", FromName = "Ann",
        });

        Assert.Equal(
            [new ActivityEntry(ActivityKinds.TeamChanged, "Support", "Sales"), new ActivityEntry(ActivityKinds.Unassigned, "Ann", null)],
            result.Changed!.Entries.Select(e => e.Activity));
        var stored = await StoredAsync(store, conversation);
        Assert.Equal(((Guid?)Sales, (Guid?)null, (DateTimeOffset?)T0), (stored.TeamId, stored.AssigneeId, stored.QueuedAt));
        Assert.Equal(3, (await store.ListMessagesAsync(conversation.Id, null, 10)).Count(m => m.Activity is not null));

        var toWorkspace = await Assignments(store).ReassignAsync(new Reassignment(conversation.Id, null, null, "ann", T0.AddMinutes(3))
        {
            ChangesTeam = true, TeamId = null, FromTeamName = "Sales",
        });
        Assert.Equal(new ActivityEntry(ActivityKinds.TeamChanged, "Sales", null), Assert.Single(toWorkspace.Changed!.Entries).Activity);
        Assert.Null((await StoredAsync(store, conversation)).TeamId);
    }

    [SkippableFact]
    public async Task A_reassignment_decided_on_an_old_assignee_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0);
        await AssignAsync(store, conversation, Ann, T0.AddMinutes(1));

        var fromQueue = await AssignAsync(store, conversation, Bob, T0.AddMinutes(2));
        var fromBob = await Assignments(store).ReassignAsync(new Reassignment(conversation.Id, Bob, null, null, T0.AddMinutes(2)));

        Assert.Equal((ReassignmentOutcome.Moved, ReassignmentOutcome.Moved), (fromQueue.Outcome, fromBob.Outcome));
        Assert.Null(fromQueue.Changed);
        var stored = await StoredAsync(store, conversation);
        Assert.Equal((Ann, T0.AddMinutes(1)), (stored.AssigneeId!.Value, stored.AssignedAt!.Value));
        Assert.Single(await store.ListMessagesAsync(conversation.Id, null, 10), m => m.Activity is not null);
        Assert.DoesNotContain(Bob, (await Presence(store).ListPresenceAsync(Workspace)).Select(p => p.AgentId));
    }

    [SkippableFact]
    public async Task Only_if_open_leaves_a_conversation_that_is_no_longer_open_alone()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0);
        await store.ChangeConversationAsync(conversation.Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(1));

        var engine = await Assignments(store).ReassignAsync(new Reassignment(conversation.Id, null, Ann, null, T0.AddMinutes(2)) { OnlyIfOpen = true });
        Assert.Equal(ReassignmentOutcome.Moved, engine.Outcome);
        Assert.Null((await StoredAsync(store, conversation)).AssigneeId);

        // An agent may still take a resolved one by hand; it stays out of the queue.
        var byHand = await AssignAsync(store, conversation, Ann, T0.AddMinutes(3));
        Assert.Equal(ReassignmentOutcome.Done, byHand.Outcome);
        var stored = await StoredAsync(store, conversation);
        Assert.Equal((Ann, (DateTimeOffset?)null), (stored.AssigneeId!.Value, stored.QueuedAt));
    }

    [SkippableFact]
    public async Task Returning_an_offline_agents_conversations_spares_one_given_to_them_since()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0);
        await AssignAsync(store, conversation, Ann, T0.AddMinutes(5));

        var tooEarly = await Assignments(store).ReassignAsync(new Reassignment(conversation.Id, Ann, null, null, T0.AddMinutes(6))
        {
            AssignedNoLaterThan = T0.AddMinutes(5).AddTicks(-1), Reason = AssignmentReasons.AgentOffline,
        });
        Assert.Equal(ReassignmentOutcome.Moved, tooEarly.Outcome);
        Assert.Equal(Ann, (await StoredAsync(store, conversation)).AssigneeId);

        var atTheTime = await Assignments(store).ReassignAsync(new Reassignment(conversation.Id, Ann, null, null, T0.AddMinutes(6))
        {
            AssignedNoLaterThan = T0.AddMinutes(5), Reason = AssignmentReasons.AgentOffline,
        });
        Assert.Equal(ReassignmentOutcome.Done, atTheTime.Outcome);
        Assert.Null((await StoredAsync(store, conversation)).AssigneeId);
    }

    [SkippableFact]
    public async Task An_agent_at_capacity_gets_no_more_and_resolved_conversations_do_not_count()
    {
        var store = await CreateStoreAsync();
        var c = await ConversationsAsync(store, ("+14155550101", T0, null), ("+14155550102", T0, null), ("+14155550103", T0, null),
            ("+14155550104", T0, null));
        foreach (var conversation in c.Take(3)) await AssignAsync(store, conversation, Ann, T0.AddMinutes(1));
        await store.ChangeConversationAsync(c[2].Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(2));

        var full = await Assignments(store).ReassignAsync(new Reassignment(c[3].Id, null, Ann, null, T0.AddMinutes(3)) { Capacity = 2 });
        Assert.Equal(ReassignmentOutcome.Full, full.Outcome);
        Assert.Null(full.Changed);
        var untouched = await StoredAsync(store, c[3]);
        Assert.Equal(((Guid?)null, (DateTimeOffset?)T0), (untouched.AssigneeId, untouched.QueuedAt));
        Assert.DoesNotContain(await store.ListMessagesAsync(c[3].Id, null, 10), m => m.Activity is not null);
        Assert.Equal(T0.AddMinutes(1), Assert.Single(await Presence(store).ListPresenceAsync(Workspace)).LastAssignedAt);

        var within = await Assignments(store).ReassignAsync(new Reassignment(c[3].Id, null, Ann, null, T0.AddMinutes(3)) { Capacity = 3 });
        Assert.Equal(ReassignmentOutcome.Done, within.Outcome);
        Assert.Equal(3, (await Assignments(store).CountOpenByAssigneeAsync(Workspace))[Ann]);
    }

    [SkippableFact]
    public async Task The_conversation_being_moved_does_not_count_against_its_own_agents_capacity()
    {
        var store = await CreateStoreAsync();
        var c = await ConversationsAsync(store, ("+14155550101", T0, Support), ("+14155550102", T0, Support));
        foreach (var conversation in c) await AssignAsync(store, conversation, Ann, T0.AddMinutes(1));

        // Ann keeps it while it moves to another team: she has two, and the limit is two.
        var kept = await Assignments(store).ReassignAsync(new Reassignment(c[0].Id, Ann, Ann, "ann", T0.AddMinutes(2))
        {
            Capacity = 2, ChangesTeam = true, TeamId = Sales,
        });

        Assert.Equal(ReassignmentOutcome.Done, kept.Outcome);
        Assert.Equal((Ann, (Guid?)Sales), ((await StoredAsync(store, c[0])).AssigneeId!.Value, (await StoredAsync(store, c[0])).TeamId));
    }

    [SkippableFact]
    public async Task Without_a_capacity_an_admin_can_give_an_agent_any_number_of_conversations()
    {
        var store = await CreateStoreAsync();
        var c = await ConversationsAsync(store, ("+14155550101", T0, null), ("+14155550102", T0, null), ("+14155550103", T0, null));

        var results = new List<ReassignmentResult>();
        foreach (var conversation in c) results.Add(await AssignAsync(store, conversation, Ann, T0.AddMinutes(1)));

        Assert.All(results, r => Assert.Equal(ReassignmentOutcome.Done, r.Outcome));
        Assert.Equal(3, (await Assignments(store).CountOpenByAssigneeAsync(Workspace))[Ann]);
    }

    [SkippableFact]
    public async Task A_reassignment_of_a_conversation_that_does_not_exist_is_not_found()
    {
        var store = await CreateStoreAsync();

        var result = await Assignments(store).ReassignAsync(new Reassignment(Guid.NewGuid(), null, Ann, null, T0));

        Assert.Equal(ReassignmentOutcome.NotFound, result.Outcome);
        Assert.Empty(await Presence(store).ListPresenceAsync(Workspace));
    }

    [SkippableFact]
    public async Task Racing_reassignments_of_one_conversation_from_two_processes_have_exactly_one_winner()
    {
        var store = await CreateStoreAsync();
        var other = await OpenAgainAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0);
        var agents = Enumerable.Range(0, 12).Select(i => Guid.Parse($"a9a00000-0000-4000-8000-0000000000{i:00}")).ToList();

        var results = await Task.WhenAll(agents.Select((agent, i) => Task.Run(() =>
            Assignments(i % 2 == 0 ? store : other).ReassignAsync(new Reassignment(conversation.Id, null, agent, null, T0.AddMinutes(1)) { OnlyIfOpen = true }))));

        var winner = Assert.Single(results, r => r.Outcome == ReassignmentOutcome.Done);
        Assert.All(results.Where(r => r != winner), r => Assert.Equal(ReassignmentOutcome.Moved, r.Outcome));
        Assert.Equal(winner.Changed!.Conversation.AssigneeId, (await StoredAsync(store, conversation)).AssigneeId);
        Assert.Single(await store.ListMessagesAsync(conversation.Id, null, 50), m => m.Activity is not null);
    }

    [SkippableFact]
    public async Task Racing_assignments_to_one_agent_from_two_processes_never_pass_the_capacity()
    {
        const int capacity = 3;
        var store = await CreateStoreAsync();
        var other = await OpenAgainAsync();
        var queue = await ConversationsAsync(store, Enumerable.Range(0, 10).Select(i => ($"+141555502{i:00}", T0, (Guid?)null)).ToArray());

        var results = await Task.WhenAll(queue.Select((conversation, i) => Task.Run(() =>
            Assignments(i % 2 == 0 ? store : other).ReassignAsync(new Reassignment(conversation.Id, null, Ann, null, T0.AddMinutes(1))
            {
                Capacity = capacity, OnlyIfOpen = true,
            }))));

        Assert.Equal(capacity, results.Count(r => r.Outcome == ReassignmentOutcome.Done));
        Assert.All(results.Where(r => r.Outcome != ReassignmentOutcome.Done), r => Assert.Equal(ReassignmentOutcome.Full, r.Outcome));
        Assert.Equal(capacity, (await Assignments(store).CountOpenByAssigneeAsync(Workspace))[Ann]);
        Assert.Equal(queue.Count - capacity, (await Assignments(store).MeasureQueuesAsync(Workspace)).Single().Waiting);
    }

    [SkippableFact]
    public async Task Open_conversations_are_counted_per_agent_in_the_workspace_only()
    {
        var store = await CreateStoreAsync();
        var c = await ConversationsAsync(store, ("+14155550101", T0, null), ("+14155550102", T0, null), ("+14155550103", T0, null),
            ("+14155550104", T0, null), ("+14155550105", T0, null));
        var elsewhere = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMelsewhere", T0) with { WorkspaceId = OtherWorkspace }])).Conversation;
        foreach (var conversation in c.Take(4)) await AssignAsync(store, conversation, Ann, T0.AddMinutes(1));
        await AssignAsync(store, c[4], Bob, T0.AddMinutes(1));
        await AssignAsync(store, elsewhere, Bob, T0.AddMinutes(1));
        await store.ChangeConversationAsync(c[2].Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(2));
        await store.ChangeConversationAsync(c[3].Id, ConversationStatuses.Pending, null, null, "ann", T0.AddMinutes(2));

        var counts = await Assignments(store).CountOpenByAssigneeAsync(Workspace);

        Assert.Equal(new Dictionary<Guid, int> { [Ann] = 2, [Bob] = 1 }, counts);
        Assert.Empty(await Assignments(store).CountOpenByAssigneeAsync(Guid.NewGuid()));
    }

    [SkippableFact]
    public async Task Queues_are_measured_per_team_with_their_oldest_conversation()
    {
        var store = await CreateStoreAsync();
        var c = await ConversationsAsync(store,
            ("+14155550101", T0.AddMinutes(2), Support), ("+14155550102", T0.AddMinutes(1), Support), ("+14155550103", T0.AddMinutes(3), null),
            ("+14155550104", T0, Support), ("+14155550105", T0, Sales));
        await store.AppendInboundBatchAsync([Arrival("SMelsewhere", T0) with { WorkspaceId = OtherWorkspace }]);
        await AssignAsync(store, c[3], Ann, T0.AddMinutes(4));
        await store.ChangeConversationAsync(c[4].Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(4));

        var queues = await Assignments(store).MeasureQueuesAsync(Workspace);

        Assert.Equal([new QueueLength(null, 1, T0.AddMinutes(3)), new QueueLength(Support, 2, T0.AddMinutes(1))],
            queues.OrderBy(q => q.TeamId is not null));
        Assert.Empty(await Assignments(store).MeasureQueuesAsync(Guid.NewGuid()));
    }

    [SkippableFact]
    public async Task An_agents_open_conversations_are_listed_up_to_the_limit()
    {
        var store = await CreateStoreAsync();
        var c = await ConversationsAsync(store, ("+14155550101", T0, null), ("+14155550102", T0, null), ("+14155550103", T0, null),
            ("+14155550104", T0, null), ("+14155550105", T0, null));
        foreach (var conversation in c.Take(4)) await AssignAsync(store, conversation, Ann, T0.AddMinutes(1));
        await AssignAsync(store, c[4], Bob, T0.AddMinutes(1));
        await store.ChangeConversationAsync(c[3].Id, ConversationStatuses.Snoozed, T0.AddHours(1), null, "ann", T0.AddMinutes(2));

        var open = await Assignments(store).ListOpenAssignedToAsync(Workspace, Ann, 10);
        var limited = await Assignments(store).ListOpenAssignedToAsync(Workspace, Ann, 2);

        Assert.Equal(c.Take(3).Select(x => x.Id).Order(), open.Select(x => x.Id).Order());
        Assert.All(open, x => Assert.Equal((Ann, ConversationStatuses.Open), (x.AssigneeId!.Value, x.Status)));
        Assert.Equal(2, limited.Count);
        Assert.Empty(await Assignments(store).ListOpenAssignedToAsync(OtherWorkspace, Ann, 10));
    }

    [SkippableFact]
    public async Task Unanswered_conversations_are_the_teams_open_assigned_ones_waiting_and_held_since_the_cutoff_or_earlier()
    {
        var store = await CreateStoreAsync();
        var cutoff = T0.AddMinutes(10);
        var c = await ConversationsAsync(store,
            ("+14155550101", T0.AddMinutes(1), Support),    // 0: waiting since before the cutoff, assigned before: due
            ("+14155550102", cutoff, Support),              // 1: waiting since the cutoff, assigned at it: due
            ("+14155550103", cutoff.AddTicks(1), Support),  // 2: waiting since after the cutoff
            ("+14155550104", T0, Support),                  // 3: assigned after the cutoff
            ("+14155550105", T0, Sales),                    // 4: another team
            ("+14155550106", T0, Support),                  // 5: snoozed (still waiting, but not open)
            ("+14155550107", T0, Support));                 // 6: in the queue
        await AssignAsync(store, c[0], Ann, T0.AddMinutes(2));
        await AssignAsync(store, c[1], Ann, cutoff);
        await AssignAsync(store, c[2], Ann, T0.AddMinutes(2));
        await AssignAsync(store, c[3], Ann, cutoff.AddTicks(1));
        await AssignAsync(store, c[4], Ann, T0.AddMinutes(2));
        await AssignAsync(store, c[5], Ann, T0.AddMinutes(2));
        await store.ChangeConversationAsync(c[5].Id, ConversationStatuses.Snoozed, T0.AddHours(1), null, "ann", T0.AddMinutes(3));

        var unanswered = await Assignments(store).ListUnansweredAsync(Workspace, Support, cutoff, 10);

        Assert.Equal([c[0].Id, c[1].Id], unanswered.Select(x => x.Id));
        Assert.Equal([c[0].Id], (await Assignments(store).ListUnansweredAsync(Workspace, Support, cutoff, 1)).Select(x => x.Id));
        Assert.Empty(await Assignments(store).ListUnansweredAsync(OtherWorkspace, Support, cutoff, 10));
    }

    [SkippableFact]
    public async Task Resolving_takes_a_conversation_out_of_the_queue_and_the_customers_next_message_puts_it_back()
    {
        var store = await CreateStoreAsync();
        var conversation = await ConversationAsync(store, "+14155550101", T0);

        await store.ChangeConversationAsync(conversation.Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(1));
        var resolved = await StoredAsync(store, conversation);
        var queuesWhileResolved = await Assignments(store).MeasureQueuesAsync(Workspace);
        var reopened = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMagain", T0.AddMinutes(5), from: "+14155550101")]),
            s => s.Message.Direction == Directions.Inbound).Conversation;

        Assert.Null(resolved.QueuedAt);
        Assert.Empty(queuesWhileResolved);
        Assert.Equal((ConversationStatuses.Open, (DateTimeOffset?)T0.AddMinutes(5).AddTicks(-1)), (reopened.Status, reopened.QueuedAt));
        Assert.Equal(reopened.QueuedAt, (await StoredAsync(store, conversation)).QueuedAt);
        Assert.Equal(1, Assert.Single(await Assignments(store).MeasureQueuesAsync(Workspace)).Waiting);
    }

    [SkippableFact]
    public async Task Beats_create_an_agents_presence_and_never_move_its_times_backwards()
    {
        var store = await CreateStoreAsync();

        await Presence(store).RecordBeatsAsync([new PresenceBeat(Ann, Workspace, T0.AddMinutes(5), T0.AddMinutes(4)), new PresenceBeat(Bob, Workspace, T0, null)]);
        // A late beat from another process, and one with no activity.
        await Presence(store).RecordBeatsAsync([new PresenceBeat(Ann, Workspace, T0.AddMinutes(3), T0.AddMinutes(2))]);
        await Presence(store).RecordBeatsAsync([new PresenceBeat(Bob, Workspace, T0.AddMinutes(1), null)]);
        await Presence(store).RecordBeatsAsync([]);

        var presence = (await Presence(store).ListPresenceAsync(Workspace)).ToDictionary(p => p.AgentId);
        // Online by default, chosen never (as an unknown agent is).
        Assert.Equal(new AgentPresence(Ann, Workspace, Availabilities.Online, DateTimeOffset.MinValue, T0.AddMinutes(5), T0.AddMinutes(4), null), presence[Ann]);
        Assert.Equal(new AgentPresence(Bob, Workspace, Availabilities.Online, DateTimeOffset.MinValue, T0.AddMinutes(1), null, null), presence[Bob]);

        await Presence(store).RecordBeatsAsync([new PresenceBeat(Ann, Workspace, T0.AddMinutes(6), T0.AddMinutes(6))]);
        var later = (await Presence(store).ListPresenceAsync(Workspace)).Single(p => p.AgentId == Ann);
        Assert.Equal((T0.AddMinutes(6), T0.AddMinutes(6)), (later.LastSeenAt!.Value, later.LastActiveAt!.Value));
    }

    [SkippableFact]
    public async Task An_agents_chosen_availability_is_kept_with_their_presence()
    {
        var store = await CreateStoreAsync();
        await Presence(store).RecordBeatsAsync([new PresenceBeat(Ann, Workspace, T0.AddMinutes(5), T0.AddMinutes(5))]);

        var away = await Presence(store).SetAvailabilityAsync(Ann, Workspace, Availabilities.Away, T0.AddMinutes(1));
        var newcomer = await Presence(store).SetAvailabilityAsync(Bob, Workspace, Availabilities.Offline, T0.AddMinutes(2));

        // Choosing is activity, but an earlier choice does not move the last activity back.
        Assert.Equal(new AgentPresence(Ann, Workspace, Availabilities.Away, T0.AddMinutes(1), T0.AddMinutes(5), T0.AddMinutes(5), null), away);
        Assert.Equal(new AgentPresence(Bob, Workspace, Availabilities.Offline, T0.AddMinutes(2), null, T0.AddMinutes(2), null), newcomer);
        Assert.Equal([away, newcomer], (await Presence(store).ListPresenceAsync(Workspace)).OrderBy(p => p.AgentId == Bob));

        var online = await Presence(store).SetAvailabilityAsync(Ann, Workspace, Availabilities.Online, T0.AddMinutes(7));
        Assert.Equal((Availabilities.Online, T0.AddMinutes(7), T0.AddMinutes(7)), (online.Chosen, online.ChosenAt, online.LastActiveAt!.Value));
    }

    [SkippableFact]
    public async Task Presence_is_listed_per_workspace_and_only_workspaces_with_presence_are_named()
    {
        var store = await CreateStoreAsync();
        Assert.Empty(await Presence(store).ListPresenceWorkspacesAsync());

        await Presence(store).RecordBeatsAsync([new PresenceBeat(Ann, Workspace, T0, T0), new PresenceBeat(Bob, OtherWorkspace, T0, T0)]);
        await Presence(store).SetAvailabilityAsync(Guid.NewGuid(), Workspace, Availabilities.Away, T0);

        Assert.Equal(2, (await Presence(store).ListPresenceAsync(Workspace)).Count);
        Assert.Equal([Bob], (await Presence(store).ListPresenceAsync(OtherWorkspace)).Select(p => p.AgentId));
        Assert.Equal([Workspace, OtherWorkspace], (await Presence(store).ListPresenceWorkspacesAsync()).OrderBy(w => w == OtherWorkspace));
    }

    [SkippableFact]
    public async Task The_list_filters_by_assignee_by_nobody_and_by_team_within_the_workspace()
    {
        var store = await CreateStoreAsync();
        var c = await ConversationsAsync(store, ("+14155550101", T0, Support), ("+14155550102", T0.AddMinutes(1), Support),
            ("+14155550103", T0.AddMinutes(2), Sales), ("+14155550104", T0.AddMinutes(3), null));
        var elsewhere = Assert.Single(await store.AppendInboundBatchAsync([Arrival("SMelsewhere", T0) with { WorkspaceId = OtherWorkspace, RoutingTeamId = Support }]))
            .Conversation;
        await AssignAsync(store, c[0], Ann, T0.AddMinutes(5));
        await AssignAsync(store, c[2], Ann, T0.AddMinutes(5));
        await AssignAsync(store, elsewhere, Ann, T0.AddMinutes(5));
        await store.ChangeConversationAsync(c[3].Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(6));

        async Task<IEnumerable<Guid>> ListAsync(ConversationListFilter filter) => (await store.ListConversationsAsync(Workspace, null, 10, filter)).Select(x => x.Id);

        Assert.Equal([c[2].Id, c[0].Id], await ListAsync(new ConversationListFilter { AssigneeId = Ann }));
        // Nobody's, whatever the status.
        Assert.Equal([c[3].Id, c[1].Id], await ListAsync(new ConversationListFilter { Unassigned = true }));
        Assert.Equal([c[1].Id, c[0].Id], await ListAsync(new ConversationListFilter { TeamId = Support }));
        Assert.Equal([c[1].Id], await ListAsync(new ConversationListFilter { TeamId = Support, Unassigned = true }));
        Assert.Equal([c[0].Id], await ListAsync(new ConversationListFilter { TeamId = Support, AssigneeId = Ann }));
        Assert.Empty(await ListAsync(new ConversationListFilter { AssigneeId = Bob }));
        Assert.Equal([elsewhere.Id], (await store.ListConversationsAsync(OtherWorkspace, null, 10, new ConversationListFilter { AssigneeId = Ann })).Select(x => x.Id));
    }

    [SkippableFact]
    public async Task The_queue_lists_open_conversations_nobody_has_longest_queued_first_and_pages_by_cursor_through_ties()
    {
        var store = await CreateStoreAsync();
        // Nine waiting customers, most sharing their tick with others, plus one assigned, one resolved and another workspace's.
        var queued = await ConversationsAsync(store, Enumerable.Range(0, 9)
            .Select(i => ($"+141555503{i:00}", T0.AddSeconds(i / 3), (Guid?)(i % 2 == 0 ? Support : null)))
            .OrderBy(_ => Guid.NewGuid())
            .ToArray());
        var taken = await ConversationAsync(store, "+14155550401", T0.AddSeconds(-2));
        var resolved = await ConversationAsync(store, "+14155550402", T0.AddSeconds(-1));
        await AssignAsync(store, taken, Ann, T0.AddMinutes(1));
        await store.ChangeConversationAsync(resolved.Id, ConversationStatuses.Resolved, null, null, "ann", T0.AddMinutes(1));
        await store.AppendInboundBatchAsync([Arrival("SMelsewhere", T0.AddSeconds(-3)) with { WorkspaceId = OtherWorkspace }]);
        var queue = new ConversationListFilter(Sort: ConversationSorts.Queue);

        var seen = new List<Conversation>();
        PageCursor? cursor = null;
        // Bounded, so a cursor that repeats its page fails the test instead of hanging it.
        for (var pages = 0; pages <= queued.Count; pages++)
        {
            var page = await store.ListConversationsAsync(Workspace, cursor, 2, queue);
            if (page.Count == 0) break;
            Assert.True(page.Count <= 2);
            seen.AddRange(page);
            cursor = new PageCursor(page[^1].QueuedAt!.Value, page[^1].Id);
        }

        Assert.Equal(queued.Select(x => x.Id).Order(), seen.Select(x => x.Id).Order());
        Assert.Equal(queued.Count, seen.Select(x => x.Id).Distinct().Count());
        Assert.Equal(seen.OrderBy(x => x.QueuedAt).ThenBy(x => x.Id.ToString(), StringComparer.Ordinal).Select(x => x.Id), seen.Select(x => x.Id));
        Assert.Equal(queued.Where(x => x.TeamId == Support).Select(x => x.Id).Order(),
            (await store.ListConversationsAsync(Workspace, null, 20, queue with { TeamId = Support })).Select(x => x.Id).Order());
    }
}

public sealed class SqliteAssignmentStoreTests : AssignmentStoreContract, IDisposable
{
    private readonly SqliteTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    // Another store on the same file has its own writer connection: two processes.
    protected override Task<IInboxStore> OpenAgainAsync() => stores.CreateAsync();

    public void Dispose() => stores.Dispose();
}

/// <summary>The same contract against a real MongoDB when CRM_TEST_MONGO is set (a replica set: reassignment uses transactions); skipped otherwise.</summary>
public sealed class MongoAssignmentStoreTests : AssignmentStoreContract, IDisposable
{
    private readonly MongoTestStores stores = new();

    protected override Task<IInboxStore> CreateStoreAsync() => stores.CreateAsync();

    protected override Task<IInboxStore> OpenAgainAsync() => stores.OpenLastAgainAsync();

    public void Dispose() => stores.Dispose();
}
