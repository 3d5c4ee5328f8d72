using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Benchmarks.Hosting;
using Crm.Benchmarks.Measuring;

namespace Crm.Benchmarks.Reads;

/// <summary>
/// Do agents' page reads stay flat as the store grows? Seeds 10k, 100k and 1M messages (<see cref="ReadsSeed"/>),
/// starts Crm Embedded on the store at each size, and times through the HTTP API: the conversation list's first
/// page, its last page (reached by following cursors), the deep conversation's newest timeline page, and a page
/// deep in it (reached by following older cursors); and search (<c>GET /api/search</c>), first page, in the big workspace and
/// in a small one whose few messages are spread through the same file.
/// Written for the keyset API (<c>GET /api/conversations?limit=&amp;cursor=</c> → <c>{items, nextCursor}</c>; timeline
/// <c>?before=</c> → <c>{items, olderCursor}</c>); a list answered as a bare array (the API before keyset cursors)
/// is paged with <c>skip</c> instead, so the benchmark runs against either.
/// </summary>
public static class ReadsBenchmark
{
    private const int PageSize = 50;
    private const int WalkPageSize = 200;

    private sealed record Timing(string Read, double P50Ms, double P95Ms);

    public static async Task RunAsync(BenchArgs args, BenchEnvironment environment)
    {
        var sizes = args.Text("sizes", "10000,100000,1000000").Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var repeats = args.Int("repeats", 50);
        var directory = Directory.CreateTempSubdirectory("crm-bench-reads-").FullName;
        var sqlitePath = Path.Combine(directory, "crm.db");
        var results = new List<(long Size, List<Timing> Timings)>();
        try
        {
            // Crm creates its own tables on start; the seed only inserts into them.
            await (await CrmDeployment.StartAsync(Target.Embedded, environment, sqlitePath)).DisposeAsync();
            var seed = new ReadsSeed(sqlitePath);
            foreach (var size in sizes)
            {
                var seeding = Stopwatch.StartNew();
                seed.GrowTo(size);
                Console.WriteLine($"== reads at {size} messages (seeded in {seeding.Elapsed.TotalSeconds:0} s)");
                await using var crm = await CrmDeployment.StartAsync(Target.Embedded, environment, sqlitePath);
                var timings = await MeasureAsync(crm.Agents!.BaseUrl, repeats);
                results.Add((size, timings));
                ResultsFile.Append("reads", new { messages = size, timings });
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (environment.KeepFiles) Console.WriteLine($"  kept {directory}");
            else try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }

        Console.WriteLine();
        Console.WriteLine($"Page reads, p50 / p95 of {repeats} (load: {AllBenchmarks.Load()})");
        Console.WriteLine("| Read | " + string.Join(" | ", results.Select(r => r.Size.ToString("N0", CultureInfo.InvariantCulture) + " msgs")) + " | largest ÷ smallest p50 |");
        Console.WriteLine("| --- |" + string.Concat(results.Select(_ => " ---: |")) + " ---: |");
        for (var read = 0; read < results[0].Timings.Count; read++)
        {
            var timings = results.Select(r => r.Timings[read]).ToList();
            var growth = timings[^1].P50Ms / timings[0].P50Ms;
            Console.WriteLine($"| {timings[0].Read} | " + string.Join(" | ", timings.Select(t => $"{Report.Ms(t.P50Ms)} / {Report.Ms(t.P95Ms)}"))
                + $" | {growth.ToString("0.0", CultureInfo.InvariantCulture)}× |");
        }
    }

    private static async Task<List<Timing>> MeasureAsync(Uri baseUrl, int repeats)
    {
        using var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await AgentFeed.SignInAsync(baseUrl));
        using var small = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        small.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await SignInAsync(small, ReadsSeed.SmallWorkspaceEmail));

        var firstList = $"api/conversations?limit={PageSize}";
        var lastList = await LastListPageAsync(client);
        var timeline = $"api/conversations/{ReadsSeed.DeepConversationId}/messages";
        var newestTimeline = $"{timeline}?limit={PageSize}";
        var deepTimeline = await DeepTimelinePageAsync(client, timeline);

        return
        [
            await TimeAsync(client, "Conversation list, first page", firstList, repeats),
            await TimeAsync(client, "Conversation list, last page", lastList, repeats),
            await TimeAsync(client, "Deep timeline, newest page", newestTimeline, repeats),
            await TimeAsync(client, "Deep timeline, oldest pages", deepTimeline, repeats),
            // Search, first page: a rare term (seeded texts are numbered: with the prefix match "7777" is in 111 of 1M), part of one customer's phone
            // number, and a word in every message (the worst case: every message matches and is sorted).
            await TimeAsync(client, "Search, a rare term", "api/search?limit=20&q=7777", repeats),
            await TimeAsync(client, "Search, part of a phone number", "api/search?limit=20&q=5560500", repeats),
            await TimeAsync(client, "Search, a word in every message", "api/search?limit=20&q=order", repeats),
            // The small workspace holds one message in 1000 of the file, interleaved with the big one's: the same word is in all of them.
            await TimeAsync(small, "Search, small workspace, rare term", "api/search?limit=20&q=7777", repeats),
            await TimeAsync(small, "Search, small workspace, common word", "api/search?limit=20&q=order", repeats),
        ];
    }

    /// <summary>The request for the list's last page, found by following nextCursor (or skip, before keyset paging).</summary>
    private static async Task<string> LastListPageAsync(HttpClient client)
    {
        var request = $"api/conversations?limit={PageSize}";
        for (var page = 0; page < 10_000; page++)
        {
            var body = await GetJsonAsync(client, request);
            if (body.ValueKind == JsonValueKind.Array)
            {
                // The list before keyset cursors: a plain array, paged by offset.
                var lastOffset = (ReadsSeed.Conversations + 1) / PageSize * PageSize;
                return $"api/conversations?limit={PageSize}&skip={lastOffset}";
            }
            if (Cursor(body, "nextCursor") is not { } next) return request;
            request = $"api/conversations?limit={PageSize}&cursor={Uri.EscapeDataString(next)}";
        }
        throw new InvalidOperationException("The conversation list never ended: is nextCursor moving?");
    }

    /// <summary>The request for a page near the start of the deep conversation, found by following olderCursor.</summary>
    private static async Task<string> DeepTimelinePageAsync(HttpClient client, string timeline)
    {
        var request = $"{timeline}?limit={WalkPageSize}";
        var deepest = $"{timeline}?limit={PageSize}";
        for (var page = 0; page < 10_000; page++)
        {
            var body = await GetJsonAsync(client, request);
            if (Cursor(body, "olderCursor") is not { } older) return deepest;
            deepest = $"{timeline}?limit={PageSize}&before={Uri.EscapeDataString(older)}";
            request = $"{timeline}?limit={WalkPageSize}&before={Uri.EscapeDataString(older)}";
        }
        throw new InvalidOperationException("The timeline never ended: is olderCursor moving?");
    }

    private static async Task<string> SignInAsync(HttpClient client, string email)
    {
        using var response = await client.PostAsJsonAsync("api/auth/sign-in", new { email, password = AgentFeed.BenchPassword });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("token").GetString() ?? throw new InvalidOperationException("The sign-in returned no token.");
    }

    private static string? Cursor(JsonElement page, string name)
        => page.ValueKind == JsonValueKind.Object && page.TryGetProperty(name, out var cursor) && cursor.ValueKind == JsonValueKind.String
            ? cursor.GetString()
            : null;

    internal static async Task<JsonElement> GetJsonAsync(HttpClient client, string request)
    {
        using var response = await client.GetAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {request} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        await using var stream = await response.Content.ReadAsStreamAsync();
        return (await JsonDocument.ParseAsync(stream)).RootElement.Clone();
    }

    private static async Task<Timing> TimeAsync(HttpClient client, string name, string request, int repeats)
    {
        for (var i = 0; i < 5; i++) await GetJsonAsync(client, request);
        var timings = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            timings[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        var timing = new Timing(name, Percentiles.Of(timings, 50), Percentiles.Of(timings, 95));
        Console.WriteLine($"  {name,-34} p50 {Report.Ms(timing.P50Ms)}  p95 {Report.Ms(timing.P95Ms)}");
        return timing;
    }
}
