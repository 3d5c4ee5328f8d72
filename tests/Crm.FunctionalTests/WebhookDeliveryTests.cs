using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Apis;
using Crm.Inbox.Timelines;
using MassTransit;
using WireMock.Server;

namespace Crm.FunctionalTests;

public sealed class WebhookDeliveryTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();

    [Fact]
    public async Task A_webhook_the_bus_cannot_take_fails_so_twilio_retries_and_the_retry_is_kept_once()
    {
        var outage = new BusOutage { Down = true };
        await using var app = new CrmApplication(twilio, testServices: services => services.AddPublishObserver(_ => outage));
        var agent = await app.SignInAsync("ann");
        await using var feed = await app.ConnectAgentAsync(agent);
        var form = TwilioFakes.WhatsAppText("SMoutage", "+14155550100", "are you open?");

        var during = await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", form);
        Assert.Equal(HttpStatusCode.InternalServerError, during.StatusCode);
        Assert.Empty((await agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);

        outage.Down = false;
        var retried = await app.PostFromTwilioAsync("/webhooks/twilio/whatsapp", form);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var added = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMoutage");
        var timeline = await agent.GetFromJsonAsync<ConversationsApi.MessagePage>($"/api/conversations/{added.ConversationId}/messages");
        Assert.Equal(["are you open?"], timeline!.Items.Select(m => m.Text));
    }

    /// <summary>Makes publishing inbound messages fail, as when the broker is unreachable.</summary>
    private sealed class BusOutage : IPublishObserver
    {
        public volatile bool Down;

        public Task PrePublish<T>(PublishContext<T> context) where T : class
            => Down && context.Message is InboundMessageReceived
                ? throw new InvalidOperationException("The broker is unreachable.")
                : Task.CompletedTask;

        public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }

    public void Dispose() => twilio.Stop();
}
