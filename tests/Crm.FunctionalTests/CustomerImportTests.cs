using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Crm.Inbox.Customers;
using Crm.Inbox.Customers.Import;
using Crm.Inbox.Storage;
using Crm.Inbox.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;
using Xunit.Abstractions;
using View = Crm.Inbox.Customers.Import.CustomerImportsApi.CustomerImportView;

namespace Crm.FunctionalTests;

/// <summary>
/// The CSV import through the real pipeline: upload, mapping, the background worker, the rejected rows report, live progress
/// over the hub, dedupe, resuming after a crash without applying a row twice, and workspace isolation.
/// </summary>
public sealed class CustomerImportTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000fa");
    private readonly WireMockServer twilio = WireMockServer.Start();
    private CrmApplication app = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient agent, byte[] file, string name = "customers.csv")
    {
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(part, "file", name);
        return await agent.PostAsync("/api/customers/imports", form);
    }

    private static async Task<View> UploadedAsync(HttpClient agent, string csv)
    {
        var response = await UploadAsync(agent, Encoding.UTF8.GetBytes(csv));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<View>())!;
    }

    private static async Task MapAsync(HttpClient agent, Guid id, object mapping)
    {
        var response = await agent.PutAsJsonAsync($"/api/customers/imports/{id}/mapping", mapping);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<View> RunAsync(HttpClient agent, Guid id)
    {
        var started = await agent.PostAsync($"/api/customers/imports/{id}/start", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return await FinishedAsync(agent, id);
    }

    private static async Task<View> FinishedAsync(HttpClient agent, Guid id)
    {
        View? seen = null;
        await Eventually.TrueAsync(async () =>
        {
            seen = await agent.GetFromJsonAsync<View>($"/api/customers/imports/{id}");
            return ImportStatuses.IsFinished(seen!.Status);
        }, () => Task.FromResult($"The import is {seen?.Status} at {seen?.Processed}/{seen?.Total}."));
        return seen!;
    }

    private static async Task<List<CustomerProfile>> CustomersAsync(HttpClient agent)
        => (await agent.GetFromJsonAsync<CustomersApi.CustomerPage>("/api/customers?limit=200"))!.Items.ToList();

    [Fact]
    public async Task A_csv_with_good_and_bad_rows_creates_the_good_customers_and_reports_every_reason_for_the_bad_ones()
    {
        var ann = await app.SignInAsync("ann");
        var upload = await UploadedAsync(ann, """
            姓名,电话,Email,Company,Birthday
            张三,138 0013 8000,zhang@example.com,Acme,1990-03-04
            "=HYPERLINK(""http://evil"")",12,not-an-email,Evil,
            Li Si,+86 139 0013 9000,,"Beta, Inc",
            Wang,+86 139,wang@example.com,,2999-01-01
            """);

        Assert.Equal(ImportStatuses.Mapping, upload.Status);
        Assert.Equal(["姓名", "电话", "Email", "Company", "Birthday"], upload.Headers);
        Assert.Equal(4, upload.Total);
        Assert.Equal(("name", "phone", "email"), (upload.SuggestedMapping["姓名"], upload.SuggestedMapping["电话"], upload.SuggestedMapping["Email"]));
        Assert.Equal("Beta, Inc", upload.Preview[2][3]);

        await MapAsync(ann, upload.Id, new
        {
            columns = new Dictionary<string, string?> { ["姓名"] = "name", ["电话"] = "phone", ["Email"] = "email", ["Company"] = "company", ["Birthday"] = "birthday" },
            dedupe = new { on = "phone", whenFound = "update" },
            defaultCountry = "CN",
        });
        var done = await RunAsync(ann, upload.Id);

        Assert.Equal(ImportStatuses.Completed, done.Status);
        Assert.Equal((4, 2, 0, 0, 2), (done.Processed, done.Created, done.Updated, done.Skipped, done.Rejected));
        var customers = await CustomersAsync(ann);
        Assert.Equal(["Li Si", "张三"], customers.Select(c => c.Fields.Name).Order(StringComparer.Ordinal));
        var zhang = customers.Single(c => c.Fields.Name == "张三");
        Assert.Equal(["+8613800138000"], zhang.Fields.Phones.Select(p => p.Number));
        Assert.Equal(("Acme", new DateOnly(1990, 3, 4)), (zhang.Fields.Company, zhang.Fields.Birthday!.Value));

        var report = await ann.GetAsync($"/api/customers/imports/{upload.Id}/rejected.csv");
        var text = await report.Content.ReadAsStringAsync();
        output.WriteLine(text);
        Assert.Equal("text/csv", report.Content.Headers.ContentType!.MediaType);
        var lines = text.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Row,Reasons,姓名,电话,Email,Company,Birthday", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("2,", lines[1]);
        Assert.Contains("电话: Must be a valid phone number", lines[1]);
        Assert.Contains("Email: Must be a valid email address", lines[1]);
        // The formula is written as text, so a spreadsheet opening the report does not run it.
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil\"\")\"", lines[1]);
        Assert.StartsWith("4,", lines[2]);
        Assert.Contains("Birthday: Cannot be in the future", lines[2]);
    }

    [Fact]
    public async Task Dedupe_update_changes_only_the_mapped_non_empty_cells_as_a_change_by_the_importing_agent()
    {
        var ann = await app.SignInAsync("ann");
        var annId = (await ann.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;
        await using var feed = await app.ConnectAgentAsync(ann);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMimport1", "+14155550100", "hi", profileName: "Alice"));
        var alice = (await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMimport1")).CustomerId;
        var patched = await ann.PatchAsJsonAsync($"/api/customers/{alice}", new { version = 0, notes = "Met at the fair" });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);

        var upload = await UploadedAsync(ann, "WhatsApp;Name;Company;Notes\n+1 415 555 0100;;Acme;\n+1 415 555 0111;Bob;Beta;new\n");
        Assert.Equal(";", upload.Delimiter);
        await MapAsync(ann, upload.Id, new
        {
            columns = new Dictionary<string, string?> { ["WhatsApp"] = "whatsapp", ["Name"] = "name", ["Company"] = "company", ["Notes"] = "notes" },
            dedupe = new { on = "identity", whenFound = "update" },
        });
        var done = await RunAsync(ann, upload.Id);

        Assert.Equal((1, 1, 0), (done.Created, done.Updated, done.Rejected));
        var details = (await ann.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{alice}"))!.Profile;
        Assert.Equal(("Alice", "Acme", "Met at the fair"), (details.Fields.Name, details.Fields.Company, details.Fields.Notes));
        var history = await ann.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{alice}/history");
        Assert.Contains(history!.Items, c => c is { Field: "company", To: "Acme" } && c.ChangedBy == annId);

        // Bob's number is now his WhatsApp identity: his first message lands on the imported profile.
        var bob = (await CustomersAsync(ann)).Single(c => c.Fields.Name == "Bob");
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMimport2", "+14155550111", "hello", profileName: "Bob"));
        Assert.Equal(bob.Id, (await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMimport2")).CustomerId);
    }

    [Fact]
    public async Task A_customer_imported_with_a_known_customers_verified_phone_as_whatsapp_number_is_suggested_for_merging_with_them()
    {
        var ann = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(ann);
        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMimport3", "+14155550100", "hi", profileName: "Alice"));
        var alice = (await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMimport3")).CustomerId;
        var patched = await ann.PatchAsJsonAsync($"/api/customers/{alice}", new { version = 0, phones = new[] { new { number = "+14155550199", verified = true } } });
        Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());

        // Her second number, in a spreadsheet as a WhatsApp number (a channel identity: verified as every identity is).
        var upload = await UploadedAsync(ann, "Name,WhatsApp\nAlice Work,+1 415 555 0199\n");
        await MapAsync(ann, upload.Id, new
        {
            columns = new Dictionary<string, string?> { ["Name"] = "name", ["WhatsApp"] = "whatsapp" },
            dedupe = new { on = "identity", whenFound = "update" },
        });
        var done = await RunAsync(ann, upload.Id);

        Assert.Equal((1, 0, 0), (done.Created, done.Updated, done.Rejected));
        var imported = (await CustomersAsync(ann)).Single(c => c.Fields.Name == "Alice Work");
        var suggested = (await ann.GetFromJsonAsync<MergeSuggestions.SuggestionList>($"/api/customers/{alice}/merge-suggestions"))!.Items;
        var suggestion = Assert.Single(suggested);
        Assert.Equal(imported.Id, suggestion.Customer.Id);
        Assert.Equal([new MatchReason(MatchKinds.VerifiedPhone, "+14155550199", "+14155550199")], suggestion.Reasons);
        var pairs = (await ann.GetFromJsonAsync<MergeSuggestions.PairPage>("/api/customers/merge-suggestions"))!.Items;
        var pair = Assert.Single(pairs);
        Assert.Equal(new HashSet<Guid> { alice, imported.Id }, new HashSet<Guid> { pair.First.Id, pair.Second.Id });
    }

    [Fact]
    public async Task Dedupe_skip_leaves_a_known_customer_untouched_and_counts_the_row_as_skipped()
    {
        var ann = await app.SignInAsync("ann");
        var first = await UploadedAsync(ann, "Email,Name\nann@example.com,Ann\n");
        var mapping = new
        {
            columns = new Dictionary<string, string?> { ["Email"] = "email", ["Name"] = "name" },
            dedupe = new { on = "email", whenFound = "skip" },
        };
        await MapAsync(ann, first.Id, mapping);
        await RunAsync(ann, first.Id);

        var second = await UploadedAsync(ann, "Email,Name\nANN@example.com,Annie\nbo@example.com,Bo\n");
        await MapAsync(ann, second.Id, mapping);
        var done = await RunAsync(ann, second.Id);

        Assert.Equal((1, 0, 1), (done.Created, done.Updated, done.Skipped));
        Assert.Equal(["Ann", "Bo"], (await CustomersAsync(ann)).Select(c => c.Fields.Name).Order());
    }

    [Fact]
    public async Task A_bad_file_or_mapping_is_refused_with_the_reason_and_nothing_starts_without_a_mapping()
    {
        var ann = await app.SignInAsync("ann");

        var latin1 = await UploadAsync(ann, [.. "Name\n"u8.ToArray(), 0xE9, (byte)'\n']);
        var empty = await UploadAsync(ann, []);
        var noFile = await ann.PostAsync("/api/customers/imports", new MultipartFormDataContent { { new StringContent("x"), "note" } });
        var notMultipart = await ann.PostAsJsonAsync("/api/customers/imports", new { file = "Name\nAnn" });
        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest],
            new[] { latin1.StatusCode, empty.StatusCode, noFile.StatusCode, notMultipart.StatusCode });
        Assert.Contains("UTF-8", await latin1.Content.ReadAsStringAsync());

        var upload = await UploadedAsync(ann, "Name,Phone\nAnn,+8613800138000\n");
        var early = await ann.PostAsync($"/api/customers/imports/{upload.Id}/start", null);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        var badMapping = await ann.PutAsJsonAsync($"/api/customers/imports/{upload.Id}/mapping", new
        {
            columns = new Dictionary<string, string?> { ["Name"] = "shoe size", ["Fax"] = "phone" },
            dedupe = new { on = "phone", whenFound = "update" },
        });
        var problems = await badMapping.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ValidationProblemDetails>();
        Assert.Equal(HttpStatusCode.BadRequest, badMapping.StatusCode);
        Assert.Equal(["columns.Fax", "columns.Name", "dedupe.on"], problems!.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, (await ann.PutAsync($"/api/customers/imports/{upload.Id}/mapping", null)).StatusCode);
    }

    [Fact]
    public async Task A_file_over_50_mb_is_refused_with_413()
    {
        var ann = await app.SignInAsync("ann");
        var file = new byte[(int)CustomerImportsApi.MaxFileBytes + 1];
        Array.Fill(file, (byte)'a');

        var response = await UploadAsync(ann, file);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Progress_is_pushed_live_to_the_workspace_and_another_workspace_never_sees_the_import()
    {
        var ann = await app.SignInAsync("ann");
        var stranger = await app.SignInAsync("stranger", OtherWorkspace, AgentRoles.Admin);
        await using var annFeed = await app.ConnectAgentAsync(ann);
        await using var strangerFeed = await app.ConnectAgentAsync(stranger);
        var csv = new StringBuilder("Name,Phone\n");
        for (var i = 0; i < 1200; i++) csv.Append($"Customer {i},+14152{i:000000}\n");
        var upload = await UploadedAsync(ann, csv.ToString());
        await MapAsync(ann, upload.Id, new { columns = new Dictionary<string, string?> { ["Name"] = "name", ["Phone"] = "phone" }, dedupe = new { on = "phone", whenFound = "update" } });

        await ann.PostAsync($"/api/customers/imports/{upload.Id}/start", null);
        var final = await annFeed.ImportProgressedAsync(p => p.Id == upload.Id && p.Status == ImportStatuses.Completed);

        Assert.Equal((1200, 1200, 1200, 0), (final.Processed, final.Total, final.Created + final.Rejected, final.Skipped));
        Assert.Empty(strangerFeed.All("CustomerImportProgressed"));
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/customers/imports/{upload.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/customers/imports/{upload.Id}/rejected.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"/api/customers/imports/{upload.Id}/cancel", null)).StatusCode);
        Assert.Empty((await stranger.GetFromJsonAsync<CustomerImportsApi.CustomerImportList>("/api/customers/imports"))!.Items);
        Assert.Equal([upload.Id], (await ann.GetFromJsonAsync<CustomerImportsApi.CustomerImportList>("/api/customers/imports"))!.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task An_import_whose_process_crashed_right_after_a_chunk_is_resumed_by_another_process_with_no_row_applied_twice()
    {
        await app.DisposeAsync();
        var file = Path.Combine(Directory.CreateTempSubdirectory("crm-import-").FullName, "crm.db");
        var settings = new Dictionary<string, string?> { ["Crm:CustomerImports:ChunkSize"] = "100", ["Crm:CustomerImports:Lease"] = "00:00:01" };
        var crash = new CrashAfterChunks(2);
        Guid id;
        await using (var first = new CrmApplication(twilio, settings, file, services =>
                         services.AddSingleton<ICustomerImportStore>(provider => new CrashingImportStore(
                             (ICustomerImportStore)provider.GetRequiredService<IInboxStore>(), crash))))
        {
            var ann = await first.SignInAsync("ann");
            var csv = new StringBuilder("Name,Phone\n");
            for (var i = 0; i < 450; i++) csv.Append($"Customer {i},+14152{i:000000}\n");
            var upload = await UploadedAsync(ann, csv.ToString());
            id = upload.Id;
            await MapAsync(ann, id, new { columns = new Dictionary<string, string?> { ["Name"] = "name", ["Phone"] = "phone" }, dedupe = new { on = "phone", whenFound = "update" } });
            await ann.PostAsync($"/api/customers/imports/{id}/start", null);
            await crash.Crashed.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // The second chunk was committed before the crash: its rows are in, and the checkpoint says so.
            var atCrash = await ann.GetFromJsonAsync<View>($"/api/customers/imports/{id}");
            Assert.Equal((ImportStatuses.Running, 200, 200), (atCrash!.Status, atCrash.Processed, atCrash.Created));
        }

        await using var second = new CrmApplication(twilio, settings, file);
        var agent = await second.SignInAsync("ann");
        var done = await FinishedAsync(agent, id);

        Assert.Equal((ImportStatuses.Completed, 450, 450, 0, 0), (done.Status, done.Processed, done.Created, done.Updated, done.Rejected));
        var all = await second.Services.GetRequiredService<ICustomerProfileStore>().ListProfilesAsync(CrmApplication.TestWorkspace, null, 1000);
        Assert.Equal(450, all.Count);
        Assert.Equal(450, all.SelectMany(c => c.Fields.Phones).Select(p => p.Number).Distinct().Count());
    }

    [Fact]
    public async Task Cancelling_a_running_import_keeps_the_rows_already_applied_and_stops_the_rest()
    {
        await app.DisposeAsync();
        var pause = new CrashAfterChunks(1, crash: false);
        app = new CrmApplication(twilio, new Dictionary<string, string?> { ["Crm:CustomerImports:ChunkSize"] = "100" }, testServices: services =>
            services.AddSingleton<ICustomerImportStore>(provider => new CrashingImportStore((ICustomerImportStore)provider.GetRequiredService<IInboxStore>(), pause)));
        var ann = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(ann);
        var csv = new StringBuilder("Name,Phone\n");
        for (var i = 0; i < 300; i++) csv.Append($"Customer {i},+14152{i:000000}\n");
        var upload = await UploadedAsync(ann, csv.ToString());
        await MapAsync(ann, upload.Id, new { columns = new Dictionary<string, string?> { ["Name"] = "name", ["Phone"] = "phone" }, dedupe = new { on = "phone", whenFound = "update" } });
        await ann.PostAsync($"/api/customers/imports/{upload.Id}/start", null);
        await pause.Crashed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var cancelled = await ann.PostAsync($"/api/customers/imports/{upload.Id}/cancel", null);
        var pushed = await feed.ImportProgressedAsync(p => p.Id == upload.Id && p.Status == ImportStatuses.Cancelled);
        pause.Release();
        var done = await FinishedAsync(ann, upload.Id);
        await Task.Delay(500);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal((ImportStatuses.Cancelled, 100), (done.Status, done.Created));
        Assert.Equal(100, pushed.Processed);
        Assert.Equal(100, (await app.Services.GetRequiredService<ICustomerProfileStore>().ListProfilesAsync(CrmApplication.TestWorkspace, null, 1000)).Count);
        Assert.Equal(HttpStatusCode.Conflict, (await ann.PostAsync($"/api/customers/imports/{upload.Id}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Ten_thousand_rows_import_through_the_worker()
    {
        var ann = await app.SignInAsync("ann");
        var csv = new StringBuilder("Name,Phone,Email,Company\n");
        for (var i = 0; i < 10_000; i++) csv.Append($"Customer {i},+14152{i:000000},c{i}@example.com,Company {i % 50}\n");
        var upload = await UploadedAsync(ann, csv.ToString());
        await MapAsync(ann, upload.Id, new
        {
            columns = new Dictionary<string, string?> { ["Name"] = "name", ["Phone"] = "phone", ["Email"] = "email", ["Company"] = "company" },
            dedupe = new { on = "phone", whenFound = "update" },
            defaultCountry = "US",
        });

        var clock = Stopwatch.StartNew();
        var done = await RunAsync(ann, upload.Id);
        output.WriteLine($"10,000 rows imported in {clock.Elapsed.TotalSeconds:0.0} s ({done.Created} created, {done.Rejected} rejected).");

        Assert.Equal(ImportStatuses.Completed, done.Status);
        Assert.Equal(10_000, done.Processed);
        Assert.Equal(10_000, done.Created + done.Rejected);
    }

    /// <summary>Tells the store wrapper when to stop: after <paramref name="chunks"/> chunks committed.</summary>
    private sealed class CrashAfterChunks(int chunks, bool crash = true)
    {
        private readonly SemaphoreSlim released = new(0);
        private int applied;

        public TaskCompletionSource Crashed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => released.Release();

        /// <summary>After a chunk committed: the crash (this process is dead from here on), or a pause until released.</summary>
        public async Task AfterCommitAsync()
        {
            if (Interlocked.Increment(ref applied) != chunks) return;
            Crashed.TrySetResult();
            if (crash) throw new IOException("The process died right after committing a chunk.");
            await released.WaitAsync();
        }

        public bool IsDead => crash && Crashed.Task.IsCompleted;
    }

    /// <summary>The real store, except that after the chosen chunk this process "dies": every later call fails.</summary>
    private sealed class CrashingImportStore(ICustomerImportStore inner, CrashAfterChunks crash) : ICustomerImportStore
    {
        private T Alive<T>(T value) => crash.IsDead ? throw new IOException("This process is dead.") : value;

        public Task CreateImportAsync(CustomerImport import, ReadOnlyMemory<byte> file, CancellationToken ct = default) => inner.CreateImportAsync(import, file, ct);
        public Task<CustomerImport?> GetImportAsync(Guid workspaceId, Guid importId, CancellationToken ct = default) => inner.GetImportAsync(workspaceId, importId, ct);
        public Task<IReadOnlyList<CustomerImport>> ListImportsAsync(Guid workspaceId, int take, CancellationToken ct = default) => inner.ListImportsAsync(workspaceId, take, ct);

        public Task<ImportChangeResult> SaveImportMappingAsync(Guid workspaceId, Guid importId, ImportMapping mapping, CancellationToken ct = default)
            => inner.SaveImportMappingAsync(workspaceId, importId, mapping, ct);

        public Task<ImportChangeResult> StartImportAsync(Guid workspaceId, Guid importId, DateTimeOffset now, CancellationToken ct = default)
            => inner.StartImportAsync(workspaceId, importId, now, ct);

        public Task<ImportChangeResult> CancelImportAsync(Guid workspaceId, Guid importId, DateTimeOffset now, CancellationToken ct = default)
            => inner.CancelImportAsync(workspaceId, importId, now, ct);

        public Task<CustomerImport?> ClaimImportAsync(string worker, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct = default)
            => Alive(inner).ClaimImportAsync(worker, now, leaseUntil, ct);

        public Task<byte[]?> ReadImportFileAsync(Guid importId, CancellationToken ct = default) => Alive(inner).ReadImportFileAsync(importId, ct);

        public async Task<CustomerImport?> ApplyImportChunkAsync(ImportChunk chunk, CancellationToken ct = default)
        {
            var applied = await Alive(inner).ApplyImportChunkAsync(chunk, ct);
            await crash.AfterCommitAsync();
            return applied;
        }

        public Task<bool> FinishImportAsync(Guid importId, string worker, string status, string? failure, DateTimeOffset now, CancellationToken ct = default)
            => Alive(inner).FinishImportAsync(importId, worker, status, failure, now, ct);

        public Task<IReadOnlyList<ImportRejection>> ListImportRejectionsAsync(Guid workspaceId, Guid importId, int afterRow, int take, CancellationToken ct = default)
            => inner.ListImportRejectionsAsync(workspaceId, importId, afterRow, take, ct);
    }
}
