using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Benchmarks.Hosting;
using Crm.Benchmarks.Measuring;
using Crm.Benchmarks.Reads;

namespace Crm.Benchmarks.Segments;

/// <summary>
/// Is a segment live at scale? Seeds --messages (1M) messages (<see cref="ReadsSeed"/>) and --customers (100k) customers
/// (<see cref="SegmentsSeed"/>) into one SQLite file, starts Crm Embedded on it and times through the HTTP API what the filter
/// builder asks for: <c>POST /api/segments/preview</c> (the count and the first page of 50, in one answer) for the
/// 3-condition segment "VIP, no inbound for 60 days, not opted out on WhatsApp"; its second page; and the built-in
/// dormant segment's count and first page. Target: count and first page under 200 ms.
/// </summary>
public static class SegmentsBenchmark
{
    public const double TargetMs = 200;

    private static readonly object VipSilent = new
    {
        op = "and",
        conditions = new object[]
        {
            new { field = "lifecycleStage", @operator = "equals", value = "vip" },
            new { field = "lastInboundAt", @operator = "moreThanDaysAgo", value = 60 },
            new { field = "consent.whatsapp", @operator = "notEquals", value = "opted-out" },
        },
    };

    private sealed record Timing(string Read, long Count, double P50Ms, double P95Ms);

    public static async Task RunAsync(BenchArgs args, BenchEnvironment environment)
    {
        var messages = args.Int("messages", 1_000_000);
        var customers = args.Int("customers", 100_000);
        var repeats = args.Int("repeats", 30);
        var directory = Directory.CreateTempSubdirectory("crm-bench-segments-").FullName;
        var sqlitePath = Path.Combine(directory, "crm.db");
        try
        {
            // Crm creates its tables (and indexes) on start; the seeds only insert.
            await (await CrmDeployment.StartAsync(Target.Embedded, environment, sqlitePath)).DisposeAsync();
            var seeding = Stopwatch.StartNew();
            new ReadsSeed(sqlitePath).GrowTo(messages);
            SegmentsSeed.AddCustomers(sqlitePath, ReadsSeed.Workspace, customers);
            Console.WriteLine($"== segments over {customers:N0} customers, {messages:N0} messages (seeded in {seeding.Elapsed.TotalSeconds:0} s)");
            await using var crm = await CrmDeployment.StartAsync(Target.Embedded, environment, sqlitePath);
            var timings = await MeasureAsync(crm.Agents!.BaseUrl, repeats);
            ResultsFile.Append("segments", new { customers, messages, timings });

            Console.WriteLine();
            Console.WriteLine($"Segment reads, p50 / p95 of {repeats}, {customers:N0} customers and {messages:N0} messages (load: {AllBenchmarks.Load()})");
            Console.WriteLine("| Read | matches | p50 / p95 | target < 200 ms (p50) |");
            Console.WriteLine("| --- | ---: | --- | --- |");
            foreach (var t in timings)
                Console.WriteLine($"| {t.Read} | {t.Count.ToString("N0", CultureInfo.InvariantCulture)} | {Report.Ms(t.P50Ms)} / {Report.Ms(t.P95Ms)} | {Report.Check(t.P50Ms < TargetMs)} |");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (environment.KeepFiles) Console.WriteLine($"  kept {directory}");
            else try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<List<Timing>> MeasureAsync(Uri baseUrl, int repeats)
    {
        using var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await AgentFeed.SignInAsync(baseUrl));
        var first = await PreviewAsync(client, VipSilent, null);
        var next = first.GetProperty("nextCursor").GetString();
        return
        [
            await TimeAsync("VIP, silent 60 days, not opted out: count + first page", repeats, () => PreviewAsync(client, VipSilent, null)),
            await TimeAsync("The same, second page (+ count)", repeats, () => PreviewAsync(client, VipSilent, next)),
            await TimeAsync("Built-in dormant (90 days): count + first page", repeats,
                () => ReadsBenchmark.GetJsonAsync(client, "api/segments/00000000-0000-0000-0000-00000000d001/customers?limit=50")),
        ];
    }

    private static async Task<JsonElement> PreviewAsync(HttpClient client, object filter, string? after)
    {
        using var response = await client.PostAsJsonAsync("api/segments/preview", new { filter, after, limit = 50 });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST api/segments/preview answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
    }

    private static async Task<Timing> TimeAsync(string name, int repeats, Func<Task<JsonElement>> read)
    {
        long count = 0;
        for (var i = 0; i < 3; i++) count = (await read()).GetProperty("count").GetInt64();
        var timings = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await read();
            timings[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        var timing = new Timing(name, count, Percentiles.Of(timings, 50), Percentiles.Of(timings, 95));
        Console.WriteLine($"  {name,-58} {count,8:N0} matches  p50 {Report.Ms(timing.P50Ms)}  p95 {Report.Ms(timing.P95Ms)}");
        return timing;
    }
}
