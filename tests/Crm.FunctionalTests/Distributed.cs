using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Timelines;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// Settings for Distributed mode against the RabbitMQ and Redis servers that deploy/test.sh starts
/// (CRM_TEST_RABBITMQ / CRM_TEST_REDIS override where they are). The store stays SQLite because no
/// MongoDB server can run here.
/// </summary>
public static class Distributed
{
    public static string RabbitMq => Environment.GetEnvironmentVariable("CRM_TEST_RABBITMQ") ?? "amqp://guest:guest@localhost:5672/";
    public static string Redis => Environment.GetEnvironmentVariable("CRM_TEST_REDIS") ?? "localhost:6379";

    /// <summary>
    /// Settings for one Crm process of a test. With <paramref name="emptyQueues"/>, Crm's queues are emptied first,
    /// so nothing an earlier test left behind is delivered into this one. (Crm itself never purges: MassTransit's
    /// purge-on-start runs again on every reconnection, and would drop what a broker restart left in the queues.)
    /// </summary>
    public static Dictionary<string, string?> Settings(string roles = "all", bool emptyQueues = true)
    {
        if (emptyQueues) EmptyCrmQueues();
        return new()
        {
            ["Crm:Mode"] = "Distributed",
            ["Crm:Roles"] = roles,
            ["Crm:Store"] = "Sqlite",
            ["ConnectionStrings:RabbitMq"] = RabbitMq,
            ["ConnectionStrings:Redis"] = Redis,
        };
    }

    private static void EmptyCrmQueues()
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(RabbitMq) };
        using var connection = factory.CreateConnectionAsync().GetAwaiter().GetResult();
        foreach (var queue in new[] { InboxQueues.InboundMessages, InboxQueues.DeliveryStatuses, CommandQueues.WhatsAppOutbound })
        {
            // A channel per queue: purging a queue that does not exist yet closes the channel.
            using var channel = connection.CreateChannelAsync().GetAwaiter().GetResult();
            try
            {
                channel.QueuePurgeAsync(queue).GetAwaiter().GetResult();
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not declared yet: nothing to empty.
            }
        }
    }
}

/// <summary>These tests share RabbitMQ's queues, so they never run at the same time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RabbitMqCollection
{
    public const string Name = "RabbitMQ";
}

[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqConversationFlowTests : ConversationFlow
{
    protected override CrmApplication CreateApplication() => new(Twilio, Distributed.Settings());
}

[Collection(RabbitMqCollection.Name)]
public sealed class ScaledOutTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly string directory = Directory.CreateTempSubdirectory("crm-scaled-").FullName;

    [Fact]
    public async Task An_agent_on_one_process_sees_messages_handled_by_another()
    {
        twilio.AcceptsMessages("SMscaled000000000000000000000000001");
        var sharedStore = Path.Combine(directory, "crm.db");
        await using var workers = new CrmApplication(twilio, Distributed.Settings("connectors,inbox"), sharedStore);
        await using var agentsEdge = new CrmApplication(twilio, Distributed.Settings("agents"), sharedStore);
        var webhooks = workers.CreateClient();
        var agent = await agentsEdge.SignInAsync("bo");
        await using var feed = await agentsEdge.ConnectAgentAsync(agent);

        // The agents process runs no consumers and serves no webhooks: what reaches this agent came
        // through RabbitMQ to the workers and back through the Redis backplane.
        Assert.Equal(HttpStatusCode.NotFound, (await agent.PostAsync(CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp"), new FormUrlEncodedContent([]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await workers.PostFromTwilioAsync("/webhooks/twilio/whatsapp",
            TwilioFakes.WhatsAppText("SMscaled-in", "+14155550177", "anyone there?"))).StatusCode);
        var inbound = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMscaled-in");

        var reply = await (await agent.PostAsJsonAsync($"/api/conversations/{inbound.ConversationId}/messages", new { text = "Bo here" }))
            .Content.ReadFromJsonAsync<TimelineMessage>();

        Assert.Equal("To=whatsapp%3A%2B14155550177", (await twilio.WaitForSendRequestsAsync(1)).Single().RequestMessage.Body!.Split('&')[0]);
        await feed.MessageStatusAsync(m => m.Id == reply!.Id && m.Status == MessageStatuses.Queued);
    }

    public void Dispose()
    {
        twilio.Stop();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
