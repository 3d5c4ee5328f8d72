using System.Diagnostics;
using System.Net.Http.Headers;
using Crm.Benchmarks.Measuring;

namespace Crm.Benchmarks.Load;

/// <summary>
/// Sends the precomputed webhooks as Twilio would. Two shapes: closed loop (N clients, each sending the next
/// webhook as soon as its last one is answered: the most Crm accepts) and open loop (webhooks fall due at a
/// fixed rate whatever Crm does, and latency counts from when each was due, so a slow server cannot hide
/// its queueing by slowing the sender down).
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private static readonly MediaTypeHeaderValue FormContentType = new("application/x-www-form-urlencoded");

    private readonly HttpClient client;
    private readonly Uri url;
    private readonly TwilioWebhookForms webhooks;

    public WebhookSender(Uri url, TwilioWebhookForms webhooks, int connections)
    {
        this.url = url;
        this.webhooks = webhooks;
        client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            // Twilio gives up on a webhook after 15 s; so does this sender, so no request hangs a run.
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    /// <summary>
    /// Closed loop until <paramref name="duration"/> is over or every webhook was sent once. With
    /// <paramref name="cycle"/> (the baseline, which stores nothing) the set is sent round and round instead.
    /// </summary>
    public async Task<LoadResult> ClosedLoopAsync(int clients, TimeSpan duration, WebhookLedger? ledger, bool cycle = false)
    {
        long next = -1;
        long acknowledged = 0, notAcknowledged = 0;
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        async Task Client()
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                var sequence = Interlocked.Increment(ref next);
                if (!cycle && sequence >= webhooks.Count) return;
                var index = sequence % webhooks.Count;
                if (await SendAsync(index, Stopwatch.GetTimestamp(), ledger)) Interlocked.Increment(ref acknowledged);
                else Interlocked.Increment(ref notAcknowledged);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Client)));
        return new LoadResult(acknowledged, notAcknowledged, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Open loop: webhook i falls due at start + i / rate, for <paramref name="duration"/>. Each is sent when due
    /// without waiting for earlier answers (the connection pool queues them if Crm falls behind).
    /// </summary>
    public async Task<LoadResult> OpenLoopAsync(double rate, TimeSpan duration, WebhookLedger ledger)
    {
        var total = (int)Math.Min(ledger.Count, Math.Round(rate * duration.TotalSeconds));
        var inFlight = new List<Task<bool>>(total);
        var started = Stopwatch.GetTimestamp();
        var ticksPerWebhook = Stopwatch.Frequency / rate;
        var sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate) + 1);
            for (; sent < due; sent++)
                inFlight.Add(SendAsync(sent, started + (long)(sent * ticksPerWebhook), ledger));
            await Task.Delay(1);
        }
        var answers = await Task.WhenAll(inFlight);
        var acknowledged = answers.Count(ok => ok);
        return new LoadResult(acknowledged, answers.Length - acknowledged, Stopwatch.GetElapsedTime(started));
    }

    /// <param name="startedAt">When the webhook counts as sent: now (closed loop) or when it fell due (open loop).</param>
    private async Task<bool> SendAsync(long index, long startedAt, WebhookLedger? ledger)
    {
        if (ledger is not null) ledger.StartedAt[index] = startedAt;
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(webhooks.Bodies[index]) };
        request.Content.Headers.ContentType = FormContentType;
        request.Headers.TryAddWithoutValidation("X-Twilio-Signature", webhooks.Signatures[index]);
        try
        {
            using var response = await client.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            ledger?.Answered(index, (int)response.StatusCode);
            return response.IsSuccessStatusCode;
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            ledger?.Failure(index, error);
            return false;
        }
    }

    public void Dispose() => client.Dispose();
}

/// <param name="Acknowledged">2xx answers.</param>
/// <param name="NotAcknowledged">Any other answer, or none (refused connection, timeout).</param>
public sealed record LoadResult(long Acknowledged, long NotAcknowledged, TimeSpan Elapsed)
{
    public double AcceptedPerSecond => Acknowledged / Elapsed.TotalSeconds;
}
