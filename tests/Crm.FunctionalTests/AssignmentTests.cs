using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Apis;
using Crm.Inbox.Assignment;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// Fair workload sharing through the real pipeline: new conversations go to online agents with room, the rest wait in a
/// visible queue that drains the moment room appears, and conversations come back from agents who left or did not answer.
/// </summary>
public sealed class AssignmentTests : IAsyncLifetime
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly AdjustableClock clock = new();
    /// <summary>The live connections of agents made online with <see cref="OnlineAsync"/>, by agent.</summary>
    private readonly Dictionary<Guid, AgentFeed> feeds = [];
    private CrmApplication app = null!;
    private HttpClient admin = null!;

    /// <summary>Workspace capacity 2, and a fast engine: heartbeats and sweeps every 100 ms.</summary>
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Crm:Assignment:WorkspaceMaxOpenPerAgent"] = "2",
        ["Crm:Assignment:SweepInterval"] = "00:00:00.100",
        ["Crm:Assignment:HeartbeatInterval"] = "00:00:00.100",
    };

    public async Task InitializeAsync()
    {
        app = new CrmApplication(twilio, Fast, testServices: services => services.AddSingleton<TimeProvider>(clock));
        // The owner sets things up but never connects to the hub, so is never online to be given conversations.
        admin = await app.SignInAsync("owner");
    }

    [Fact]
    public async Task New_conversations_go_round_robin_to_the_online_agents_and_each_assignment_is_on_the_timeline()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var (bob, _) = await OnlineAsync("bob");

        var conversations = new List<Guid>();
        for (var i = 0; i < 4; i++) conversations.Add(await CustomerWritesAsync(annFeed, $"SMrr{i}", $"+1415555010{i}"));
        await Eventually.TrueAsync(async () => (await ListAsync(admin, "assignee=unassigned&status=open")).Count == 0);

        var annHas = await ListAsync(ann, "assignee=me");
        var bobHas = await ListAsync(bob, "assignee=me");
        Assert.Equal(2, annHas.Count);
        Assert.Equal(2, bobHas.Count);
        Assert.Equal(conversations.Order(), annHas.Concat(bobHas).Select(c => c.Id).Order());
        var entry = Assert.Single(await ActivityAsync(conversations[0]));
        Assert.Equal((ActivityKinds.Assigned, null, null), (entry.Activity!.Kind, entry.Activity.From, entry.Agent));
        Assert.Contains(entry.Activity.To, new[] { "ann", "bob" });
        // Pushed live, with the conversation as it now stands.
        await annFeed.ConversationUpdatedAsync(c => c.Id == conversations[0] && c.AssigneeId is not null);
    }

    [Fact]
    public async Task When_everyone_is_full_conversations_wait_in_a_visible_queue_that_drains_as_soon_as_an_agent_resolves_one()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var first = await CustomerWritesAsync(annFeed, "SMq1", "+14155550111");
        var second = await CustomerWritesAsync(annFeed, "SMq2", "+14155550112");
        var third = await CustomerWritesAsync(annFeed, "SMq3", "+14155550113");
        var fourth = await CustomerWritesAsync(annFeed, "SMq4", "+14155550114");
        await Eventually.TrueAsync(async () => (await ListAsync(ann, "assignee=me")).Count == 2);

        var queue = await ListAsync(admin, "sort=queue");
        var queues = (await admin.GetFromJsonAsync<List<AssignmentApi.QueueView>>("/api/queues"))!;

        // Capacity 2: the two who wrote first have Ann; the others wait, longest first.
        Assert.Equal(new[] { first, second }.Order(), (await ListAsync(ann, "assignee=me")).Select(c => c.Id).Order());
        Assert.Equal([third, fourth], queue.Select(c => c.Id));
        var workspaceQueue = Assert.Single(queues, q => q.TeamId is null);
        Assert.Equal((2, 1, 0), (workspaceQueue.Waiting, workspaceQueue.AgentsOnline, workspaceQueue.FreeSlots));
        Assert.Equal(queue[0].QueuedAt, workspaceQueue.OldestQueuedAt);

        Assert.Equal(HttpStatusCode.OK, (await ann.PostAsJsonAsync($"/api/conversations/{first}/status", new { status = "resolved" })).StatusCode);

        // At once, not at a later sweep: the push comes while the queue still holds the fourth.
        await annFeed.ConversationUpdatedAsync(c => c.Id == third && c.AssigneeId is not null);
        Assert.Equal([fourth], (await ListAsync(admin, "sort=queue")).Select(c => c.Id));
    }

    [Fact]
    public async Task The_queue_drains_when_an_agent_comes_online_and_when_their_team_gets_more_capacity()
    {
        var bobId = (await app.EnsureAgentAsync("bob", "bob@test.crm", CrmApplication.TestWorkspace, AgentRoles.Agent)).Id;
        var team = await CreateTeamAsync("Support", AssignmentPolicies.RoundRobin, capacity: 1, reassignAfterMinutes: null, bobId);
        await RouteConnectionToAsync(team.Id);
        await using var watcher = await WatchAsync();
        var one = await CustomerWritesAsync(watcher, "SMteam1", "+14155550121");
        var two = await CustomerWritesAsync(watcher, "SMteam2", "+14155550122");
        var waiting = (await admin.GetFromJsonAsync<List<AssignmentApi.QueueView>>("/api/queues"))!.Single(q => q.TeamId == team.Id);
        Assert.Equal((2, 0), (waiting.Waiting, waiting.AgentsOnline));

        var (bob, _) = await OnlineAsync("bob");
        await Eventually.TrueAsync(async () => (await ListAsync(bob, "assignee=me")).Count == 1);
        Assert.Equal([one], (await ListAsync(bob, "assignee=me")).Select(c => c.Id));
        Assert.Equal([two], (await ListAsync(admin, $"sort=queue&team={team.Id}")).Select(c => c.Id));

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/teams/{team.Id}",
            new { name = "Support", policy = AssignmentPolicies.RoundRobin, maxOpenPerAgent = 2, members = new[] { bobId } })).StatusCode);

        await watcher.ConversationUpdatedAsync(c => c.Id == two && c.AssigneeId == bobId);
        Assert.Equal(team.Id, (await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{two}"))!.TeamId);
    }

    [Fact]
    public async Task A_least_loaded_team_gives_the_next_conversation_to_whoever_has_fewest_where_round_robin_would_not()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var (bob, _) = await OnlineAsync("bob");
        var team = await CreateTeamAsync("Sales", AssignmentPolicies.LeastLoaded, capacity: 5, reassignAfterMinutes: null, await IdOfAsync(ann), await IdOfAsync(bob));
        await RouteConnectionToAsync(team.Id);
        // One agent's turn was first and they still have theirs; the other's was later, but they resolved theirs.
        var earlier = await AssignedAsync(annFeed, await CustomerWritesAsync(annFeed, "SMll1", "+14155550131"));
        var later = await AssignedAsync(annFeed, await CustomerWritesAsync(annFeed, "SMll2", "+14155550132"));
        Assert.NotEqual(earlier.AssigneeId, later.AssigneeId);
        await admin.PostAsJsonAsync($"/api/conversations/{later.Id}/status", new { status = "resolved" });

        var next = await CustomerWritesAsync(annFeed, "SMll3", "+14155550133");

        // Round robin would give it to the first agent, whose turn was longer ago.
        Assert.Equal(later.AssigneeId, (await AssignedAsync(annFeed, next)).AssigneeId);
    }

    [Fact]
    public async Task An_agent_who_goes_offline_has_their_open_conversations_handed_to_someone_online_after_the_grace_period()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var annId = await IdOfAsync(ann);
        var conversation = await CustomerWritesAsync(annFeed, "SMoff", "+14155550141");
        await annFeed.ConversationUpdatedAsync(c => c.Id == conversation && c.AssigneeId == annId);
        var (bob, bobFeed) = await OnlineAsync("bob");
        var bobId = await IdOfAsync(bob);

        await annFeed.DisposeAsync();
        feeds.Remove(annId);
        // Within the grace period (a dropped Wi-Fi, a reload) Ann keeps it.
        await PassAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(annId, (await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!.AssigneeId);
        await PassAsync(TimeSpan.FromMinutes(2));

        await bobFeed.ConversationUpdatedAsync(c => c.Id == conversation && c.AssigneeId == bobId);
        var activity = await ActivityAsync(conversation);
        Assert.Equal([(ActivityKinds.Assigned, null, "ann"), (ActivityKinds.Unassigned, AssignmentReasons.AgentOffline, null), (ActivityKinds.Assigned, null, "bob")],
            activity.Select(m => (m.Activity!.Kind, m.Activity.Reason, m.Activity.To)));
        await bobFeed.AvailabilityChangedAsync(a => a.AgentId == annId && a.Availability == Availabilities.Offline);
    }

    [Fact]
    public async Task A_customer_left_unanswered_past_the_teams_limit_goes_to_another_agent_and_one_answered_in_time_stays()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var (bob, _) = await OnlineAsync("bob");
        var agents = new Dictionary<Guid, HttpClient> { [await IdOfAsync(ann)] = ann, [await IdOfAsync(bob)] = bob };
        var team = await CreateTeamAsync("Care", AssignmentPolicies.RoundRobin, capacity: 5, reassignAfterMinutes: 10, agents.Keys.ToArray());
        await RouteConnectionToAsync(team.Id);
        twilio.AcceptsMessages();
        var ignored = await AssignedAsync(annFeed, await CustomerWritesAsync(annFeed, "SMnr1", "+14155550151"));
        var answered = await AssignedAsync(annFeed, await CustomerWritesAsync(annFeed, "SMnr2", "+14155550152"));
        var reply = await agents[answered.AssigneeId!.Value].PostAsJsonAsync($"/api/conversations/{answered.Id}/messages", new { text = "On it!" });
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);

        await PassAsync(TimeSpan.FromMinutes(11));

        var other = agents.Keys.Single(id => id != ignored.AssigneeId);
        await annFeed.ConversationUpdatedAsync(c => c.Id == ignored.Id && c.AssigneeId == other);
        var returned = (await ActivityAsync(ignored.Id)).Single(m => m.Activity!.Kind == ActivityKinds.Unassigned);
        Assert.Equal(AssignmentReasons.NoReply, returned.Activity!.Reason);
        Assert.Equal(answered.AssigneeId, (await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{answered.Id}"))!.AssigneeId);
        Assert.DoesNotContain(await ActivityAsync(answered.Id), m => m.Activity!.Kind == ActivityKinds.Unassigned);
    }

    [Fact]
    public async Task Agents_assign_transfer_take_and_unassign_by_hand_and_only_admins_go_past_capacity()
    {
        await using var watcher = await WatchAsync();
        var cy = await app.SignInAsync("cy", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var dee = await app.SignInAsync("dee", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var cyId = await IdOfAsync(cy);
        var deeId = await IdOfAsync(dee);
        var outsider = await app.EnsureAgentAsync("eve", "eve@test.crm", Guid.NewGuid(), AgentRoles.Agent);
        var conversations = new List<Guid>();
        for (var i = 0; i < 4; i++) conversations.Add(await CustomerWritesAsync(watcher, $"SMhand{i}", $"+1415555016{i}"));

        var taken = await cy.PostAsync($"/api/conversations/{conversations[0]}/take", null);
        var takenAgain = await dee.PostAsync($"/api/conversations/{conversations[0]}/take", null);
        var transferred = await cy.PostAsJsonAsync($"/api/conversations/{conversations[0]}/assignee", new { agentId = deeId });
        var unassigned = await dee.PostAsJsonAsync($"/api/conversations/{conversations[0]}/assignee", new { agentId = (Guid?)null });
        var toOutsider = await cy.PostAsJsonAsync($"/api/conversations/{conversations[1]}/assignee", new { agentId = outsider.Id });
        // Capacity 2: Cy takes two; Dee cannot hand her a third, an admin can.
        await cy.PostAsync($"/api/conversations/{conversations[1]}/take", null);
        await cy.PostAsync($"/api/conversations/{conversations[2]}/take", null);
        var pastCapacity = await dee.PostAsJsonAsync($"/api/conversations/{conversations[3]}/assignee", new { agentId = cyId });
        var byAdmin = await admin.PostAsJsonAsync($"/api/conversations/{conversations[3]}/assignee", new { agentId = cyId });

        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, takenAgain.StatusCode);
        Assert.Contains("cy has it", (await takenAgain.Content.ReadAsStringAsync()));
        Assert.Equal(deeId, (await transferred.Content.ReadFromJsonAsync<Conversation>())!.AssigneeId);
        var back = (await unassigned.Content.ReadFromJsonAsync<Conversation>())!;
        Assert.Equal((null, true), (back.AssigneeId, back.QueuedAt is not null));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, toOutsider.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, pastCapacity.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
        Assert.Equal(3, (await ListAsync(cy, "assignee=me")).Count);
        Assert.Equal([(ActivityKinds.Assigned, null, "cy", "cy"), (ActivityKinds.Transferred, "cy", "dee", "cy"), (ActivityKinds.Unassigned, "dee", null, "dee")],
            (await ActivityAsync(conversations[0])).Select(m => (m.Activity!.Kind, m.Activity.From, m.Activity.To, m.Agent)));
    }

    [Fact]
    public async Task A_conversation_moved_to_a_team_waits_in_that_teams_queue_for_its_members()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var annId = await IdOfAsync(ann);
        var conversation = await CustomerWritesAsync(annFeed, "SMmove", "+14155550171");
        await annFeed.ConversationUpdatedAsync(c => c.Id == conversation && c.AssigneeId == annId);
        var bobId = (await app.EnsureAgentAsync("bob", "bob@test.crm", CrmApplication.TestWorkspace, AgentRoles.Agent)).Id;
        var billing = await CreateTeamAsync("Billing", AssignmentPolicies.RoundRobin, capacity: 5, reassignAfterMinutes: null, bobId);

        var moved = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/team", new { teamId = billing.Id });
        var nowhere = await ann.PostAsJsonAsync($"/api/conversations/{conversation}/team", new { teamId = Guid.NewGuid() });

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var after = (await moved.Content.ReadFromJsonAsync<Conversation>())!;
        Assert.Equal((billing.Id, null), (after.TeamId, after.AssigneeId));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, nowhere.StatusCode);
        // Ann is online with room but not in Billing: it waits for Bob.
        await Task.Delay(500);
        Assert.Equal([conversation], (await ListAsync(admin, $"sort=queue&team={billing.Id}")).Select(c => c.Id));
        await OnlineAsync("bob");
        await annFeed.ConversationUpdatedAsync(c => c.Id == conversation && c.AssigneeId == bobId);
        Assert.Contains(await ActivityAsync(conversation), m => m.Activity is { Kind: ActivityKinds.TeamChanged, From: null, To: "Billing" });
    }

    [Fact]
    public async Task An_agent_away_gets_no_new_conversations_and_gets_the_waiting_ones_when_back_online()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var annId = await IdOfAsync(ann);
        var away = await ann.PutAsJsonAsync("/api/agents/me/availability", new { availability = Availabilities.Away });
        var nonsense = await ann.PutAsJsonAsync("/api/agents/me/availability", new { availability = "busy" });

        var conversation = await CustomerWritesAsync(annFeed, "SMaway", "+14155550181");
        await Task.Delay(500);
        Assert.Null((await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!.AssigneeId);
        var seen = (await admin.GetFromJsonAsync<List<AssignmentApi.AvailabilityView>>("/api/agents/availability"))!.Single(a => a.AgentId == annId);
        await ann.PutAsJsonAsync("/api/agents/me/availability", new { availability = Availabilities.Online });

        Assert.Equal(Availabilities.Away, (await away.Content.ReadFromJsonAsync<AssignmentApi.AvailabilityView>())!.Availability);
        Assert.Equal(HttpStatusCode.BadRequest, nonsense.StatusCode);
        Assert.Equal((Availabilities.Away, Availabilities.Away), (seen.Chosen, seen.Availability));
        await annFeed.ConversationUpdatedAsync(c => c.Id == conversation && c.AssigneeId == annId);
        await annFeed.AvailabilityChangedAsync(a => a.AgentId == annId && a.Availability == Availabilities.Online);
    }

    [Fact]
    public async Task An_agent_idle_past_the_timeout_is_away_and_gets_nothing_new_while_one_who_keeps_working_stays_online()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var (bob, bobFeed) = await OnlineAsync("bob");
        var (annId, bobId) = (await IdOfAsync(ann), await IdOfAsync(bob));

        // Bob's web app says now and then that he is at work; Ann has left her tab open and gone.
        await PassAsync(TimeSpan.FromMinutes(16), () => bobFeed.SendAsync("Active"));
        var conversation = await CustomerWritesAsync(annFeed, "SMidle", "+14155550231");

        await bobFeed.AvailabilityChangedAsync(a => a.AgentId == annId && a.Availability == Availabilities.Away);
        var seen = (await admin.GetFromJsonAsync<List<AssignmentApi.AvailabilityView>>("/api/agents/availability"))!;
        Assert.Equal((Availabilities.Online, Availabilities.Away), (seen.Single(a => a.AgentId == annId).Chosen, seen.Single(a => a.AgentId == annId).Availability));
        Assert.Equal(Availabilities.Online, seen.Single(a => a.AgentId == bobId).Availability);
        await bobFeed.ConversationUpdatedAsync(c => c.Id == conversation && c.AssigneeId == bobId);
    }

    [Fact]
    public async Task A_deactivated_agents_conversations_go_back_to_the_queue_and_on_to_someone_online()
    {
        var (_, annFeed) = await OnlineAsync("ann");
        var cy = await app.SignInAsync("cy", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var cyId = await IdOfAsync(cy);
        var conversation = await CustomerWritesAsync(annFeed, "SMdeact", "+14155550191");
        var assigned = await AssignedAsync(annFeed, conversation);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/conversations/{conversation}/assignee", new { agentId = cyId })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/agents/{cyId}/deactivate", null)).StatusCode);

        await Eventually.TrueAsync(async () => (await ActivityAsync(conversation)).Count == 4);
        Assert.Equal([(ActivityKinds.Assigned, null, "ann"), (ActivityKinds.Transferred, null, "cy"), (ActivityKinds.Unassigned, AssignmentReasons.AgentDeactivated, null),
                (ActivityKinds.Assigned, null, "ann")],
            (await ActivityAsync(conversation)).Select(m => (m.Activity!.Kind, m.Activity.Reason, m.Activity.To)));
        Assert.Equal(assigned.AssigneeId, (await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!.AssigneeId);
    }

    [Fact]
    public async Task A_reopened_conversation_stays_with_its_agent_and_one_nobody_had_joins_the_queue_again()
    {
        var (ann, annFeed) = await OnlineAsync("ann");
        var annId = await IdOfAsync(ann);
        var conversation = await CustomerWritesAsync(annFeed, "SMreopen1", "+14155550201");
        await annFeed.ConversationUpdatedAsync(c => c.Id == conversation && c.AssigneeId == annId);
        await ann.PostAsJsonAsync($"/api/conversations/{conversation}/status", new { status = "resolved" });
        await ann.PutAsJsonAsync("/api/agents/me/availability", new { availability = Availabilities.Away });

        await CustomerWritesAsync(annFeed, "SMreopen2", "+14155550201");

        var reopened = (await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!;
        Assert.Equal((ConversationStatuses.Open, annId, null), (reopened.Status, reopened.AssigneeId, reopened.QueuedAt));
        Assert.Equal(HttpStatusCode.OK, (await ann.PostAsJsonAsync($"/api/conversations/{conversation}/assignee", new { agentId = (Guid?)null })).StatusCode);
        await ann.PostAsJsonAsync($"/api/conversations/{conversation}/status", new { status = "resolved" });
        Assert.Empty(await ListAsync(admin, "sort=queue"));
        await CustomerWritesAsync(annFeed, "SMreopen3", "+14155550201");
        Assert.Equal([conversation], (await ListAsync(admin, "sort=queue")).Select(c => c.Id));
    }

    [Fact]
    public async Task Bad_assignment_requests_get_a_4xx_and_change_nothing()
    {
        await using var watcher = await WatchAsync();
        var conversation = await CustomerWritesAsync(watcher, "SMbadassign", "+14155550211");

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/conversations/{Guid.NewGuid()}/take", null)).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await admin.PostAsJsonAsync($"/api/conversations/{conversation}/assignee", new { agentId = Guid.NewGuid() })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/conversations?assignee=someone")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/conversations?sort=random")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync($"/api/conversations/{conversation}/assignee",
            new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        var after = (await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!;
        Assert.Equal((null, true), (after.AssigneeId, after.QueuedAt is not null));
        Assert.Empty(await ActivityAsync(conversation));
    }

    [Fact]
    public async Task A_connection_routes_only_to_a_team_of_its_own_workspace_and_back_to_the_whole_workspace()
    {
        await using var watcher = await WatchAsync();
        var team = await CreateTeamAsync("Support", AssignmentPolicies.RoundRobin, capacity: 5, reassignAfterMinutes: null);
        var elsewhere = await app.SignInAsync("dan", Guid.NewGuid(), AgentRoles.Admin);
        var theirs = (await (await elsewhere.PostAsJsonAsync("/api/teams", new { name = "Theirs" })).Content.ReadFromJsonAsync<Team>())!;
        var routing = $"/api/channel-connections/{CrmApplication.ConnectionId}/routing";

        var toTheirs = await admin.PutAsJsonAsync(routing, new { teamId = theirs.Id });
        var patchToNowhere = await admin.PatchAsJsonAsync($"/api/channel-connections/{CrmApplication.ConnectionId}", new { routingTeamId = Guid.NewGuid() });
        var byAgent = await (await app.SignInAsync("cy", CrmApplication.TestWorkspace, AgentRoles.Agent)).PutAsJsonAsync(routing, new { teamId = team.Id });
        var toTeam = await admin.PutAsJsonAsync(routing, new { teamId = team.Id });
        var routedConversation = await CustomerWritesAsync(watcher, "SMroute1", "+14155550221");
        var back = await admin.PutAsJsonAsync(routing, new { teamId = (Guid?)null });
        var workspaceConversation = await CustomerWritesAsync(watcher, "SMroute2", "+14155550222");

        Assert.Equal(HttpStatusCode.BadRequest, toTheirs.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, patchToNowhere.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
        Assert.Equal(team.Id, (await toTeam.Content.ReadFromJsonAsync<Crm.Connectors.Connections.ChannelConnectionsApi.ChannelConnectionView>())!.RoutingTeamId);
        Assert.Null((await back.Content.ReadFromJsonAsync<Crm.Connectors.Connections.ChannelConnectionsApi.ChannelConnectionView>())!.RoutingTeamId);
        Assert.Equal(team.Id, (await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{routedConversation}"))!.TeamId);
        Assert.Null((await admin.GetFromJsonAsync<Conversation>($"/api/conversations/{workspaceConversation}"))!.TeamId);
    }

    private async Task<(HttpClient Client, AgentFeed Feed)> OnlineAsync(string name)
    {
        var client = await app.SignInAsync(name, CrmApplication.TestWorkspace, AgentRoles.Agent);
        var feed = await app.ConnectAgentAsync(client);
        feeds.Add(await IdOfAsync(client), feed);
        return (client, feed);
    }

    private static async Task<Guid> IdOfAsync(HttpClient agent) => (await agent.GetFromJsonAsync<Agent>("/api/agents/me"))!.Id;

    /// <summary>A customer writes in; returns the conversation once <paramref name="feed"/>'s agent has seen the message.</summary>
    private async Task<Guid> CustomerWritesAsync(AgentFeed feed, string sid, string from)
    {
        Assert.Equal(HttpStatusCode.OK, (await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText(sid, from, "hello"))).StatusCode);
        return (await feed.MessageAddedAsync(m => m.ChannelMessageId == sid)).ConversationId;
    }

    /// <summary>The conversation as pushed once the engine gave it to someone.</summary>
    private static Task<Conversation> AssignedAsync(AgentFeed feed, Guid conversation)
        => feed.ConversationUpdatedAsync(c => c.Id == conversation && c.AssigneeId is not null);

    /// <summary>The owner's live feed, without making the owner someone the engine gives conversations to.</summary>
    private async Task<AgentFeed> WatchAsync()
    {
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/agents/me/availability", new { availability = Availabilities.Offline })).StatusCode);
        return await app.ConnectAgentAsync(admin);
    }

    /// <summary>
    /// Lets <paramref name="time"/> pass on the clock in half-minute steps, as real time would: after each, the agents still
    /// connected have been vouched for by a heartbeat (however slow the machine), so they stay online throughout, and a
    /// sweep has had time to run.
    /// </summary>
    private async Task PassAsync(TimeSpan time, Func<Task>? eachStep = null)
    {
        for (var passed = TimeSpan.Zero; passed < time; passed += TimeSpan.FromSeconds(30))
        {
            clock.Advance(TimeSpan.FromSeconds(30));
            if (eachStep is not null) await eachStep();
            var stepped = clock.GetUtcNow();
            await Eventually.TrueAsync(async () => (await admin.GetFromJsonAsync<List<AssignmentApi.AvailabilityView>>("/api/agents/availability"))!
                .Where(agent => feeds.ContainsKey(agent.AgentId)).All(agent => agent.LastSeenAt >= stepped));
            await Task.Delay(150);
        }
    }

    private async Task<Team> CreateTeamAsync(string name, string policy, int capacity, int? reassignAfterMinutes, params Guid[] members)
    {
        var response = await admin.PostAsJsonAsync("/api/teams", new { name, policy, maxOpenPerAgent = capacity, reassignAfterMinutes, members });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Team>())!;
    }

    /// <summary>New conversations of the seeded Twilio connection go to the team from now on.</summary>
    private async Task RouteConnectionToAsync(Guid teamId)
        => Assert.Equal(HttpStatusCode.OK,
            (await admin.PutAsJsonAsync($"/api/channel-connections/{CrmApplication.ConnectionId}/routing", new { teamId })).StatusCode);

    private async Task<List<Conversation>> ListAsync(HttpClient agent, string query)
        => (await agent.GetFromJsonAsync<ConversationsApi.ConversationPage>($"/api/conversations?{query}"))!.Items.ToList();

    private async Task<List<TimelineMessage>> ActivityAsync(Guid conversation)
        => (await admin.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages"))!.Items
            .Where(m => m.Direction == Directions.Activity).ToList();

    public async Task DisposeAsync()
    {
        foreach (var feed in feeds.Values) await feed.DisposeAsync();
        await app.DisposeAsync();
        twilio.Stop();
    }
}
