using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using MassTransit;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A webhook is acknowledged once it is on the connectors' disk, and reaches the inbox whatever the bus does meanwhile.</summary>
public sealed class WebhookSpoolTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();

    [Fact]
    public async Task A_webhook_taken_while_the_bus_refuses_messages_is_acknowledged_and_reaches_the_inbox_once_it_is_back()
    {
        var outage = new BusOutage { Down = true };
        await using var app = new CrmApplication(twilio, testServices: services => services.AddPublishObserver(_ => outage));
        var agent = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(agent);

        var during = await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMoutage", "+14155550100", "are you open?"));
        Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        await outage.RefusedAsync();
        Assert.Empty((await agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);

        outage.Down = false;

        var added = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMoutage");
        var timeline = await agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{added.ConversationId}/messages");
        Assert.Equal(["are you open?"], timeline!.Items.Where(m => m.Direction == Directions.Inbound).Select(m => m.Text));
    }

    [Fact]
    public async Task A_webhook_acknowledged_by_a_process_that_stopped_before_handing_it_on_is_stored_after_the_restart()
    {
        var directory = Directory.CreateTempSubdirectory("crm-restart-").FullName;
        var store = Path.Combine(directory, "crm.db");
        var spool = Path.Combine(directory, "spool.db");
        var outage = new BusOutage { Down = true };
        await using (var before = new CrmApplication(twilio, sqliteFile: store, spoolFile: spool,
                         testServices: services => services.AddPublishObserver(_ => outage)))
        {
            var acknowledged = await before.PostFromTwilioAsync("/webhooks/twilio/whatsapp",
                TwilioFakes.WhatsAppText("SMbeforecrash", "+14155550100", "hello before the restart"));
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
            await outage.RefusedAsync();
        }

        await using var after = new CrmApplication(twilio, sqliteFile: store, spoolFile: spool);
        var agent = await after.SignInAsync("ann");

        // Read back through the API: the restarted process may store it before any agent is connected to see a push.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var stored = await agent.GetStringAsync("/api/conversations");
        while (!stored.Contains("hello before the restart") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            stored = await agent.GetStringAsync("/api/conversations");
        }
        Assert.Contains("hello before the restart", stored);
    }

    [Fact]
    public async Task The_spool_forgets_a_webhook_once_the_inbox_has_stored_it()
    {
        await using var app = new CrmApplication(twilio);
        var agent = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(agent);

        await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMforget", "+14155550100", "hi"));
        await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMforget");

        // A guard against hanging, not a speed requirement: the in-memory bus acknowledges after the consumer.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await SpoolDepthAsync(app) != 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(0, await SpoolDepthAsync(app));
    }

    private static async Task<long> SpoolDepthAsync(CrmApplication app)
    {
        var report = await app.CreateClient().GetFromJsonAsync<System.Text.Json.JsonElement>("/health/ready");
        return report.GetProperty("checks").GetProperty("spool").GetProperty("data").GetProperty("depth").GetInt64();
    }

    /// <summary>Makes publishing inbound messages fail, as when the broker is unreachable.</summary>
    private sealed class BusOutage : IPublishObserver
    {
        private readonly TaskCompletionSource refused = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public volatile bool Down;

        /// <summary>Completes once a publish was refused: the spool has tried the bus at least once.</summary>
        public Task RefusedAsync() => refused.Task.WaitAsync(TimeSpan.FromSeconds(20));

        public Task PrePublish<T>(PublishContext<T> context) where T : class
        {
            if (!Down || context.Message is not InboundMessageReceived) return Task.CompletedTask;
            refused.TrySetResult();
            throw new InvalidOperationException("The broker is unreachable.");
        }

        public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }

    public void Dispose() => twilio.Stop();
}
