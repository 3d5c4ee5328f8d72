using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Open, pending, snoozed, resolved; priority; private notes: each change on the timeline and pushed live.</summary>
public sealed class ConversationLifecycleTests : SignedInAgentTests
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>([CrmApplication.ManualAssignment])
    {
        ["Crm:Conversations:SnoozeCheckInterval"] = "00:00:00.100",
    };

    [Fact]
    public async Task A_resolved_conversation_opens_again_when_the_customer_writes_and_both_changes_are_on_the_timeline()
    {
        var conversation = await ConversationWithCustomerAsync("SMfirst");

        var resolved = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/status", new { status = "resolved" });
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Equal(ConversationStatuses.Resolved, (await resolved.Content.ReadFromJsonAsync<Conversation>())!.Status);
        await Feed.ConversationUpdatedAsync(c => c.Id == conversation && c.Status == ConversationStatuses.Resolved);

        await ConversationWithCustomerAsync("SMsecond");

        await Feed.ConversationUpdatedAsync(c => c.Id == conversation && c.Status == ConversationStatuses.Open);
        var timeline = (await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages"))!.Items;
        Assert.Equal([Directions.Inbound, Directions.Activity, Directions.Activity, Directions.Inbound], timeline.Select(m => m.Direction));
        Assert.Equal(("ann", ConversationStatuses.Resolved), (timeline[1].Agent, timeline[1].Activity!.To));
        Assert.Equal((null, ConversationStatuses.Open), (timeline[2].Agent, timeline[2].Activity!.To));
        Assert.Equal(ConversationStatuses.Open, (await Agent.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!.Status);
    }

    [Fact]
    public async Task A_snoozed_conversation_wakes_at_its_time_and_agents_see_it()
    {
        var conversation = await ConversationWithCustomerAsync("SMsnooze");

        var snoozed = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/status",
            new { status = "snoozed", snoozedUntil = DateTimeOffset.UtcNow.AddSeconds(1) });

        Assert.Equal(HttpStatusCode.OK, snoozed.StatusCode);
        var woken = await Feed.MessageAddedAsync(m => m.ConversationId == conversation && m.Activity?.From == ConversationStatuses.Snoozed);
        Assert.Equal(ConversationStatuses.Open, woken.Activity!.To);
        Assert.Equal(ConversationStatuses.Open, (await Agent.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!.Status);
    }

    [Fact]
    public async Task Impossible_changes_are_refused_with_400_and_change_nothing()
    {
        var conversation = await ConversationWithCustomerAsync("SMbad");

        foreach (var body in new object[]
                 {
                     new { status = "closed" },
                     new { status = "snoozed" },
                     new { status = "snoozed", snoozedUntil = DateTimeOffset.UtcNow.AddMinutes(-1) },
                     new { status = "open", snoozedUntil = DateTimeOffset.UtcNow.AddMinutes(5) },
                 })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/status", body)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/priority", new { priority = "asap" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Agent.PostAsJsonAsync($"/api/conversations/{Guid.NewGuid()}/status", new { status = "resolved" })).StatusCode);

        var after = (await Agent.GetFromJsonAsync<Conversation>($"/api/conversations/{conversation}"))!;
        Assert.Equal((ConversationStatuses.Open, ConversationPriorities.None), (after.Status, after.Priority));
        Assert.Single((await Agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation}/messages"))!.Items);
    }

    [Fact]
    public async Task A_private_note_and_a_priority_are_shown_to_agents_and_never_sent_to_the_customer()
    {
        var conversation = await ConversationWithCustomerAsync("SMnote");

        var note = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/notes", new { text = "VIP: call before noon" });
        var urgent = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/priority", new { priority = "urgent" });

        Assert.Equal(HttpStatusCode.Created, note.StatusCode);
        Assert.Equal(ConversationPriorities.Urgent, (await urgent.Content.ReadFromJsonAsync<Conversation>())!.Priority);
        var pushed = await Feed.MessageAddedAsync(m => m.ConversationId == conversation && m.Direction == Directions.Note);
        Assert.Equal(("VIP: call before noon", "ann"), (pushed.Text, pushed.Agent));
        await Feed.MessageAddedAsync(m => m.Activity?.Kind == ActivityKinds.PriorityChanged && m.Activity.To == ConversationPriorities.Urgent);
        Assert.Empty(Twilio.SendRequests());
    }

    [Fact]
    public async Task The_list_filters_by_status_and_shows_waiting_customers_longest_first()
    {
        Twilio.AcceptsMessages();
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMlist-1", "+14155550101", "first"));
        var first = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMlist-1")).ConversationId;
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMlist-2", "+14155550102", "second"));
        var second = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMlist-2")).ConversationId;
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMlist-3", "+14155550103", "third"));
        var third = (await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMlist-3")).ConversationId;
        await Agent.PostAsJsonAsync($"/api/conversations/{third}/status", new { status = "pending" });
        await Agent.PostAsJsonAsync($"/api/conversations/{first}/messages", new { text = "on it" });

        var waiting = await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations?sort=longest-waiting");
        var pending = await Agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations?status=pending");

        // The first was answered and the third is pending (waiting on the customer): only the second customer waits.
        Assert.Equal([second], waiting!.Items.Select(c => c.Id));
        Assert.Equal([third], pending!.Items.Select(c => c.Id));
        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.GetAsync("/api/conversations?status=closed")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Agent.GetAsync("/api/conversations?sort=oldest")).StatusCode);
    }

    [Fact]
    public async Task An_agent_mentioned_in_a_note_is_told_and_others_are_not()
    {
        var conversation = await ConversationWithCustomerAsync("SMmention");
        var bob = await App.SignInAsync("bob");
        await using var bobFeed = await App.ConnectAgentAsync(bob);
        await App.SignInAsync("eve");

        var created = await Agent.PostAsJsonAsync($"/api/conversations/{conversation}/notes", new { text = "@bob can you call her? (not x@eve.test)" });

        var note = (await created.Content.ReadFromJsonAsync<TimelineMessage>())!;
        var mention = await bobFeed.WaitForMentionAsync(m => m.Note.Id == note.Id);
        Assert.Equal(conversation, mention.ConversationId);
        Assert.Single(note.Mentions);
        Assert.Empty(Feed.All("Mentioned"));
    }
}
