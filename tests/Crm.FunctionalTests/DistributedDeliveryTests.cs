using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using RabbitMQ.Client;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>What reaches the inbox when the broker or the inbox is not there yet.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class DistributedDeliveryTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly string directory = Directory.CreateTempSubdirectory("crm-distributed-").FullName;

    [Fact]
    public async Task Webhooks_acknowledged_before_any_inbox_process_ever_ran_are_all_stored_once_one_starts()
    {
        await ForgetInboxQueuesAsync();
        var store = Path.Combine(directory, "crm.db");
        var connectorsOnly = Settings("connectors");
        await using var connectors = new CrmApplication(twilio, connectorsOnly, store);
        var sids = Enumerable.Range(0, 20).Select(i => $"SMfresh{i:D2}").ToList();
        foreach (var sid in sids)
            Assert.Equal(HttpStatusCode.OK, (await connectors.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText(sid, "+14155550142", sid))).StatusCode);
        // Handed to RabbitMQ (publisher-confirmed) with no inbox queue declared by any consumer yet.
        await Eventually.TrueAsync(async () => await SpoolDepthAsync(connectors) == 0);

        await using var inbox = new CrmApplication(twilio, Settings("inbox,agents"), store);
        var agent = await inbox.SignInAsync("ann");

        await Eventually.TrueAsync(async () => (await StoredSidsAsync(agent)).Count == sids.Count, async () => string.Join(",", await StoredSidsAsync(agent)) + " db:" + CountRows(store) + " page:" + await agent.GetStringAsync("/api/conversations"));
        Assert.Equal(sids, (await StoredSidsAsync(agent)).Order());
    }

    [Fact]
    public async Task While_the_broker_is_unreachable_webhooks_are_still_acknowledged_and_readiness_says_so()
    {
        var unreachable = Settings("connectors");
        unreachable["ConnectionStrings:RabbitMq"] = "amqp://guest:guest@127.0.0.1:1/";
        await using var connectors = new CrmApplication(twilio, unreachable, Path.Combine(directory, "crm.db"), waitForBus: false);
        var client = connectors.CreateClient();

        var webhook = await connectors.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMnobroker", "+14155550143", "anyone?"));
        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var report = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Unhealthy", report.GetProperty("checks").GetProperty("masstransit-bus").GetProperty("status").GetString());
        Assert.Equal(1, report.GetProperty("checks").GetProperty("spool").GetProperty("data").GetProperty("depth").GetInt64());
    }

    // These tests are about what waits in the queues: nothing may empty them.
    private static Dictionary<string, string?> Settings(string roles) => Distributed.Settings(roles, emptyQueues: false);

    /// <summary>A broker as on a fresh deployment: no inbox queue, no binding.</summary>
    private static async Task ForgetInboxQueuesAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(Distributed.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in new[] { Crm.Contracts.InboxQueues.InboundMessages, Crm.Contracts.InboxQueues.DeliveryStatuses })
        {
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }
    }

    private static string CountRows(string file)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT (SELECT COUNT(*) FROM messages) || '/' || (SELECT COUNT(*) FROM conversations)";
        return cmd.ExecuteScalar()!.ToString()!;
    }

    private static async Task<long> SpoolDepthAsync(CrmApplication app)
    {
        // Read the body whatever the status: the bus may still be starting (503) while the spool is reported.
        var report = await (await app.CreateClient().GetAsync("/health/ready")).Content.ReadFromJsonAsync<JsonElement>();
        return report.GetProperty("checks").GetProperty("spool").GetProperty("data").GetProperty("depth").GetInt64();
    }

    private static async Task<List<string>> StoredSidsAsync(HttpClient agent)
    {
        var sids = new List<string>();
        var page = await agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations");
        foreach (var conversation in page!.Items)
        {
            var timeline = await agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{conversation.Id}/messages?limit=200");
            sids.AddRange(timeline!.Items.Where(m => m.Direction == Directions.Inbound).Select(m => m.ChannelMessageId!));
        }
        return sids;
    }

    public void Dispose()
    {
        twilio.Stop();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
