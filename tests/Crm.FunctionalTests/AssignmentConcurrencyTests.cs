using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Apis;
using Crm.Inbox.Assignment;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// Two inbox processes of one Distributed deployment (one SQLite file, real RabbitMQ and Redis), each running its own
/// assignment engine: the engines race for the same queue while customers write and agents act through either process.
/// Conditions are read back over the API (pushes through the shared Redis are not needed to judge them).
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class AssignmentConcurrencyTests : IAsyncLifetime
{
    private const int Capacity = 4;

    /// <summary>Short, so both processes sweep many times while the test runs, besides draining when woken.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A state counts as settled once it held this long: several sweeps of each engine, any of which could break it.</summary>
    private static readonly TimeSpan Hold = 3 * SweepInterval;

    /// <summary>A guard against hanging, not a speed requirement.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly string directory = Directory.CreateTempSubdirectory("crm-assignment-").FullName;
    private readonly List<AgentFeed> feeds = [];
    private CrmApplication east = null!;
    private CrmApplication west = null!;

    private sealed record ConnectedAgent(Guid Id, string Name, HttpClient Client);

    public Task InitializeAsync()
    {
        var sharedStore = Path.Combine(directory, "crm.db");
        east = new CrmApplication(twilio, Settings(emptyQueues: true), sharedStore);
        west = new CrmApplication(twilio, Settings(emptyQueues: false), sharedStore);
        return Task.CompletedTask;
    }

    private static Dictionary<string, string?> Settings(bool emptyQueues)
    {
        // Both run every role, so both consume inbound messages and both run an engine.
        var settings = Distributed.Settings("all", emptyQueues);
        settings[$"{AssignmentOptions.Section}:{nameof(AssignmentOptions.WorkspaceMaxOpenPerAgent)}"] = Capacity.ToString();
        settings[$"{AssignmentOptions.Section}:{nameof(AssignmentOptions.SweepInterval)}"] = SweepInterval.ToString();
        return settings;
    }

    [Fact]
    public async Task Two_engines_racing_for_one_queue_never_assign_a_conversation_twice_nor_an_agent_beyond_capacity_and_drain_it_as_agents_free_up()
    {
        ConnectedAgent[] agents = [await AgentAsync(east, "ann"), await AgentAsync(west, "bo"), await AgentAsync(east, "cy")];
        await Eventually.TrueAsync(async () => (await agents[0].Client.GetFromJsonAsync<List<AssignmentApi.AvailabilityView>>("/api/agents/availability"))!
            .Count(view => view.Availability == Availabilities.Online) == agents.Length);

        // Forty customers write at once, half of them through each process.
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? east : west)
            .PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText($"SMrace{i:00}", $"+1415556{i:0000}", "hello"))));
        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));

        var full = await SettledAsync(agents, s => s.Conversations.Count == 40 && s.Queued.Count == 40 - agents.Length * Capacity);
        Assert.All(agents, agent => Assert.Equal(Capacity, full.OpenOf(agent.Id).Count));
        await AssertQueuesAgreeAsync(agents[1].Client, full, agents.Length);

        // Every agent resolves what they have, all at once, each through their own process: both engines are woken to
        // fill the same freed capacity, round after round, until the queue is empty.
        var snapshot = full;
        for (var round = 1; snapshot.Queued.Count > 0; round++)
        {
            Assert.True(round <= 5, $"The queue still holds {snapshot.Queued.Count} after {round - 1} rounds.");
            // Only what the settled snapshot showed: anything an engine added beyond capacity since stays to be seen.
            var resolved = await Task.WhenAll(agents.SelectMany(agent => snapshot.OpenOf(agent.Id)
                .Select(conversation => agent.Client.PostAsJsonAsync($"/api/conversations/{conversation.Id}/status", new { status = ConversationStatuses.Resolved }))));
            Assert.All(resolved, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
            var stillQueued = snapshot.Queued.Count;
            snapshot = await SettledAsync(agents, s => s.Queued.Count == Math.Max(0, stillQueued - agents.Length * Capacity)
                                                       && s.OpenAssigned.Count == Math.Min(stillQueued, agents.Length * Capacity));
            await AssertQueuesAgreeAsync(agents[1].Client, snapshot, agents.Length);
        }

        Assert.Equal(40, snapshot.Conversations.Count);
        Assert.All(snapshot.Conversations, conversation => Assert.Contains(conversation.AssigneeId, agents.Select(agent => (Guid?)agent.Id)));
        await AssertEachAssignedOnceAsync(agents[0].Client, snapshot, agents);
    }

    [Fact]
    public async Task Agents_on_two_processes_taking_the_same_conversations_at_once_get_each_once_and_never_beyond_capacity()
    {
        // Away: the engines give them nothing, so the queue waits for them to take from it by hand.
        ConnectedAgent[] agents =
            [await AgentAsync(east, "dee", Availabilities.Away), await AgentAsync(west, "eve", Availabilities.Away), await AgentAsync(east, "fay", Availabilities.Away)];
        var (dee, eve, fay) = (agents[0], agents[1], agents[2]);
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => (i % 2 == 0 ? east : west)
            .PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText($"SMtake{i:00}", $"+1415557{i:0000}", "hello"))));
        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        var queued = (await SettledAsync(agents, s => s.Conversations.Count == 12 && s.Queued.Count == 12)).Queued;

        // Four conversations, each taken by both agents at the same moment, one through each process.
        var contested = queued.Take(Capacity).ToList();
        var races = await Task.WhenAll(contested.Select(async conversation =>
        {
            var takes = await Task.WhenAll(dee.Client.PostAsync($"/api/conversations/{conversation.Id}/take", null),
                eve.Client.PostAsync($"/api/conversations/{conversation.Id}/take", null));
            return (conversation.Id, Dee: takes[0].StatusCode, Eve: takes[1].StatusCode);
        }));
        var afterRaces = await SettledAsync(agents, s => s.Queued.Count == 12 - contested.Count);
        Assert.All(races, race =>
        {
            Assert.Equal(new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }, new[] { race.Dee, race.Eve }.Order());
            var winner = race.Dee == HttpStatusCode.OK ? dee : eve;
            Assert.Equal(winner.Id, afterRaces.Conversations.Single(c => c.Id == race.Id).AssigneeId);
        });

        // Fay, with nothing yet, takes all eight still queued at once, through both processes: only up to her capacity.
        var fayWest = await west.SignInAsync(fay.Name, CrmApplication.TestWorkspace, AgentRoles.Agent);
        var grabs = await Task.WhenAll(afterRaces.Queued.Select((conversation, i) =>
            (i % 2 == 0 ? fay.Client : fayWest).PostAsync($"/api/conversations/{conversation.Id}/take", null)));
        Assert.Equal(Capacity, grabs.Count(response => response.StatusCode == HttpStatusCode.OK));
        Assert.Equal(Capacity, grabs.Count(response => response.StatusCode == HttpStatusCode.Conflict));

        var final = await SettledAsync(agents, s => s.Queued.Count == 12 - contested.Count - Capacity);
        Assert.Equal(Capacity, final.OpenOf(fay.Id).Count);
        await AssertEachAssignedOnceAsync(eve.Client, final, agents);
    }

    /// <summary>An agent (role agent, so capacity binds them) signed in and connected to the hub of <paramref name="app"/>.</summary>
    private async Task<ConnectedAgent> AgentAsync(CrmApplication app, string name, string? availability = null)
    {
        var client = await app.SignInAsync(name, CrmApplication.TestWorkspace, AgentRoles.Agent);
        var id = (await client.GetFromJsonAsync<Agent>("/api/agents/me"))!.Id;
        if (availability is not null)
            Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/api/agents/me/availability", new { availability })).StatusCode);
        feeds.Add(await app.ConnectAgentAsync(client));
        return new ConnectedAgent(id, name, client);
    }

    /// <summary>The whole workspace's conversations as one read of the store saw them.</summary>
    private sealed record Snapshot(IReadOnlyList<Conversation> Conversations)
    {
        /// <summary>In the queue's order: queued at, then id as the store compares it (text, not <see cref="Guid.CompareTo(Guid)"/>).</summary>
        public IReadOnlyList<Conversation> Queued => Conversations.Where(c => c.QueuedAt is not null)
            .OrderBy(c => c.QueuedAt).ThenBy(c => c.Id.ToString(), StringComparer.Ordinal).ToList();

        public IReadOnlyList<Conversation> OpenAssigned => Conversations.Where(c => c.Status == ConversationStatuses.Open && c.AssigneeId is not null).ToList();

        public IReadOnlyList<Conversation> OpenOf(Guid agentId) => OpenAssigned.Where(c => c.AssigneeId == agentId).ToList();

        public string Key => string.Join(";", Conversations.OrderBy(c => c.Id).Select(c => $"{c.Id}:{c.Status}:{c.AssigneeId}"));

        public override string ToString()
            => $"{Conversations.Count} conversations, {Queued.Count} queued, open per agent: "
               + string.Join(", ", OpenAssigned.GroupBy(c => c.AssigneeId).Select(g => $"{g.Key}={g.Count()}"));
    }

    /// <summary>
    /// Polls until <paramref name="done"/> holds and the assignments stay as they are for <see cref="Hold"/>; every read on
    /// the way must keep the invariants (nobody beyond capacity, only these agents assigned, queued exactly when open and nobody's).
    /// </summary>
    private async Task<Snapshot> SettledAsync(IReadOnlyList<ConnectedAgent> agents, Func<Snapshot, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        (Snapshot Snapshot, DateTime Since)? candidate = null;
        while (true)
        {
            var page = (await agents[0].Client.GetFromJsonAsync<ConversationsApi.ConversationPage>($"/api/conversations?limit={ConversationsApi.MaxPageSize}"))!;
            Assert.Null(page.NextCursor);
            var now = new Snapshot(page.Items);
            AssertInvariants(now, agents);
            if (!done(now)) candidate = null;
            else if (candidate is not { } held || held.Snapshot.Key != now.Key) candidate = (now, DateTime.UtcNow);
            else if (DateTime.UtcNow - held.Since >= Hold) return now;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not settled within {Patience.TotalSeconds} s; last seen: {now}.");
            await Task.Delay(50);
        }
    }

    private static void AssertInvariants(Snapshot snapshot, IReadOnlyList<ConnectedAgent> agents)
    {
        var known = agents.Select(agent => agent.Id).ToHashSet();
        Assert.All(snapshot.Conversations, c =>
        {
            Assert.True(c.AssigneeId is null || known.Contains(c.AssigneeId.Value), $"Conversation {c.Id} went to an unknown agent {c.AssigneeId}.");
            Assert.Equal(c.Status == ConversationStatuses.Open && c.AssigneeId is null, c.QueuedAt is not null);
        });
        foreach (var agent in agents)
            Assert.True(snapshot.OpenOf(agent.Id).Count <= Capacity, $"{agent.Name} has {snapshot.OpenOf(agent.Id).Count} open, capacity {Capacity}: {snapshot}.");
    }

    /// <summary>The queues' summary and the queue's own list agree with the settled snapshot.</summary>
    private static async Task AssertQueuesAgreeAsync(HttpClient client, Snapshot snapshot, int agentsOnline)
    {
        var queues = (await client.GetFromJsonAsync<List<AssignmentApi.QueueView>>("/api/queues"))!;
        var listed = (await client.GetFromJsonAsync<ConversationsApi.ConversationPage>($"/api/conversations?sort=queue&limit={ConversationsApi.MaxPageSize}"))!;
        var workspace = Assert.Single(queues);
        Assert.Equal(snapshot.Queued.Select(c => c.Id), listed.Items.Select(c => c.Id));
        Assert.Equal((snapshot.Queued.Count, agentsOnline, agentsOnline * Capacity - snapshot.OpenAssigned.Count),
            (workspace.Waiting, workspace.AgentsOnline, workspace.FreeSlots));
        if (snapshot.Queued.Count > 0) Assert.Equal(snapshot.Queued[0].QueuedAt, workspace.OldestQueuedAt);
    }

    /// <summary>
    /// Each conversation's timeline: one "assigned" entry, to the agent who has it, and no later transfer or return to the
    /// queue (an engine or agent that lost a race and still wrote would leave one); none for those still queued.
    /// </summary>
    private static async Task AssertEachAssignedOnceAsync(HttpClient client, Snapshot snapshot, IReadOnlyList<ConnectedAgent> agents)
    {
        string[] assignmentKinds = [ActivityKinds.Assigned, ActivityKinds.Transferred, ActivityKinds.Unassigned];
        foreach (var conversation in snapshot.Conversations)
        {
            var timeline = (await client.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation.Id}/messages?limit=200"))!;
            var changes = timeline.Items.Where(m => m.Direction == Directions.Activity && assignmentKinds.Contains(m.Activity!.Kind))
                .Select(m => (m.Activity!.Kind, m.Activity.To)).ToList();
            if (conversation.AssigneeId is not { } assignee) Assert.Empty(changes);
            else Assert.Equal(new[] { (ActivityKinds.Assigned, (string?)agents.Single(agent => agent.Id == assignee).Name) }, changes);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var feed in feeds) await feed.DisposeAsync();
        await east.DisposeAsync();
        await west.DisposeAsync();
        twilio.Stop();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
