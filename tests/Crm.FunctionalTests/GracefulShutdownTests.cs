using System.Reflection;
using Crm.Contracts;
using Crm.Inbox.Replies;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// A deploy stops an inbox process while a batch is being stored. What it had taken from RabbitMQ must go back
/// to the broker for a live process, never to the error queue (which nothing drains) and never be lost.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class GracefulShutdownTests : IDisposable
{
    private const int MessageCount = 300;
    private static readonly string ErrorQueue = InboxQueues.InboundMessages + "_error";

    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly string directory = Directory.CreateTempSubdirectory("crm-shutdown-").FullName;

    [Fact]
    public async Task Stopping_an_inbox_mid_batch_moves_none_of_its_messages_to_the_error_queue()
    {
        await EmptyQueueAsync(ErrorQueue);
        var store = Path.Combine(directory, "crm.db");
        var run = Guid.NewGuid().ToString("N")[..8];
        var slowWrites = new SlowBatchWrites(TimeSpan.FromSeconds(2));

        var stopping = new CrmApplication(twilio, Distributed.Settings("inbox"), store, testServices: slowWrites.Install);
        try
        {
            var bus = stopping.Services.GetRequiredService<IBus>();
            // Publisher confirms: each of these is on the broker once Publish returns.
            for (var i = 0; i < MessageCount; i++) await bus.Publish(Arrival(run, i));
            // A guard against hanging only: a batch is surely being written when the process is told to stop.
            await slowWrites.FirstBatchEntered.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await stopping.DisposeAsync();
        }

        Assert.Equal(0u, await MessageCountAsync(ErrorQueue));
    }

    private static InboundMessageReceived Arrival(string run, int i) => new(
        "whatsapp", $"SMshutdown-{run}-{i:D4}", $"whatsapp:+1415555{i % 50:D4}", null, "whatsapp:" + CrmApplication.BusinessNumber,
        $"message {i}", [], null, null, new Dictionary<string, string>(), DateTimeOffset.UtcNow);

    internal static async Task<uint> MessageCountAsync(string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(Distributed.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // Never declared: nothing ever faulted there.
        }
    }

    private static async Task EmptyQueueAsync(string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(Distributed.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueuePurgeAsync(queue);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // Not declared yet.
        }
    }

    public void Dispose()
    {
        twilio.Stop();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// Makes every batch write take a while (honouring cancellation, as a real slow write does), so the test can
    /// stop the process while one is surely in flight, with more prefetched than the host's grace period lets it drain.
    /// </summary>
    private sealed class SlowBatchWrites(TimeSpan delay)
    {
        private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstBatchEntered => entered.Task;

        public void Install(IServiceCollection services)
        {
            var original = services.Last(descriptor => descriptor.ServiceType == typeof(IInboxStore));
            var create = original.ImplementationFactory ?? throw new InvalidOperationException("The store is expected to be made by a factory.");
            services.AddSingleton(provider => new RealStore((IInboxStore)create(provider)));
            services.AddSingleton<IInboxStore>(provider =>
            {
                var proxy = DispatchProxy.Create<IInboxStore, SlowStoreProxy>();
                ((SlowStoreProxy)(object)proxy).Configure(provider.GetRequiredService<RealStore>().Store, delay, entered);
                return proxy;
            });
            // Every other face of the store is the real one, unslowed.
            foreach (var face in typeof(SqliteInboxStore).GetInterfaces().Where(face => face != typeof(IInboxStore) && face != typeof(IDisposable)))
                services.AddSingleton(face, provider => provider.GetRequiredService<RealStore>().Store);
        }
    }

    /// <summary>Owns the real store so the container disposes it as it would without the test's slowness.</summary>
    private sealed class RealStore(IInboxStore store) : IDisposable
    {
        public IInboxStore Store { get; } = store;
        public void Dispose() => (Store as IDisposable)?.Dispose();
    }

    public class SlowStoreProxy : DispatchProxy
    {
        private IInboxStore inner = null!;
        private TimeSpan delay;
        private TaskCompletionSource entered = null!;

        internal void Configure(IInboxStore store, TimeSpan slowness, TaskCompletionSource signal)
            => (inner, delay, entered) = (store, slowness, signal);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name != nameof(IInboxStore.AppendInboundBatchAsync)) return targetMethod.Invoke(inner, args);
            return SlowAppendAsync((IReadOnlyList<InboundMessageReceived>)args![0]!, (CancellationToken)args[1]!);
        }

        private async Task<IReadOnlyList<StoredInbound>> SlowAppendAsync(IReadOnlyList<InboundMessageReceived> batch, CancellationToken ct)
        {
            entered.TrySetResult();
            await Task.Delay(delay, ct);
            return await inner.AppendInboundBatchAsync(batch, ct);
        }
    }
}
