using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;
using Crm.Inbox.Segments;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// Segments over the API: the built-ins, the filter builder's preview, saved segments, isolation between workspaces, bad
/// filters, bulk actions over every match (more than a page, in background batches) and the CSV export. Customers in bulk
/// are seeded through the store (as an import would); the one who writes in comes through the Twilio webhook.
/// </summary>
public sealed class SegmentTests : IAsyncLifetime
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000fd");
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    // Batches of 25: a segment of 60 runs in the background, in three of them.
    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio, new Dictionary<string, string?> { ["Crm:Segments:BulkBatchSize"] = "25" });
        return Task.CompletedTask;
    }

    private IInboxStore Store => app.Services.GetRequiredService<IInboxStore>();

    /// <summary>A customer of the test workspace, created <paramref name="daysAgo"/> days ago, with these profile fields.</summary>
    private async Task<Guid> CustomerAsync(string number, string name, int daysAgo, CustomerProfileFields? fields = null, Guid? workspace = null)
    {
        var ws = workspace ?? CrmApplication.TestWorkspace;
        var customer = await Store.ResolveCustomerAsync(ws, new ChannelIdentity(Channels.WhatsApp, number), name, DateTimeOffset.UtcNow.AddDays(-daysAgo));
        if (fields is not null)
            await ((ICustomerProfileStore)Store).UpdateProfileAsync(ws, customer.Id, 0, fields with { Name = name }, null, DateTimeOffset.UtcNow);
        return customer.Id;
    }

    private static object Condition(string field, string op, object? value = null)
        => value is null ? new { field, @operator = op } : new { field, @operator = op, value };

    private static object All(params object[] conditions) => new { op = "and", conditions };

    private static async Task<SegmentsApi.SegmentPage> PreviewAsync(HttpClient agent, object filter, string? after = null, int? limit = null)
    {
        var response = await agent.PostAsJsonAsync("/api/segments/preview", new { filter, after, limit });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SegmentsApi.SegmentPage>())!;
    }

    [Fact]
    public async Task The_dormant_built_in_counts_customers_silent_for_90_days_and_those_who_joined_long_ago_and_never_wrote()
    {
        var ann = await app.SignInAsync("ann");
        // Wrote 100 days ago (stored as the inbound path stores it, dated then); joined 200 days ago and never wrote.
        await Store.AppendInboundBatchAsync([new InboundMessageReceived(Channels.WhatsApp, "SMold", "+14155550101", "Silent Sam", CrmApplication.BusinessNumber,
            "hi", [], null, null, new Dictionary<string, string>(), DateTimeOffset.UtcNow.AddDays(-100)) { WorkspaceId = CrmApplication.TestWorkspace }]);
        var imported = await CustomerAsync("+14155550102", "Imported Ida", daysAgo: 200);
        // Not dormant: joined 10 days ago without writing, and Alice who writes in now.
        await CustomerAsync("+14155550103", "New Ned", daysAgo: 10);
        await using (var feed = await app.ConnectAgentAsync(ann))
        {
            await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMnow", "+14155550100", "hello", profileName: "Alice"));
            await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMnow");
        }

        var segments = (await ann.GetFromJsonAsync<List<SegmentsApi.SegmentView>>("/api/segments"))!;
        var dormant = await ann.GetFromJsonAsync<SegmentsApi.SegmentPage>($"/api/segments/{BuiltInSegments.Dormant}/customers");

        Assert.Equal(["Dormant: no inbound for 90 days", "Birthday this week", "Opted out"], segments.Select(s => s.Name));
        Assert.All(segments, s => Assert.True(s.BuiltIn));
        Assert.Equal(2, dormant!.Count);
        Assert.Equal(["Imported Ida", "Silent Sam"], dormant.Customers.Select(c => c.Fields.Name));
        Assert.Contains(dormant.Customers, c => c.Id == imported);
    }

    [Fact]
    public async Task A_workspace_saves_its_own_dormant_days_and_deleting_that_version_brings_the_default_back()
    {
        var ann = await app.SignInAsync("ann");
        await CustomerAsync("+14155550102", "Imported Ida", daysAgo: 200);
        await CustomerAsync("+14155550103", "Joined Jo", daysAgo: 40);
        var filter = JsonDocument.Parse(BuiltInSegments.DormantFilter(30)).RootElement;

        var changed = await ann.PutAsJsonAsync($"/api/segments/{BuiltInSegments.Dormant}", new { name = "Dormant: no inbound for 30 days", filter });
        var thirty = await ann.GetFromJsonAsync<SegmentsApi.SegmentPage>($"/api/segments/{BuiltInSegments.Dormant}/customers");
        var deleted = await ann.DeleteAsync($"/api/segments/{BuiltInSegments.Dormant}");
        var ninety = await ann.GetFromJsonAsync<SegmentsApi.SegmentPage>($"/api/segments/{BuiltInSegments.Dormant}/customers");
        var listed = await ann.GetFromJsonAsync<List<SegmentsApi.SegmentView>>("/api/segments");

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.True((await changed.Content.ReadFromJsonAsync<SegmentsApi.SegmentView>())!.BuiltIn);
        Assert.Equal(2, thirty!.Count);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(1, ninety!.Count);
        Assert.Equal("Dormant: no inbound for 90 days", listed![0].Name);
    }

    [Fact]
    public async Task A_preview_counts_every_match_and_pages_them_by_name()
    {
        var ann = await app.SignInAsync("ann");
        for (var i = 0; i < 5; i++) await CustomerAsync($"+1415555020{i}", $"Vip {i}", 1, new CustomerProfileFields { LifecycleStage = "vip" });
        await CustomerAsync("+14155550299", "Lead", 1, new CustomerProfileFields { LifecycleStage = "lead" });
        var filter = All(Condition("lifecycleStage", "equals", "vip"));

        var first = await PreviewAsync(ann, filter, limit: 2);
        var second = await PreviewAsync(ann, filter, first.NextCursor, limit: 2);
        var third = await PreviewAsync(ann, filter, second.NextCursor, limit: 2);

        Assert.Equal((5L, 5L, 5L), (first.Count, second.Count, third.Count));
        Assert.Equal(["Vip 0", "Vip 1", "Vip 2", "Vip 3", "Vip 4"], first.Customers.Concat(second.Customers).Concat(third.Customers).Select(c => c.Fields.Name));
        Assert.Null(third.NextCursor);
    }

    [Fact]
    public async Task A_saved_segment_is_created_read_renamed_listed_and_deleted()
    {
        var ann = await app.SignInAsync("ann");
        await CustomerAsync("+14155550300", "Vera", 1, new CustomerProfileFields { LifecycleStage = "vip", Company = "Acme" });

        var created = await ann.PostAsJsonAsync("/api/segments", new { name = "VIPs", filter = All(Condition("lifecycleStage", "equals", "vip")) });
        var segment = (await created.Content.ReadFromJsonAsync<SegmentsApi.SegmentView>())!;
        var changed = await ann.PutAsJsonAsync($"/api/segments/{segment.Id}", new { name = "Acme VIPs", filter = All(Condition("company", "startsWith", "acme")) });
        var read = await ann.GetFromJsonAsync<SegmentsApi.SegmentView>($"/api/segments/{segment.Id}");
        var customers = await ann.GetFromJsonAsync<SegmentsApi.SegmentPage>($"/api/segments/{segment.Id}/customers");
        var listed = await ann.GetFromJsonAsync<List<SegmentsApi.SegmentView>>("/api/segments");
        var deleted = await ann.DeleteAsync($"/api/segments/{segment.Id}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/segments/{segment.Id}", created.Headers.Location!.OriginalString);
        Assert.False(segment.BuiltIn);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("Acme VIPs", read!.Name);
        Assert.Equal("startsWith", read.Filter.GetProperty("conditions")[0].GetProperty("operator").GetString());
        Assert.Equal(["Vera"], customers!.Customers.Select(c => c.Fields.Name));
        Assert.Equal("Acme VIPs", listed![^1].Name);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ann.GetAsync($"/api/segments/{segment.Id}")).StatusCode);
    }

    [Fact]
    public async Task Another_workspace_never_sees_a_segment_nor_the_customers_it_matches()
    {
        var ann = await app.SignInAsync("ann");
        var bea = await app.SignInAsync("bea", OtherWorkspace, AgentRoles.Admin);
        await CustomerAsync("+14155550400", "Ours", 1, new CustomerProfileFields { LifecycleStage = "vip" });
        await CustomerAsync("+14155550401", "Theirs", 1, new CustomerProfileFields { LifecycleStage = "vip" }, OtherWorkspace);
        var filter = All(Condition("lifecycleStage", "equals", "vip"));
        var segment = (await (await ann.PostAsJsonAsync("/api/segments", new { name = "VIPs", filter })).Content.ReadFromJsonAsync<SegmentsApi.SegmentView>())!;

        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/segments/{segment.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/segments/{segment.Id}/customers")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/segments/{segment.Id}/export")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.PutAsJsonAsync($"/api/segments/{segment.Id}", new { name = "Mine", filter })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.DeleteAsync($"/api/segments/{segment.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.PostAsJsonAsync($"/api/segments/{segment.Id}/actions", new { action = "setOwner" })).StatusCode);
        Assert.DoesNotContain((await bea.GetFromJsonAsync<List<SegmentsApi.SegmentView>>("/api/segments"))!, s => s.Id == segment.Id);
        Assert.Equal(["Theirs"], (await PreviewAsync(bea, filter)).Customers.Select(c => c.Fields.Name));
        Assert.Equal(["Ours"], (await ann.GetFromJsonAsync<SegmentsApi.SegmentPage>($"/api/segments/{segment.Id}/customers"))!.Customers.Select(c => c.Fields.Name));
    }

    [Theory]
    [InlineData("""{"op":"and","conditions":[{"field":"shoeSize","operator":"equals","value":"42"}]}""", "filter.conditions[0].field")]
    [InlineData("""{"op":"and","conditions":[{"field":"name","operator":"equals","value":"a"},{"field":"name","operator":"greaterThan","value":"b"}]}""", "filter.conditions[1].operator")]
    [InlineData("""{"op":"and","conditions":[{"field":"inboundCount","operator":"greaterThan","value":"many"}]}""", "filter.conditions[0].value")]
    [InlineData("""{"op":"and","conditions":[{"field":"lastInboundAt","operator":"moreThanDaysAgo","value":-3}]}""", "filter.conditions[0].value")]
    [InlineData("""{"op":"and","conditions":[{"field":"birthday","operator":"between","value":["2000-01-02","2000-01-01"]}]}""", "filter.conditions[0].value")]
    [InlineData("""{"op":"xor","conditions":[{"field":"name","operator":"isPresent"}]}""", "filter.op")]
    [InlineData("""{"op":"and","conditions":[]}""", "filter.conditions")]
    [InlineData("""{"op":"and","conditions":[{"op":"or","conditions":[{"op":"and","conditions":[{"op":"or","conditions":[{"op":"and","conditions":[{"op":"or","conditions":[{"field":"name","operator":"isPresent"}]}]}]}]}]}]}""", "filter.conditions[0].conditions[0].conditions[0].conditions[0].conditions[0]")]
    [InlineData("""{"op":"and","conditions":[{"field":"labels","operator":"hasAnyOf","value":["7a5e1000-0000-4000-8000-000000000099"]}]}""", "filter")]
    [InlineData("""{"op":"and","conditions":[{"field":"consent.fax","operator":"equals","value":"opted-out"}]}""", "filter.conditions[0].field")]
    [InlineData("""{"op":"and","conditions":[{"field":"name","operator":"isPresent","value":"x"}]}""", "filter.conditions[0].value")]
    public async Task A_bad_filter_is_a_400_that_points_at_the_faulty_part(string filter, string path)
    {
        var ann = await app.SignInAsync("ann");
        var body = $$"""{"name":"Bad","filter":{{filter}}}""";

        var saved = await ann.PostAsync("/api/segments", new StringContent(body, Encoding.UTF8, "application/json"));
        var previewed = await ann.PostAsync("/api/segments/preview", new StringContent($$"""{"filter":{{filter}}}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, saved.StatusCode);
        Assert.Contains(path, (await saved.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, previewed.StatusCode);
        Assert.Contains(path, (await previewed.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.Keys);
    }

    [Fact]
    public async Task A_label_added_in_bulk_reaches_every_match_beyond_the_first_page_once_each_with_the_agent_in_the_history()
    {
        var ann = await app.SignInAsync("ann");
        var annId = (await ann.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;
        var label = (await (await ann.PostAsJsonAsync("/api/labels", new { name = "Win-back", color = "#1f6feb" })).Content.ReadFromJsonAsync<Label>())!;
        for (var i = 0; i < 60; i++) await CustomerAsync($"+141555506{i:00}", $"Churned {i:00}", 1, new CustomerProfileFields { LifecycleStage = "churned" });
        await CustomerAsync("+14155550700", "Happy", 1, new CustomerProfileFields { LifecycleStage = "customer" });
        var segment = (await (await ann.PostAsJsonAsync("/api/segments", new { name = "Churned", filter = All(Condition("lifecycleStage", "equals", "churned")) }))
            .Content.ReadFromJsonAsync<SegmentsApi.SegmentView>())!;

        var started = await ann.PostAsJsonAsync($"/api/segments/{segment.Id}/actions", new { action = "addLabel", labelId = label.Id });
        var job = (await started.Content.ReadFromJsonAsync<BulkJob>())!;
        BulkJob? finished = null;
        await Eventually.TrueAsync(async () =>
            (finished = await ann.GetFromJsonAsync<BulkJob>($"/api/segments/jobs/{job.Id}"))!.Status == BulkJobStatuses.Completed);
        var labelled = await PreviewAsync(ann, All(Condition("labels", "hasAnyOf", new[] { label.Id })));
        var again = await ann.PostAsJsonAsync($"/api/segments/{segment.Id}/actions", new { action = "addLabel", labelId = label.Id });
        var last = labelled.Customers[0].Id;
        var history = await ann.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{last}/history");

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal((60L, 60L, 60L), (finished!.Matched, finished.Processed, finished.Changed));
        Assert.Equal(60, labelled.Count);
        Assert.DoesNotContain(labelled.Customers, c => c.Fields.Name == "Happy");
        // The repeat runs over all 60 again (in the background too) and changes none.
        var repeat = (await again.Content.ReadFromJsonAsync<BulkJob>())!;
        await Eventually.TrueAsync(async () =>
            (repeat = (await ann.GetFromJsonAsync<BulkJob>($"/api/segments/jobs/{repeat.Id}"))!).Status == BulkJobStatuses.Completed);
        Assert.Equal((60L, 0L), (repeat.Processed, repeat.Changed));
        var entry = Assert.Single(history!.Items, c => c.Field == "labels");
        Assert.Equal(("Win-back", (Guid?)annId), (entry.To, entry.ChangedBy));
    }

    [Fact]
    public async Task A_bulk_action_on_a_small_segment_is_done_at_once_and_a_bad_action_is_a_400()
    {
        var ann = await app.SignInAsync("ann");
        var annId = (await ann.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;
        await CustomerAsync("+14155550800", "Owned", 1, new CustomerProfileFields { LifecycleStage = "vip" });
        var filter = All(Condition("lifecycleStage", "equals", "vip"));

        var done = await ann.PostAsJsonAsync("/api/segments/preview/actions", new { action = "setOwner", ownerAgentId = annId, filter });
        var unknownLabel = await ann.PostAsJsonAsync("/api/segments/preview/actions", new { action = "addLabel", labelId = Guid.NewGuid(), filter });
        var unknownAction = await ann.PostAsJsonAsync("/api/segments/preview/actions", new { action = "delete", filter });

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var job = (await done.Content.ReadFromJsonAsync<BulkJob>())!;
        Assert.Equal((BulkJobStatuses.Completed, 1L, 1L), (job.Status, job.Matched, job.Changed));
        Assert.Equal(annId, (await PreviewAsync(ann, filter)).Customers[0].Fields.OwnerAgentId);
        Assert.Equal(HttpStatusCode.BadRequest, unknownLabel.StatusCode);
        Assert.Contains("labelId", (await unknownLabel.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, unknownAction.StatusCode);
    }

    [Fact]
    public async Task The_export_is_a_utf8_csv_with_a_bom_every_match_and_formulas_defused()
    {
        var ann = await app.SignInAsync("ann");
        var label = (await (await ann.PostAsJsonAsync("/api/labels", new { name = "VIP", color = "#1f6feb" })).Content.ReadFromJsonAsync<Label>())!;
        var alice = await CustomerAsync("+14155550900", "Alice 陈", 1, new CustomerProfileFields
        {
            LifecycleStage = "vip", Company = "=HYPERLINK(\"http://evil.test\")", Emails = [new ContactEmail("alice@example.com", true)],
        });
        await CustomerAsync("+14155550901", "Bob", 1, new CustomerProfileFields { LifecycleStage = "lead" });
        await ((ICustomerLabelStore)Store).LabelCustomerAsync(CrmApplication.TestWorkspace, alice, label, true, null, DateTimeOffset.UtcNow);
        await ((ICustomerConsentStore)Store).SetConsentAsync(CrmApplication.TestWorkspace, alice, Channels.WhatsApp,
            new ConsentChange(ConsentStates.OptedOut, ConsentSources.Agent, null), DateTimeOffset.UtcNow);
        var segment = (await (await ann.PostAsJsonAsync("/api/segments", new { name = "VIP export", filter = All(Condition("lifecycleStage", "equals", "vip")) }))
            .Content.ReadFromJsonAsync<SegmentsApi.SegmentView>())!;

        var response = await ann.GetAsync($"/api/segments/{segment.Id}/export");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var lines = Encoding.UTF8.GetString(bytes.AsSpan(3)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("VIP export.csv", response.Content.Headers.ContentDisposition!.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes.Take(3));
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("id,name,phones,emails,language,timeZone,birthday,company,lifecycleStage,", lines[0]);
        Assert.Contains(",labels,consent,", lines[0]);
        Assert.StartsWith($"{alice},Alice 陈,,alice@example.com,", lines[1]);
        Assert.Contains(",\"'=HYPERLINK(\"\"http://evil.test\"\")\",vip,", lines[1]);
        Assert.Contains(",VIP,whatsapp:opted-out,", lines[1]);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
