using System.Buffers.Binary;
using System.Diagnostics;
using Crm.Benchmarks.Measuring;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Crm.Benchmarks.RabbitMq;

public sealed record RawRabbitMqSettings(string Url, int Publishers, TimeSpan Duration, int MessageBytes, int Prefetch, TimeSpan DrainTimeout, int MaxMessages)
{
    public static RawRabbitMqSettings From(BenchArgs args, string url) => new(
        url,
        // As many concurrent publishers as webhook clients: each webhook awaits one publish too.
        args.Int("publishers", args.Int("clients", 32)),
        TimeSpan.FromSeconds(args.Number("seconds", 20)),
        // About Crm's own bus message: an InboundMessageReceived envelope for a text message measured 1.36 KB in RabbitMQ.
        args.Int("message-bytes", 1400),
        args.Int("prefetch", 64),
        TimeSpan.FromSeconds(args.Number("drain-seconds", 120)),
        args.Int("max-webhooks", 300_000));
}

public sealed record RawRabbitMqResult(long Published, double PublishedPerSecond, TimeSpan PublishTime, long Consumed, double EndToEndPerSecond,
    double P50Ms, double P95Ms, double P99Ms);

/// <summary>
/// What RabbitMQ itself does on this machine, with no Crm: a durable queue, persistent messages, each publish
/// awaiting its confirm (as a webhook awaits the bus), N concurrent publishers (as N webhook clients), and a
/// consumer acking each message. The ceiling Crm's Distributed mode is compared with.
/// </summary>
public static class RawRabbitMqBenchmark
{
    public static async Task<RawRabbitMqResult> RunAsync(RawRabbitMqSettings settings)
    {
        Console.WriteLine($"== raw RabbitMQ: {settings.Publishers} publishers, {settings.MessageBytes} B persistent messages, confirms, for {settings.Duration.TotalSeconds:0} s");
        var factory = new ConnectionFactory { Uri = new Uri(settings.Url), ClientProvidedName = "crm-bench-raw" };
        var queue = "crm-bench-raw-" + Guid.NewGuid().ToString("N")[..8];
        await using var publishing = await factory.CreateConnectionAsync();
        await using var consuming = await factory.CreateConnectionAsync();

        await using (var setup = await publishing.CreateChannelAsync())
            await setup.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        try
        {
            var publishedAt = new long[settings.MaxMessages];
            var consumedAt = new long[settings.MaxMessages];
            long consumed = 0;
            long lastConsumed = 0;

            await using var consumerChannel = await consuming.CreateChannelAsync();
            await consumerChannel.BasicQosAsync(0, (ushort)settings.Prefetch, false);
            var consumer = new AsyncEventingBasicConsumer(consumerChannel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                var now = Stopwatch.GetTimestamp();
                var index = BinaryPrimitives.ReadInt64LittleEndian(delivery.Body.Span);
                if (index >= 0 && index < consumedAt.Length && Interlocked.CompareExchange(ref consumedAt[index], now, 0) == 0)
                {
                    Interlocked.Increment(ref consumed);
                    Interlocked.Exchange(ref lastConsumed, now);
                }
                await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            };
            await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer);

            var properties = new BasicProperties { Persistent = true, ContentType = "application/json" };
            long next = -1;
            var started = Stopwatch.GetTimestamp();
            var until = started + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);

            async Task<long> Publisher()
            {
                // One channel per publisher, each publish awaiting its confirm.
                await using var channel = await publishing.CreateChannelAsync(new CreateChannelOptions(
                    publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
                var body = new byte[settings.MessageBytes];
                long confirmed = 0;
                while (Stopwatch.GetTimestamp() < until)
                {
                    var index = Interlocked.Increment(ref next);
                    if (index >= settings.MaxMessages) break;
                    BinaryPrimitives.WriteInt64LittleEndian(body, index);
                    publishedAt[index] = Stopwatch.GetTimestamp();
                    await channel.BasicPublishAsync("", queue, mandatory: false, properties, body);
                    confirmed++;
                }
                return confirmed;
            }

            var published = (await Task.WhenAll(Enumerable.Range(0, settings.Publishers).Select(_ => Task.Run(Publisher)))).Sum();
            var publishTime = Stopwatch.GetElapsedTime(started);

            var drain = Stopwatch.StartNew();
            while (Interlocked.Read(ref consumed) < published && drain.Elapsed < settings.DrainTimeout) await Task.Delay(50);

            var latencies = new List<double>((int)published);
            for (var i = 0; i < published && i < consumedAt.Length; i++)
            {
                if (consumedAt[i] != 0) latencies.Add(Stopwatch.GetElapsedTime(publishedAt[i], consumedAt[i]).TotalMilliseconds);
            }
            var total = Interlocked.Read(ref consumed);
            var endToEnd = total == 0 ? 0 : total / Stopwatch.GetElapsedTime(started, Interlocked.Read(ref lastConsumed)).TotalSeconds;
            double[] sorted = [.. latencies];
            var result = new RawRabbitMqResult(published, published / publishTime.TotalSeconds, publishTime, total, endToEnd,
                Percentiles.Of(sorted, 50), Percentiles.Of(sorted, 95), Percentiles.Of(sorted, 99));
            Report.Print(result);
            ResultsFile.Append("rabbitmq-raw", new { settings.Publishers, settings.MessageBytes, result });
            return result;
        }
        finally
        {
            await using var cleanup = await publishing.CreateChannelAsync();
            await cleanup.QueueDeleteAsync(queue);
        }
    }
}
