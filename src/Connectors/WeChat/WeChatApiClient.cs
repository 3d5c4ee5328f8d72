using System.Net;
using System.Text;
using System.Text.Json;
using Crm.Connectors.Outbound;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.WeChat;

/// <summary>
/// One answer of WeChat's API. WeChat answers HTTP 200 with <c>errcode</c> (0 or absent: success) for nearly everything;
/// <see cref="HttpStatus"/> is other than 2xx only when its gateway itself failed.
/// </summary>
public sealed record WeChatAnswer(int HttpStatus, int ErrCode, string? ErrMsg, JsonElement Body, TimeSpan? RetryAfter = null)
{
    public bool HttpOk => HttpStatus is >= 200 and < 300;

    public bool Ok => HttpOk && ErrCode == 0;

    /// <summary>What a send makes of a failed answer: busy and HTTP 429/5xx created nothing (may be tried later); anything else is a refusal.</summary>
    public SendResult Failure()
    {
        if (!HttpOk)
        {
            var words = $"WeChat answered HTTP {HttpStatus}.";
            return HttpStatus == 429 || HttpStatus >= 500 ? SendResult.Unavailable(null, words, RetryAfter) : SendResult.Refused(null, words);
        }
        var reason = WeChatErrors.ToCrmReason(ErrCode);
        var text = WeChatErrors.Words(ErrCode, ErrMsg);
        return WeChatErrors.IsBusy(ErrCode) ? SendResult.Unavailable(reason, text) : SendResult.Refused(reason, text);
    }
}

/// <summary>
/// WeChat's Official Account API over plain HttpClient. Only HTTP 429 and 5xx are retried inline (WeChat's gateway
/// created nothing then); an <c>errcode</c> is an answer and is returned as one. WeChat puts the access token and, to
/// fetch one, the AppSecret in the query string, so this client's requests are never logged (its registration removes
/// HttpClient's loggers) and no URL of it goes into a message.
/// </summary>
public sealed class WeChatApiClient(HttpClient http, IOptions<WeChatOptions> options, TimeProvider clock, ILogger<WeChatApiClient> logger)
{
    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>
    /// <c>GET /cgi-bin/token</c>, the classic access token. Not <c>stable_token</c>: every fake, proxy and test double of
    /// WeChat speaks this one, and the shared cache (<see cref="WeChatAccessTokens"/>) already keeps every process on one
    /// token; a rare second fetch is harmless because WeChat keeps the previous token valid for 5 minutes.
    /// </summary>
    public Task<WeChatAnswer> FetchTokenAsync(WeChatAccount account, CancellationToken ct)
        => SendAsync(() => new HttpRequestMessage(HttpMethod.Get,
            Uri(account, "/cgi-bin/token", $"grant_type=client_credential&appid={Escape(account.AppId)}&secret={Escape(account.AppSecret)}")), DateTimeOffset.MaxValue, ct);

    public Task<WeChatAnswer> GetJsonAsync(WeChatAccount account, string path, string accessToken, CancellationToken ct)
        => SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Uri(account, path, $"access_token={Escape(accessToken)}")), DateTimeOffset.MaxValue, ct);

    /// <summary><c>GET /cgi-bin/user/info</c>: a follower's profile, with <c>unionid</c> when the account is bound to an Open Platform account.</summary>
    public Task<WeChatAnswer> GetUserInfoAsync(WeChatAccount account, string accessToken, string openId, CancellationToken ct)
        => SendAsync(() => new HttpRequestMessage(HttpMethod.Get,
            Uri(account, "/cgi-bin/user/info", $"access_token={Escape(accessToken)}&openid={Escape(openId)}&lang=zh_CN")), DateTimeOffset.MaxValue, ct);

    /// <param name="notAfter">No attempt starts after this.</param>
    public Task<WeChatAnswer> PostJsonAsync(WeChatAccount account, string path, string accessToken, string json, DateTimeOffset notAfter, CancellationToken ct)
        => SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Uri(account, path, $"access_token={Escape(accessToken)}"))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        }, notAfter, ct);

    /// <summary><c>GET /cgi-bin/media/get</c>: the media's bytes, or JSON with an errcode. The caller disposes the response.</summary>
    public async Task<HttpResponseMessage> GetMediaAsync(WeChatAccount account, string accessToken, string mediaId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Uri(account, "/cgi-bin/media/get", $"access_token={Escape(accessToken)}&media_id={Escape(mediaId)}"));
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>A video's file, at the address WeChat's media answer gave for it (WeChat answers videos with <c>video_url</c>).</summary>
    public async Task<HttpResponseMessage> GetFileAsync(Uri address, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>Reads a media answer that is JSON (an error) as one.</summary>
    public static async Task<WeChatAnswer> ReadAnswerAsync(HttpResponseMessage response, CancellationToken ct)
        => Parse((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct), response.Headers.RetryAfter?.Delta);

    private async Task<WeChatAnswer> SendAsync(Func<HttpRequestMessage> create, DateTimeOffset notAfter, CancellationToken ct)
    {
        var exchange = await InlineRetries.SendAsync(http, create, options.Value, clock, notAfter, logger, "WeChat", ct);
        return Parse((int)exchange.Status, exchange.Body, exchange.RetryAfter);
    }

    /// <summary>A 2xx that is not JSON is not an answer we can read: it throws, and a send's outcome is then unknown.</summary>
    private static WeChatAnswer Parse(int status, string text, TimeSpan? retryAfter)
    {
        JsonElement body;
        try
        {
            using var document = JsonDocument.Parse(text);
            body = document.RootElement.Clone();
        }
        catch (JsonException) when (status is < 200 or >= 300)
        {
            return new WeChatAnswer(status, 0, null, Empty, retryAfter);
        }
        catch (JsonException)
        {
            throw new InvalidDataException($"WeChat answered HTTP {status} with something other than JSON.");
        }
        var errcode = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("errcode", out var code) && code.TryGetInt32(out var value) ? value : 0;
        return new WeChatAnswer(status, errcode, Text(body, "errmsg"), body, retryAfter);
    }

    public static string? Text(JsonElement element, string property)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static Uri Uri(WeChatAccount account, string path, string query) => new($"{account.ApiBaseUrl.ToString().TrimEnd('/')}{path}?{query}");

    private static string Escape(string value) => System.Uri.EscapeDataString(value);
}
