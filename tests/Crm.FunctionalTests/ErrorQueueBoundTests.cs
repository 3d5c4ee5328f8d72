using System.Text;
using Crm.Contracts;
using Crm.Gateway.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A stream of faults cannot fill the broker's disk: Crm's error queues keep a bounded number of messages.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class ErrorQueueBoundTests : IDisposable
{
    private static readonly string ErrorQueue = InboxQueues.DeliveryStatuses + "_error";
    private readonly WireMockServer twilio = WireMockServer.Start();

    [Fact]
    public async Task The_error_queue_Crm_declares_drops_its_oldest_beyond_the_limit()
    {
        var factory = new ConnectionFactory { Uri = new Uri(Distributed.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        // Crm, not this test, must declare the error queue: remove any earlier one first.
        await using (var channel = await connection.CreateChannelAsync()) await channel.QueueDeleteAsync(ErrorQueue);

        await using var app = new CrmApplication(twilio, Distributed.Settings("inbox"));
        _ = app.Services;
        // A message no consumer can read faults, and Crm declares its error queue to move it there.
        await using (var channel = await connection.CreateChannelAsync())
            await channel.BasicPublishAsync("", InboxQueues.DeliveryStatuses, mandatory: false,
                new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString() },
                Encoding.UTF8.GetBytes("{ not json"));
        using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (await GracefulShutdownTests.MessageCountAsync(ErrorQueue) == 0 && !guard.IsCancellationRequested) await Task.Delay(100);
        Assert.Equal(1u, await GracefulShutdownTests.MessageCountAsync(ErrorQueue));

        // RabbitMQ accepts a re-declaration only with the arguments the queue already has (406 otherwise).
        await using (var channel = await connection.CreateChannelAsync())
            await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false, Bounded(BusTopology.ErrorQueueLimit));
        await using (var channel = await connection.CreateChannelAsync())
        {
            var unbounded = await Assert.ThrowsAsync<OperationInterruptedException>(() =>
                channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false, Bounded(BusTopology.ErrorQueueLimit + 1)));
            Assert.Equal((ushort)406, unbounded.ShutdownReason!.ReplyCode);
        }
    }

    private static Dictionary<string, object?> Bounded(int limit) => new()
    {
        ["x-max-length"] = limit,
        ["x-overflow"] = "drop-head",
    };

    public void Dispose() => twilio.Stop();
}
