using System.Net;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.Outbound;

/// <summary>How a provider's answer reads for trying again.</summary>
public enum ProviderBusy
{
    /// <summary>An answer (a success or a refusal): never sent again.</summary>
    No,

    /// <summary>Busy for a moment (429, 5xx, or the provider's own code for it): nothing was created, so it is tried again inline.</summary>
    RetryInline,

    /// <summary>Busy for longer (a rate limit): trying again now would only prolong it; the inbox tries later.</summary>
    Later,
}

/// <summary>The last answer of a send after its inline retries; <see cref="StillBusy"/>: the provider never took it.</summary>
/// <param name="RetryAfter">The provider's Retry-After when it asked for a longer wait than an inline retry allows (or said "later").</param>
public sealed record ProviderExchange(HttpStatusCode Status, string Body, bool StillBusy, TimeSpan? RetryAfter)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}

/// <summary>
/// The one retry loop of every provider's client. Only answers that created nothing are tried again, inline and briefly;
/// every wait is bounded, so a whole send fits its ledger lease (<see cref="ProviderSendOptions.SendLease"/>), and no attempt
/// starts after the send's deadline. A longer Retry-After than the next inline wait ends the retries and is passed on.
/// </summary>
public static class InlineRetries
{
    /// <summary>Plain HTTP: 429 and 5xx are busy for a moment, anything else is an answer.</summary>
    public static ProviderBusy HttpBusy(HttpStatusCode status, string body)
        => status == HttpStatusCode.TooManyRequests || (int)status >= 500 ? ProviderBusy.RetryInline : ProviderBusy.No;

    /// <param name="create">A new request per attempt (a request cannot be sent twice).</param>
    /// <param name="busy">How the provider says it is busy; <see cref="HttpBusy"/> by default.</param>
    public static async Task<ProviderExchange> SendAsync(HttpClient http, Func<HttpRequestMessage> create, ProviderSendOptions settings, TimeProvider clock,
        DateTimeOffset notAfter, ILogger logger, string provider, CancellationToken ct, Func<HttpStatusCode, string, ProviderBusy>? busy = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            var retryAfter = response.Headers.RetryAfter?.Delta;
            switch ((busy ?? HttpBusy)(response.StatusCode, body))
            {
                case ProviderBusy.No:
                    return new ProviderExchange(response.StatusCode, body, false, null);
                case ProviderBusy.Later:
                    return new ProviderExchange(response.StatusCode, body, true, retryAfter);
            }

            var delay = settings.InlineRetryDelay(attempt);
            if (retryAfter > delay) return new ProviderExchange(response.StatusCode, body, true, retryAfter);
            if (retryAfter is { } shorter) delay = shorter;
            if (attempt >= settings.MaxSendAttempts || clock.GetUtcNow() + delay > notAfter) return new ProviderExchange(response.StatusCode, body, true, null);

            logger.LogWarning("{Provider} answered {Status}; trying again in {Delay} (attempt {Attempt} of {Max})",
                provider, (int)response.StatusCode, delay, attempt, settings.MaxSendAttempts);
            await Task.Delay(delay, clock, ct);
        }
    }
}
