using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>
/// Meta's Graph API for one WhatsApp Cloud number over plain HttpClient, with the connection's access token as a bearer.
/// A send is tried again inline only when Meta said it is busy for a moment (5xx, or its codes 1, 2, 131000, 131016):
/// those created no message. A rate limit is returned at once as unavailable, for the inbox to try later, since hammering
/// it only prolongs it. Anything else is an answer. Exceptions mean there was no answer.
/// </summary>
public sealed class WhatsAppCloudClient(HttpClient http, IOptions<WhatsAppCloudOptions> options, TimeProvider clock, ILogger<WhatsAppCloudClient> logger)
{
    /// <param name="message">The message object after <c>messaging_product</c>, <c>recipient_type</c> and <c>to</c>.</param>
    /// <param name="notAfter">No attempt starts after this.</param>
    public async Task<SendResult> SendAsync(WhatsAppCloudAccount account, JsonObject message, DateTimeOffset notAfter, CancellationToken ct)
    {
        var settings = options.Value;
        var uri = account.Graph($"{Uri.EscapeDataString(account.PhoneNumberId)}/messages");
        var json = message.ToJsonString();
        var exchange = await InlineRetries.SendAsync(http, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.AccessToken);
            return request;
        }, settings, clock, notAfter, logger, "Meta", ct, Busy);
        if (exchange.IsSuccess) return Accepted(exchange.Body);

        var (code, reason) = ErrorOf(exchange.Status, exchange.Body);
        var crmReason = WhatsAppCloudErrors.ToCrmReason(code);
        if (!exchange.StillBusy) return SendResult.Refused(crmReason, reason);
        return WhatsAppCloudErrors.IsRateLimit(code) || exchange.Status == HttpStatusCode.TooManyRequests
            ? SendResult.Unavailable(crmReason ?? SendFailures.RateLimited, reason, exchange.RetryAfter)
            : SendResult.Unavailable(crmReason, reason);
    }

    /// <summary>A rate limit (429, or Meta's codes for one) is for later; 5xx and Meta's momentary codes are tried again inline.</summary>
    private static ProviderBusy Busy(HttpStatusCode status, string answer)
    {
        if ((int)status is >= 200 and < 300) return ProviderBusy.No;
        var (code, _) = ErrorOf(status, answer);
        if (status == HttpStatusCode.TooManyRequests || WhatsAppCloudErrors.IsRateLimit(code)) return ProviderBusy.Later;
        return (int)status >= 500 || WhatsAppCloudErrors.IsTemporary(code) ? ProviderBusy.RetryInline : ProviderBusy.No;
    }

    /// <summary>Reads the phone number's display number and verified name: proves the token, the id and the API address at once. Never throws.</summary>
    public async Task<ConnectionCheck> CheckAsync(WhatsAppCloudAccount account, CancellationToken ct)
    {
        try
        {
            using var request = Get(account, account.Graph($"{Uri.EscapeDataString(account.PhoneNumberId)}?fields=display_phone_number,verified_name"));
            using var response = await http.SendAsync(request, ct);
            var answer = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                return new ConnectionCheck(false, $"Meta refused the check of phone number id {account.PhoneNumberId}: {ErrorOf(response.StatusCode, answer).Reason}");
            using var document = JsonDocument.Parse(answer);
            var display = Text(document.RootElement, "display_phone_number");
            var name = Text(document.RootElement, "verified_name");
            var digits = new string((display ?? "").Where(char.IsAsciiDigit).ToArray());
            if (digits.Length > 0 && "+" + digits != account.BusinessIdentity)
                return new ConnectionCheck(false,
                    $"Meta accepted the access token, but phone number id {account.PhoneNumberId} is {display}, not {account.BusinessIdentity} as this connection says.");
            return new ConnectionCheck(true,
                $"Meta accepted the access token: phone number id {account.PhoneNumberId} is {display ?? account.BusinessIdentity}" + (name is null ? "." : $", verified as \"{name}\"."));
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new ConnectionCheck(false, $"Could not reach Meta at {account.ApiBaseUrl}: {error.Message}");
        }
    }

    /// <summary>The approved templates of the connection's WhatsApp Business Account, every page of them. Never throws.</summary>
    public async Task<TemplateSync> FetchTemplatesAsync(WhatsAppCloudAccount account, CancellationToken ct)
    {
        var templates = new List<MessageTemplate>();
        var left = new List<string>();
        var first = $"{Uri.EscapeDataString(account.WabaId)}/message_templates?fields=name,language,status,category,components&limit=100";
        var path = first;
        try
        {
            for (var page = 0; page < options.Value.MaxTemplatePages; page++)
            {
                using var request = Get(account, account.Graph(path));
                using var response = await http.SendAsync(request, ct);
                var answer = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode)
                    return new TemplateSync([], $"Meta refused to list the templates of WhatsApp Business Account {account.WabaId}: {ErrorOf(response.StatusCode, answer).Reason}");
                using var document = JsonDocument.Parse(answer);
                if (document.RootElement.TryGetProperty("data", out var data)) templates.AddRange(WhatsAppCloudTemplates.ReadPage(data, left));
                // The next page by its cursor on our own API address: the answer's "next" URL is not followed with the token.
                var after = document.RootElement.TryGetProperty("paging", out var paging) && paging.TryGetProperty("next", out _)
                            && paging.TryGetProperty("cursors", out var cursors) ? Text(cursors, "after") : null;
                if (after is null) break;
                path = $"{first}&after={Uri.EscapeDataString(after)}";
            }
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
        {
            return new TemplateSync([], $"Could not read the templates from Meta at {account.ApiBaseUrl}: {error.Message}");
        }
        if (left.Count > 0) logger.LogWarning("Left {Count} templates out of connection {ConnectionId}'s catalog (too long or too many variables): {Templates}",
            left.Count, account.ConnectionId, string.Join(", ", left));
        return new TemplateSync(templates, null);
    }

    /// <summary>
    /// The media behind a media id: Meta first answers where it is (a short-lived URL) and what it is, then that URL is read
    /// with the same token and streamed. Null when Meta no longer has it (ids expire after 30 days) or never had it.
    /// </summary>
    /// <exception cref="HttpRequestException">Meta could not be reached, did not answer in time, or answered 5xx or nonsense.</exception>
    public async Task<MediaDownload?> OpenMediaAsync(WhatsAppCloudAccount account, string mediaId, CancellationToken ct)
    {
        try
        {
            return await FetchMediaAsync(account, mediaId, ct);
        }
        catch (TaskCanceledException error) when (!ct.IsCancellationRequested)
        {
            throw new HttpRequestException("Meta did not answer in time.", error);
        }
    }

    private async Task<MediaDownload?> FetchMediaAsync(WhatsAppCloudAccount account, string mediaId, CancellationToken ct)
    {
        using var request = Get(account, account.Graph(Uri.EscapeDataString(mediaId)));
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            if ((int)response.StatusCode >= 500) throw new HttpRequestException($"Meta answered {(int)response.StatusCode} for the media's address.");
            return null;
        }
        JsonElement found;
        try
        {
            found = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        }
        catch (JsonException)
        {
            throw new HttpRequestException("Meta's answer for the media's address is not JSON.");
        }
        if (Text(found, "url") is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var location) || location.Scheme is not ("https" or "http")) return null;

        var download = Get(account, location);
        var bytes = await http.SendAsync(download, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!bytes.IsSuccessStatusCode)
        {
            bytes.Dispose();
            download.Dispose();
            if ((int)bytes.StatusCode >= 500) throw new HttpRequestException($"Meta answered {(int)bytes.StatusCode} for the media.");
            return null;
        }
        var contentType = Text(found, "mime_type") ?? bytes.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
        return new MediaDownload(new OwningStream(await bytes.Content.ReadAsStreamAsync(ct), bytes, download), contentType, bytes.Content.Headers.ContentLength, null);
    }

    private static HttpRequestMessage Get(WhatsAppCloudAccount account, Uri uri)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.AccessToken);
        return request;
    }

    /// <summary>A 2xx without a message id still created a message: that is not a refusal, so it throws (outcome unknown).</summary>
    private static SendResult Accepted(string answer)
    {
        using var document = JsonDocument.Parse(answer);
        var id = document.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array && messages.GetArrayLength() > 0
            ? Text(messages[0], "id")
            : null;
        return SendResult.Accepted(id ?? throw new InvalidDataException("Meta accepted the message but its answer had no message id."));
    }

    private static (string? Code, string Reason) ErrorOf(HttpStatusCode status, string answer)
    {
        var fallback = $"Meta answered {(int)status} {status}.";
        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error)
                ? WhatsAppCloudErrors.Describe(error, fallback)
                : (null, fallback);
        }
        catch (JsonException)
        {
            return (null, fallback);
        }
    }

    private static string? Text(JsonElement element, string property)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>The media's stream, which also lets go of its response when the endpoint disposes it.</summary>
    private sealed class OwningStream(Stream inner, params IDisposable[] owned) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                foreach (var item in owned) item.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
