using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Twilio;

/// <summary>The outcome of one send: Twilio's message sid, or why Twilio would not take it.</summary>
public sealed record TwilioSendResult(string? Sid, string? Status, string? ErrorCode, string? ErrorMessage)
{
    public bool Accepted => Sid is not null;
}

/// <summary>
/// Twilio's Messages REST API over plain HttpClient (its SDK is not available to us).
/// Only 429 and 5xx answers are retried: Twilio created no message for those, so trying again
/// cannot send twice. Anything else is an answer, and is returned as one.
/// </summary>
public sealed class TwilioMessagesClient(HttpClient http, IOptions<TwilioOptions> options, TimeProvider clock, ILogger<TwilioMessagesClient> logger)
{
    public async Task<TwilioSendResult> SendAsync(string from, string to, string body, Uri? statusCallback, CancellationToken ct)
    {
        var settings = options.Value;
        var baseUrl = settings.ApiBaseUrl.ToString().TrimEnd('/');
        var uri = new Uri($"{baseUrl}/2010-04-01/Accounts/{Uri.EscapeDataString(settings.AccountSid)}/Messages.json");
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.AccountSid}:{settings.AuthToken}"));
        var form = new List<KeyValuePair<string, string>> { new("To", to), new("From", from), new("Body", body) };
        if (statusCallback is not null) form.Add(new("StatusCallback", statusCallback.ToString()));

        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
            using var response = await http.SendAsync(request, ct);
            var json = await response.Content.ReadAsStringAsync(ct);

            if (response.IsSuccessStatusCode)
            {
                using var document = JsonDocument.Parse(json);
                return new TwilioSendResult(Text(document, "sid"), Text(document, "status"), null, null);
            }

            var retryable = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
            if (retryable && attempt < settings.MaxSendAttempts)
            {
                var delay = RetryDelay(response, settings.RetryBaseDelay, attempt);
                logger.LogWarning("Twilio answered {Status}; trying again in {Delay} (attempt {Attempt} of {Max})",
                    (int)response.StatusCode, delay, attempt, settings.MaxSendAttempts);
                await Task.Delay(delay, clock, ct);
                continue;
            }

            return Error(response.StatusCode, json);
        }
    }

    /// <summary>Retry-After when Twilio gives one, otherwise exponential backoff.</summary>
    private static TimeSpan RetryDelay(HttpResponseMessage response, TimeSpan baseDelay, int attempt)
    {
        if (response.Headers.RetryAfter?.Delta is { } delta) return delta;
        return baseDelay * Math.Pow(2, attempt - 1);
    }

    private static TwilioSendResult Error(HttpStatusCode status, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var code = document.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number
                ? c.GetRawText()
                : null;
            return new TwilioSendResult(null, null, code ?? ((int)status).ToString(), Text(document, "message") ?? status.ToString());
        }
        catch (JsonException)
        {
            return new TwilioSendResult(null, null, ((int)status).ToString(), $"Twilio answered {(int)status} {status}.");
        }
    }

    private static string? Text(JsonDocument document, string property)
        => document.RootElement.ValueKind == JsonValueKind.Object
           && document.RootElement.TryGetProperty(property, out var value)
           && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
