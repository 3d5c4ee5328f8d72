using System.Collections.Concurrent;

namespace Crm.FaultTests.Traffic;

/// <summary>
/// Several concurrent clients posting signed webhooks to the connectors, each webhook once, at a modest pace so a
/// fault lands mid-stream. Records how each was answered: only a 2xx is an acknowledgement (Twilio retries the rest).
/// </summary>
public sealed class WebhookStream(SignedWebhooks webhooks, Uri connectors, int clients = 8) : IDisposable
{
    private readonly HttpClient http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(2) })
    {
        BaseAddress = connectors,
        // A guard: a webhook unanswered this long counts as unanswered, as Twilio would count it.
        Timeout = TimeSpan.FromSeconds(15),
    };
    private readonly ConcurrentDictionary<int, string> answers = new();
    private int answered;

    public SignedWebhooks Webhooks => webhooks;

    /// <summary>Webhooks that got any answer or error so far.</summary>
    public int Answered => Volatile.Read(ref answered);

    public IReadOnlyCollection<string> AcknowledgedSids
        => answers.Where(a => a.Value == "2xx").Select(a => webhooks.Sid(a.Key)).ToList();

    /// <summary>How the webhooks were answered, e.g. "2xx: 180, connection error: 20".</summary>
    public string Summary() => string.Join(", ", answers.GroupBy(a => a.Value).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));

    public IReadOnlyList<string> AnswersFor(int from, int count)
        => Enumerable.Range(from, count).Select(index => answers.GetValueOrDefault(index, "not sent")).ToList();

    /// <summary>Posts webhooks [from, from + count) over the clients, each pausing <paramref name="pause"/> between its posts.</summary>
    public Task SendAsync(int from, int count, TimeSpan pause)
    {
        var next = from - 1;
        var end = from + count;
        return Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            for (var index = Interlocked.Increment(ref next); index < end; index = Interlocked.Increment(ref next))
            {
                answers[index] = await PostAsync(index);
                Interlocked.Increment(ref answered);
                await Task.Delay(pause);
            }
        })));
    }

    /// <summary>Waits (bounded, a guard) until <paramref name="count"/> webhooks were answered in any way.</summary>
    public async Task WaitForAnsweredAsync(int count)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (Answered < count)
        {
            if (guard.IsCancellationRequested) throw new TimeoutException($"Only {Answered} of {count} webhooks were answered ({Summary()}).");
            await Task.Delay(20);
        }
    }

    private async Task<string> PostAsync(int index)
    {
        try
        {
            using var request = webhooks.Message(index);
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            return status is >= 200 and < 300 ? "2xx" : status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return "connection error";
        }
        catch (TaskCanceledException)
        {
            return "no answer";
        }
    }

    public void Dispose() => http.Dispose();
}
