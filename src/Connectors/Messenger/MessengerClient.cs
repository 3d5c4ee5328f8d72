using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Messenger;

/// <summary>
/// The Graph API calls a Messenger connection makes, over plain HttpClient. The page token goes in the Authorization
/// header, never in the URL (Meta accepts both): URLs end up in HttpClient's own logs and in proxies'. Only 429 and
/// 5xx are retried inline and briefly: Meta created no message for those. Anything else is an answer and is returned as
/// one; exceptions mean there was no answer.
/// </summary>
public sealed class MessengerClient(HttpClient http, IOptions<MessengerOptions> options, TimeProvider clock, ILogger<MessengerClient> logger)
{
    /// <summary>What Crm puts in <c>message.metadata</c>; Meta echoes it back, which is how Crm knows the echo of its own send.</summary>
    public const string MetadataPrefix = "crm:";

    /// <summary>The Send API body Meta documents for a text reply; with a <paramref name="tag"/>, a tagged message past the standard window.</summary>
    public static JsonObject SendBody(string psid, string text, Guid messageId, string? tag)
    {
        var body = new JsonObject
        {
            ["recipient"] = new JsonObject { ["id"] = psid },
            ["messaging_type"] = tag is null ? "RESPONSE" : "MESSAGE_TAG",
        };
        if (tag is not null) body["tag"] = tag;
        body["message"] = new JsonObject { ["text"] = text, ["metadata"] = MetadataPrefix + messageId };
        return body;
    }

    /// <param name="notAfter">No attempt starts after this.</param>
    public async Task<SendResult> SendAsync(MessengerAccount account, JsonObject body, DateTimeOffset notAfter, CancellationToken ct)
    {
        var settings = options.Value;
        var json = body.ToJsonString();
        var exchange = await InlineRetries.SendAsync(http, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, account.Graph("me/messages"))
            {
                Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.Secrets.PageAccessToken);
            return request;
        }, settings, clock, notAfter, logger, "Messenger's Send API", ct);
        if (exchange.IsSuccess) return Accepted(exchange.Body);
        return exchange.StillBusy
            ? Unavailable(exchange.Status, exchange.Body) with { RetryAfter = exchange.RetryAfter }
            : Error(exchange.Status, exchange.Body);
    }

    /// <summary>
    /// Reads the page the token belongs to: proves the token, the API address and the version work, and that the token
    /// is the configured page's. Never throws for an answer or an unreachable API: it says why in words.
    /// </summary>
    public async Task<ConnectionCheck> CheckPageAsync(MessengerAccount account, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, account.Graph("me?fields=id,name"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.Secrets.PageAccessToken);
        try
        {
            using var response = await http.SendAsync(request, ct);
            var answer = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var error = ErrorOf(response.StatusCode, answer);
                return new ConnectionCheck(false, $"Meta refused the page access token: {error.Words}");
            }
            var page = JsonSerializer.Deserialize<JsonObject>(answer);
            var id = page?["id"]?.GetValue<string>();
            var name = page?["name"]?.GetValue<string>() ?? "(no name)";
            return id == account.PageId
                ? new ConnectionCheck(true, $"Meta accepted the page access token for the page \"{name}\" ({id}).")
                : new ConnectionCheck(false, $"The page access token is for the page \"{name}\" ({id}), not for page {account.PageId}: messages would come in on one page and replies go out from another.");
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
        {
            return new ConnectionCheck(false, $"Could not read the page from Meta at {account.ApiBaseUrl}: {error.Message}");
        }
    }

    /// <summary>
    /// The customer's name from Meta's User Profile API (<c>GET /{psid}?fields=first_name,last_name</c>), or null when Meta
    /// gives none or refuses (a customer who restricted it, a token without the permission). Throws when Meta cannot be reached.
    /// </summary>
    public async Task<string?> ProfileNameAsync(MessengerAccount account, string psid, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, account.Graph($"{Uri.EscapeDataString(psid)}?fields=first_name,last_name"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.Secrets.PageAccessToken);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) return null;
        var profile = JsonSerializer.Deserialize<JsonObject>(await response.Content.ReadAsStringAsync(ct));
        var name = string.Join(' ', new[] { "first_name", "last_name" }
            .Select(field => profile?[field] is JsonValue value && value.TryGetValue<string>(out var part) ? new string(part.Where(c => !char.IsControl(c)).ToArray()).Trim() : "")
            .Where(part => part.Length > 0));
        return name.Length is > 0 and <= 200 ? name : null;
    }

    /// <summary>A 2xx whose message_id cannot be read still sent a message: that is not a refusal, so it throws.</summary>
    private static SendResult Accepted(string answer)
    {
        var id = JsonSerializer.Deserialize<JsonObject>(answer)?["message_id"]?.GetValue<string>();
        if (string.IsNullOrEmpty(id)) throw new InvalidDataException("Messenger accepted the message but its answer had no message_id.");
        return SendResult.Accepted(id, MessageStatuses.Sent);
    }

    private static SendResult Error(HttpStatusCode status, string answer)
    {
        var error = ErrorOf(status, answer);
        if (error.Code is not { } code) return SendResult.Refused(SendFailures.Refused, error.Words);
        var reason = MessengerErrors.ToCrmReason(code, error.Subcode);
        return MessengerErrors.IsTemporary(code) ? SendResult.Unavailable(reason, error.Words) : SendResult.Refused(reason, error.Words);
    }

    private static SendResult Unavailable(HttpStatusCode status, string answer)
    {
        var error = ErrorOf(status, answer);
        return SendResult.Unavailable(error.Code is { } code ? MessengerErrors.ToCrmReason(code, error.Subcode) : null, error.Words);
    }

    private sealed record GraphError(int? Code, int? Subcode, string Words);

    /// <summary>Meta's <c>error</c> object; the words keep its code, subcode and message, e.g. "Messenger error 10/2018278: (#10) This message…".</summary>
    private static GraphError ErrorOf(HttpStatusCode status, string answer)
    {
        var fallback = $"Meta answered {(int)status} {status}.";
        try
        {
            if (JsonSerializer.Deserialize<JsonObject>(answer)?["error"] is not JsonObject error) return new GraphError(null, null, fallback);
            var code = error["code"] is JsonValue c && c.TryGetValue<int>(out var n) ? n : (int?)null;
            var subcode = error["error_subcode"] is JsonValue s && s.TryGetValue<int>(out var m) ? m : (int?)null;
            var message = error["message"] is JsonValue w && w.TryGetValue<string>(out var text) ? text : fallback;
            return new GraphError(code, subcode, code is { } known ? $"Messenger error {MessengerErrors.CodeOf(known, subcode)}: {message}" : message);
        }
        catch (JsonException)
        {
            return new GraphError(null, null, fallback);
        }
    }
}
