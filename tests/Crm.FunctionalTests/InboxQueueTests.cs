using Crm.Contracts;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

public sealed class InboxQueueTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();

    [Fact]
    public async Task The_inbox_consumes_from_the_queues_that_publishers_declare()
    {
        await using var app = new CrmApplication(twilio);
        using var client = app.CreateClient();

        var endpoints = System.Text.Json.JsonSerializer.Serialize(app.Services.GetRequiredService<IBusControl>().GetProbeResult());

        Assert.Contains($"/{InboxQueues.InboundMessages}\"", endpoints);
        Assert.Contains($"/{InboxQueues.DeliveryStatuses}\"", endpoints);
    }

    public void Dispose() => twilio.Stop();
}
