using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Workspaces;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using Microsoft.AspNetCore.Mvc;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>GET /api/search: the caller's workspace only, literal queries, clear 400s.</summary>
public sealed class SearchTests : IAsyncLifetime
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000fe");
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_agent_finds_a_customer_message_their_reply_and_a_note_by_a_word_in_them()
    {
        var ann = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(ann);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMsearch-1", "+14155550100", "Où est mon colis ?"));
        var inbound = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMsearch-1");
        var reply = await (await ann.PostAsJsonAsync($"/api/conversations/{inbound.ConversationId}/messages", new { text = "Votre colis arrive demain" }))
            .Content.ReadFromJsonAsync<TimelineMessage>();
        var note = await (await ann.PostAsJsonAsync($"/api/conversations/{inbound.ConversationId}/notes", new { text = "colis perdu ?" }))
            .Content.ReadFromJsonAsync<TimelineMessage>();

        var page = await ann.GetFromJsonAsync<SearchApi.SearchPage>("/api/search?q=colis");

        Assert.Equal([note!.Id, reply!.Id, inbound.Id], page!.Items.Select(h => h.MessageId));
        Assert.All(page.Items, h => Assert.Equal(inbound.ConversationId, h.ConversationId));
        Assert.Null(page.NextCursor);
        // "ou" finds "Où" (diacritics ignored), and part of the phone number finds the customer's conversation.
        Assert.Contains(inbound.Id, (await ann.GetFromJsonAsync<SearchApi.SearchPage>("/api/search?q=ou%20est"))!.Items.Select(h => h.MessageId));
        Assert.Contains(inbound.ConversationId, (await ann.GetFromJsonAsync<SearchApi.SearchPage>("/api/search?q=5550100"))!.Items.Select(h => h.ConversationId));
    }

    [Fact]
    public async Task An_agent_of_another_workspace_finds_nothing_of_this_one()
    {
        var ann = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(ann);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMsecret-1", "+14155550100", "the vault code is orange"));
        await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMsecret-1");
        var bea = await app.SignInAsync("bea", OtherWorkspace, AgentRoles.Agent);

        Assert.Single((await ann.GetFromJsonAsync<SearchApi.SearchPage>("/api/search?q=vault%20code"))!.Items);
        Assert.Empty((await bea.GetFromJsonAsync<SearchApi.SearchPage>("/api/search?q=vault%20code"))!.Items);
        Assert.Empty((await bea.GetFromJsonAsync<SearchApi.SearchPage>("/api/search?q=5550100"))!.Items);
    }

    [Fact]
    public async Task Results_page_by_cursor_newest_first()
    {
        var ann = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(ann);
        var sent = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText($"SMpage-{i}", "+14155550100", $"refund please {i}"));
            sent.Add((await feed.MessageAddedAsync(m => m.ChannelMessageId == $"SMpage-{i}")).Id);
        }

        var first = await ann.GetFromJsonAsync<SearchApi.SearchPage>("/api/search?q=refund&limit=2");
        var second = await ann.GetFromJsonAsync<SearchApi.SearchPage>($"/api/search?q=refund&limit=2&cursor={first!.NextCursor}");

        Assert.Equal([sent[2], sent[1], sent[0]], first.Items.Concat(second!.Items).Select(h => h.MessageId!.Value));
        Assert.Null(second.NextCursor);
    }

    [Theory]
    [InlineData("/api/search")]
    [InlineData("/api/search?q=")]
    [InlineData("/api/search?q=%20%20")]
    [InlineData("/api/search?q=refund&limit=0")]
    [InlineData("/api/search?q=refund&limit=101")]
    [InlineData("/api/search?q=refund&cursor=not-a-cursor")]
    public async Task A_missing_query_a_bad_limit_or_a_bad_cursor_is_a_400(string url)
    {
        var ann = await app.SignInAsync("ann");

        var response = await ann.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(await response.Content.ReadFromJsonAsync<ProblemDetails>());
    }

    [Fact]
    public async Task A_query_longer_than_200_characters_is_a_400()
    {
        var ann = await app.SignInAsync("ann");

        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync("/api/search?q=" + new string('a', 200))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ann.GetAsync("/api/search?q=" + new string('a', 201))).StatusCode);
    }

    [Theory]
    [InlineData("\"")]
    [InlineData("*")]
    [InlineData("NEAR(")]
    [InlineData("AND")]
    [InlineData("a\" OR \"b*")]
    [InlineData("col:x ^y -z {w} (")]
    public async Task Query_syntax_characters_are_searched_as_text_never_a_500(string q)
    {
        var ann = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(ann);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMhostile", "+14155550100", "near and far"));
        await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMhostile");

        var response = await ann.GetAsync("/api/search?q=" + Uri.EscapeDataString(q));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await response.Content.ReadFromJsonAsync<SearchApi.SearchPage>());
    }

    [Fact]
    public async Task Searching_needs_a_signed_in_agent()
    {
        var anonymous = app.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/search?q=refund")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
