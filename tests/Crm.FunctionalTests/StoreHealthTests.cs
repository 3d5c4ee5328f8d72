using System.Net;
using System.Text.Json;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>An unreachable store makes a process not ready (take it out of the load balancer), not dead.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class StoreHealthTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();

    [Fact]
    public async Task An_agents_process_whose_store_is_unreachable_starts_live_but_not_ready()
    {
        var settings = Distributed.Settings("agents", emptyQueues: false);
        settings["Crm:Store"] = "Mongo";
        // Nothing listens on port 1: every store call fails fast.
        settings["ConnectionStrings:Mongo"] = "mongodb://127.0.0.1:1/crm?serverSelectionTimeoutMS=500&connectTimeoutMS=500";
        await using var app = new CrmApplication(twilio, settings);
        using var client = app.CreateClient();

        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Unhealthy", report.RootElement.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_process_started_before_its_store_is_reachable_becomes_ready_once_it_is()
    {
        var root = Directory.CreateTempSubdirectory("crm-late-store-").FullName;
        try
        {
            // The store's volume is not mounted yet: SQLite cannot create its file in a directory that does not exist.
            var volume = Path.Combine(root, "volume");
            await using var app = new CrmApplication(twilio, Distributed.Settings("agents,inbox"),
                sqliteFile: Path.Combine(volume, "crm.db"), spoolFile: Path.Combine(root, "spool.db"));
            using var client = app.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);

            Directory.CreateDirectory(volume);

            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while ((await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK && !guard.IsCancellationRequested)
                await Task.Delay(200);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    public void Dispose() => twilio.Stop();
}
