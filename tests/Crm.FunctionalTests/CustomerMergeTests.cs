using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Inbox.Apis;
using Crm.Inbox.Customers;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// Merging customers over the API: the preview's conflicts, a merge by hand that joins two WhatsApp threads on the same
/// business number, the pointer a merged-away customer leaves, undo within the grace period, suggestions and automatic merges.
/// </summary>
public sealed class CustomerMergeTests : IAsyncLifetime
{
    private const string AliceNumber = "+14155550100";
    private const string SecondNumber = "+14155550111";
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000fd");
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly AdjustableClock clock = new();
    private CrmApplication app = null!;
    private HttpClient ann = null!;
    private AgentFeed feed = null!;

    public async Task InitializeAsync()
    {
        app = new CrmApplication(twilio, new Dictionary<string, string?> { [CrmApplication.ManualAssignment.Key] = CrmApplication.ManualAssignment.Value },
            testServices: services => services.AddSingleton<TimeProvider>(clock));
        ann = await app.SignInAsync("ann");
        feed = await app.ConnectAgentAsync(ann);
    }

    /// <summary>A customer writes in on WhatsApp from <paramref name="number"/>; returns the customer and the conversation.</summary>
    private async Task<(Guid Customer, Guid Conversation)> WritesInAsync(string sid, string number, string name)
    {
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText(sid, number, "hello " + sid, profileName: name));
        var message = await feed.MessageAddedAsync(m => m.ChannelMessageId == sid);
        return (message.CustomerId, message.ConversationId);
    }

    private async Task<CustomerMergeApi.MergePreview> PreviewAsync(Guid survivor, Guid merged)
        => (await ann.GetFromJsonAsync<CustomerMergeApi.MergePreview>($"/api/customers/{survivor}/merge-preview?with={merged}"))!;

    private async Task<HttpResponseMessage> MergeAsync(Guid survivor, Guid merged, object? choices = null)
    {
        var preview = await PreviewAsync(survivor, merged);
        return await ann.PostAsJsonAsync($"/api/customers/{survivor}/merge",
            new { mergedId = merged, choices = choices ?? new { name = "merged" }, survivorVersion = preview.SurvivorVersion, mergedVersion = preview.MergedVersion });
    }

    [Fact]
    public async Task The_preview_lists_the_fields_set_differently_on_both_and_the_threads_that_will_be_joined()
    {
        var (alice, _) = await WritesInAsync("SMa1", AliceNumber, "Alice");
        var (second, _) = await WritesInAsync("SMb1", SecondNumber, "Alice Chen");

        var preview = await PreviewAsync(alice, second);

        Assert.Equal([new MergeConflict("name", "Alice", "Alice Chen")], preview.Conflicts);
        Assert.Equal([new CustomerMergeApi.SharedThread("whatsapp", CrmApplication.BusinessNumber)], preview.SharedThreads);
        Assert.Equal(HttpStatusCode.BadRequest, (await ann.GetAsync($"/api/customers/{alice}/merge-preview?with={alice}")).StatusCode);
    }

    [Fact]
    public async Task A_merge_by_hand_joins_the_threads_moves_the_identity_and_leaves_a_pointer_at_the_survivor()
    {
        var (alice, thread) = await WritesInAsync("SMa1", AliceNumber, "Alice");
        var (second, emptied) = await WritesInAsync("SMb1", SecondNumber, "Alice Chen");
        var annId = (await ann.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;

        var response = await MergeAsync(alice, second);
        var done = await response.Content.ReadFromJsonAsync<CustomerMergeApi.MergeDone>();
        var push = await feed.CustomersMergedAsync(p => p.MergeId == done!.MergeId);
        var (next, nextThread) = await WritesInAsync("SMb2", SecondNumber, "Alice Chen");
        var messages = (await ann.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{thread}/messages"))!.Items;
        var list = (await ann.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items;
        var history = (await ann.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{alice}/history"))!.Items;
        var noRedirects = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        noRedirects.DefaultRequestHeaders.Authorization = ann.DefaultRequestHeaders.Authorization;
        var pointer = await noRedirects.GetAsync($"/api/customers/{second}");
        // .NET drops the bearer token on a redirect (browsers keep it on the same origin): follow the pointer by hand.
        var followed = await ann.GetFromJsonAsync<CustomersApi.CustomerDetails>(pointer.Headers.Location);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Alice Chen", done!.Customer.Profile.Fields.Name);
        Assert.Equal([AliceNumber, SecondNumber], done.Customer.Profile.Identities.Select(i => i.Value).Order());
        Assert.Equal([new JoinedConversation(emptied, thread)], done.JoinedConversations);
        Assert.Equal(new HashSet<Guid> { thread, emptied }, push.ConversationIds.ToHashSet());
        Assert.Equal((alice, thread), (next, nextThread));
        Assert.Equal(["SMa1", "SMb1", "SMb2"], messages.Select(m => m.ChannelMessageId));
        Assert.Equal([thread], list.Select(c => c.Id));
        Assert.Contains(history, c => c.Field == "merged" && c.To == second.ToString() && c.ChangedBy == annId);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, pointer.StatusCode);
        Assert.Equal($"/api/customers/{alice}", pointer.Headers.Location!.OriginalString);
        Assert.Equal(alice, (await pointer.Content.ReadFromJsonAsync<CustomerMergeApi.MergedAway>())!.MergedInto);
        Assert.Equal(alice, followed!.Profile.Id);
        Assert.DoesNotContain((await ann.GetFromJsonAsync<CustomersApi.CustomerPage>("/api/customers"))!.Items, c => c.Id == second);
        Assert.Equal(HttpStatusCode.Conflict, (await ann.PatchAsJsonAsync($"/api/customers/{second}", new { version = 1, company = "Lost" })).StatusCode);
    }

    [Fact]
    public async Task Messages_from_the_merged_number_arriving_during_the_merge_all_end_up_in_the_survivors_thread()
    {
        var (alice, thread) = await WritesInAsync("SMa1", AliceNumber, "Alice");
        var (second, emptied) = await WritesInAsync("SMb1", SecondNumber, "Alice");
        var preview = await PreviewAsync(alice, second);
        var sids = Enumerable.Range(0, 6).Select(i => $"SMrace{i}").ToList();

        var arrivals = sids.Select(sid => app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText(sid, SecondNumber, "hi", profileName: "Alice")));
        var merge = ann.PostAsJsonAsync($"/api/customers/{alice}/merge",
            new { mergedId = second, survivorVersion = preview.SurvivorVersion, mergedVersion = preview.MergedVersion });
        await Task.WhenAll([.. arrivals, merge]);
        foreach (var sid in sids) await feed.MessageAddedAsync(m => m.ChannelMessageId == sid);
        var inThread = (await ann.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{thread}/messages?limit=50"))!.Items;
        var timeline = (await ann.GetFromJsonAsync<CustomerTimelineApi.CustomerTimelinePage>($"/api/customers/{alice}/timeline?limit=50"))!.Items;

        Assert.Equal(HttpStatusCode.OK, (await merge).StatusCode);
        Assert.Equal(new[] { "SMa1", "SMb1" }.Concat(sids).Order(StringComparer.Ordinal), inThread.Select(m => m.ChannelMessageId!).Order(StringComparer.Ordinal));
        Assert.Empty((await ann.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{emptied}/messages"))!.Items);
        Assert.Equal(inThread.Count, timeline.Count);
    }

    [Fact]
    public async Task A_conflict_without_a_choice_is_a_400_keyed_by_the_field_and_a_stale_version_is_a_409()
    {
        var (alice, _) = await WritesInAsync("SMa1", AliceNumber, "Alice");
        var (second, _) = await WritesInAsync("SMb1", SecondNumber, "Alice Chen");

        var unchosen = await ann.PostAsJsonAsync($"/api/customers/{alice}/merge", new { mergedId = second, survivorVersion = 0, mergedVersion = 0 });
        var badChoice = await ann.PostAsJsonAsync($"/api/customers/{alice}/merge",
            new { mergedId = second, survivorVersion = 0, mergedVersion = 0, choices = new { name = "both" } });
        await ann.PatchAsJsonAsync($"/api/customers/{second}", new { version = 0, company = "Acme" });
        var stale = await ann.PostAsJsonAsync($"/api/customers/{alice}/merge",
            new { mergedId = second, survivorVersion = 0, mergedVersion = 0, choices = new { name = "survivor" } });
        var errors = (await unchosen.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");

        Assert.Equal(HttpStatusCode.BadRequest, unchosen.StatusCode);
        Assert.True(errors.TryGetProperty("choices.name", out _));
        Assert.Equal(HttpStatusCode.BadRequest, badChoice.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Null(await app.Services.GetRequiredService<ICustomerMergeStore>().GetMergedIntoAsync(CrmApplication.TestWorkspace, second));
    }

    [Fact]
    public async Task The_same_merge_again_answers_the_same_merge_and_merges_with_itself_a_merged_away_customer_or_another_workspace_are_refused()
    {
        var (alice, _) = await WritesInAsync("SMa1", AliceNumber, "Alice");
        var (second, _) = await WritesInAsync("SMb1", SecondNumber, "Alice Chen");
        var (third, _) = await WritesInAsync("SMc1", "+14155550122", "Carol");
        var first = await (await MergeAsync(alice, second)).Content.ReadFromJsonAsync<CustomerMergeApi.MergeDone>();

        var again = await ann.PostAsJsonAsync($"/api/customers/{alice}/merge",
            new { mergedId = second, survivorVersion = 0, mergedVersion = 0, choices = new { name = "merged" } });
        var withItself = await ann.PostAsJsonAsync($"/api/customers/{alice}/merge", new { mergedId = alice, survivorVersion = 1, mergedVersion = 1 });
        var intoMergedAway = await ann.PostAsJsonAsync($"/api/customers/{second}/merge",
            new { mergedId = third, survivorVersion = 0, mergedVersion = 0, choices = new { name = "merged" } });
        var bea = await app.SignInAsync("bea", OtherWorkspace, AgentRoles.Admin);
        var acrossWorkspaces = await bea.PostAsJsonAsync($"/api/customers/{alice}/merge", new { mergedId = third, survivorVersion = 1, mergedVersion = 0 });

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first!.MergeId, (await again.Content.ReadFromJsonAsync<CustomerMergeApi.MergeDone>())!.MergeId);
        Assert.Single((await ann.GetFromJsonAsync<CustomerMergeApi.MergeList>($"/api/customers/{alice}/merges"))!.Items);
        Assert.Equal(HttpStatusCode.BadRequest, withItself.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, intoMergedAway.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, acrossWorkspaces.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/customers/{alice}/merges")).StatusCode);
    }

    [Fact]
    public async Task Undo_within_the_grace_period_gives_both_customers_and_their_threads_back()
    {
        var (alice, thread) = await WritesInAsync("SMa1", AliceNumber, "Alice");
        var (second, emptied) = await WritesInAsync("SMb1", SecondNumber, "Alice Chen");
        var before = (await ann.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{second}"))!.Profile;
        var done = await (await MergeAsync(alice, second)).Content.ReadFromJsonAsync<CustomerMergeApi.MergeDone>();

        var undo = await ann.PostAsync($"/api/customers/merges/{done!.MergeId}/undo", null);
        var undone = await undo.Content.ReadFromJsonAsync<CustomerMergeApi.UndoDone>();
        var push = await feed.CustomersMergedAsync(p => p.MergeId == done.MergeId && p.Undone);
        var (next, nextThread) = await WritesInAsync("SMb2", SecondNumber, "Alice Chen");
        var again = await ann.PostAsync($"/api/customers/merges/{done.MergeId}/undo", null);

        Assert.Equal(HttpStatusCode.OK, undo.StatusCode);
        Assert.Equal("Alice", undone!.Survivor.Profile.Fields.Name);
        Assert.Equal(before with { Version = 0 }, undone.Restored.Profile with { Version = 0 }, ProfileComparer.Instance);
        Assert.True(push.Undone);
        Assert.Equal((second, emptied), (next, nextThread));
        Assert.Equal(["SMa1"], (await ann.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{thread}/messages"))!.Items.Select(m => m.ChannelMessageId));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync($"/api/customers/{second}")).StatusCode);
    }

    [Fact]
    public async Task Undo_is_a_409_saying_why_after_a_later_change_or_after_the_grace_period()
    {
        var (alice, _) = await WritesInAsync("SMa1", AliceNumber, "Alice");
        var (second, _) = await WritesInAsync("SMb1", SecondNumber, "Alice Chen");
        var (third, _) = await WritesInAsync("SMc1", "+14155550122", "Carol");
        var (fourth, _) = await WritesInAsync("SMd1", "+14155550133", "Carol");
        var first = await (await MergeAsync(alice, second)).Content.ReadFromJsonAsync<CustomerMergeApi.MergeDone>();
        var later = await (await MergeAsync(third, fourth, new { })).Content.ReadFromJsonAsync<CustomerMergeApi.MergeDone>();
        await ann.PatchAsJsonAsync($"/api/customers/{alice}", new { version = first!.Customer.Profile.Version, company = "Changed since" });

        var changed = await ann.PostAsync($"/api/customers/merges/{first.MergeId}/undo", null);
        clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        var tooLate = await ann.PostAsync($"/api/customers/merges/{later!.MergeId}/undo", null);
        var changedReasons = (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToList();

        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
        Assert.Contains(changedReasons, r => r.Contains("company", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Conflict, tooLate.StatusCode);
        Assert.Contains("passed", (await tooLate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await ann.PostAsync($"/api/customers/merges/{Guid.NewGuid()}/undo", null)).StatusCode);
    }

    [Fact]
    public async Task Suggestions_name_the_argentinian_spellings_of_one_whatsapp_number_and_a_shared_verified_email()
    {
        // WhatsApp sends Argentina's mobile token (+54 9); the connector keys the customer without it.
        var (onWhatsApp, _) = await WritesInAsync("SMar1", "+5491123456789", "Lucía");
        var (byHand, _) = await WritesInAsync("SMb1", SecondNumber, "Lucia R");
        var (byEmail, _) = await WritesInAsync("SMc1", "+14155550122", "L. Romero");
        await ann.PatchAsJsonAsync($"/api/customers/{byHand}", new
        {
            version = 0,
            phones = new[] { new { number = "+5491123456789", verified = false } },
            emails = new[] { new { address = "lucia@example.com", verified = true } },
        });
        await ann.PatchAsJsonAsync($"/api/customers/{byEmail}", new { version = 0, emails = new[] { new { address = "Lucia@Example.com", verified = true } } });

        var mine = (await ann.GetFromJsonAsync<MergeSuggestions.SuggestionList>($"/api/customers/{byHand}/merge-suggestions"))!.Items;
        var workspace = (await ann.GetFromJsonAsync<MergeSuggestions.PairPage>("/api/customers/merge-suggestions"))!.Items;

        Assert.Equal(new HashSet<Guid> { onWhatsApp, byEmail }, mine.Select(s => s.Customer.Id).ToHashSet());
        Assert.Equal([new MatchReason(MatchKinds.WhatsAppVariant, "+5491123456789", "+541123456789")], mine.Single(s => s.Customer.Id == onWhatsApp).Reasons);
        Assert.Equal(MatchKinds.VerifiedEmail, mine.Single(s => s.Customer.Id == byEmail).Reasons.Single().Kind);
        Assert.Equal(2, workspace.Count);
        Assert.All(workspace, pair => Assert.Contains(byHand, new[] { pair.First.Id, pair.Second.Id }));
        Assert.Equal(HttpStatusCode.BadRequest, (await ann.GetAsync("/api/customers/merge-suggestions?cursor=%25%25")).StatusCode);
    }

    [Fact]
    public async Task A_verified_match_merges_automatically_only_when_the_workspace_turned_it_on_and_the_older_customer_survives()
    {
        var (older, _) = await WritesInAsync("SMa1", AliceNumber, "Alice");
        var (newer, _) = await WritesInAsync("SMb1", SecondNumber, "Alice C");
        var (third, _) = await WritesInAsync("SMc1", "+14155550122", "Alice D");
        var email = new[] { new { address = "alice@example.com", verified = true } };
        await ann.PatchAsJsonAsync($"/api/customers/{older}", new { version = 0, emails = email });

        var defaultSetting = await ann.GetFromJsonAsync<CustomerMergeApi.CustomerSettings>("/api/customer-settings");
        var whileOff = await ann.PatchAsJsonAsync($"/api/customers/{third}", new { version = 0, emails = email });
        var thirdWhileOff = await app.Services.GetRequiredService<ICustomerMergeStore>().GetMergedIntoAsync(CrmApplication.TestWorkspace, third);
        var turnedOn = await ann.PutAsJsonAsync("/api/customer-settings", new { autoMerge = true });
        var whileOn = await (await ann.PatchAsJsonAsync($"/api/customers/{newer}", new { version = 0, emails = email }))
            .Content.ReadFromJsonAsync<CustomersApi.CustomerDetails>();
        var merges = (await ann.GetFromJsonAsync<CustomerMergeApi.MergeList>($"/api/customers/{older}/merges"))!.Items;
        var history = (await ann.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{older}/history"))!.Items;

        Assert.False(defaultSetting!.AutoMerge);
        Assert.Null(thirdWhileOff);
        Assert.Equal(HttpStatusCode.OK, whileOff.StatusCode);
        Assert.Equal(HttpStatusCode.OK, turnedOn.StatusCode);
        Assert.Equal(older, whileOn!.Profile.Id);
        Assert.Equal("Alice", whileOn.Profile.Fields.Name);
        Assert.Contains(merges, m => m is { Automatic: true, MergedBy: null } && m.MergedId == newer);
        Assert.Contains(history, c => c.Field == "merged-automatically" && c.To == newer.ToString() && c.ChangedBy is null);
        Assert.Equal(HttpStatusCode.BadRequest, (await ann.PutAsJsonAsync("/api/customer-settings", new { })).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await feed.DisposeAsync();
        await app.DisposeAsync();
        twilio.Stop();
    }

    /// <summary>Profiles compared by what they hold (records with lists compare lists by reference).</summary>
    private sealed class ProfileComparer : IEqualityComparer<CustomerProfile>
    {
        public static readonly ProfileComparer Instance = new();

        public bool Equals(CustomerProfile? x, CustomerProfile? y) => JsonSerializer.Serialize(x) == JsonSerializer.Serialize(y);

        public int GetHashCode(CustomerProfile obj) => 0;
    }
}
