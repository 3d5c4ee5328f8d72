using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Twilio;

/// <summary>Whether a connection's credentials work, in words for the admin.</summary>
public sealed record TwilioAccountCheck(bool Ok, string Message);

/// <summary>
/// Twilio's Messages REST API over plain HttpClient (its SDK is not available to us).
/// Only 429 and 5xx answers are retried, inline and briefly: Twilio created no message for those, so trying
/// again cannot send twice. Anything else is an answer, and is returned as one. Exceptions mean there was no
/// answer: <see cref="HttpRequestException"/> (which may say the request never left) or a timeout.
/// </summary>
public sealed class TwilioMessagesClient(HttpClient http, IOptions<TwilioOptions> options, TimeProvider clock, ILogger<TwilioMessagesClient> logger)
{
    /// <param name="notAfter">No attempt starts after this.</param>
    /// <param name="account">The connection the message goes out through: its API, account and credentials.</param>
    /// <param name="template">Send this Content template (<c>ContentSid</c> + <c>ContentVariables</c>) instead of <paramref name="body"/>.</param>
    public async Task<SendResult> SendAsync(TwilioAccount account, string from, string to, string body, Uri? statusCallback, DateTimeOffset notAfter,
        CancellationToken ct, OutboundTemplate? template = null)
    {
        var settings = options.Value;
        var uri = AccountUri(account, "/Messages.json");
        var credentials = Credentials(account);
        var form = new List<KeyValuePair<string, string>> { new("To", to), new("From", from) };
        if (template is null) form.Add(new("Body", body));
        else
        {
            form.Add(new("ContentSid", template.TemplateId));
            if (template.Variables.Count > 0) form.Add(new("ContentVariables", JsonSerializer.Serialize(template.Variables)));
        }
        if (statusCallback is not null) form.Add(new("StatusCallback", statusCallback.ToString()));

        var exchange = await InlineRetries.SendAsync(http, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
            return request;
        }, settings, clock, notAfter, logger, "Twilio", ct);
        if (exchange.IsSuccess) return Accepted(exchange.Body);
        return Error(exchange.StillBusy ? SendOutcome.Unavailable : SendOutcome.Refused, exchange.Status, exchange.Body) with { RetryAfter = exchange.RetryAfter };
    }

    /// <summary>
    /// Fetches the account resource with the connection's credentials: the cheapest call that proves the SID,
    /// the token and the API address all work. Never throws for an answer or an unreachable API: it says why in words.
    /// </summary>
    public async Task<TwilioAccountCheck> CheckAccountAsync(TwilioAccount account, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AccountUri(account, ".json"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Credentials(account));
        try
        {
            using var response = await http.SendAsync(request, ct);
            var json = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                using var document = JsonDocument.Parse(json);
                var status = Text(document, "status");
                return status is null or "active"
                    ? new TwilioAccountCheck(true, $"Twilio accepted the credentials for account {account.AccountSid}.")
                    : new TwilioAccountCheck(false, $"Twilio accepted the credentials, but account {account.AccountSid} is {status}.");
            }
            var (code, message) = ErrorOf(response.StatusCode, json);
            var words = message.StartsWith("Twilio answered", StringComparison.Ordinal)
                ? message
                : $"Twilio answered {(int)response.StatusCode}: {message}" + (code is not null ? $" (error {code})." : ".");
            return new TwilioAccountCheck(false, words);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new TwilioAccountCheck(false, $"Could not reach Twilio at {account.ApiBaseUrl}: {error.Message}");
        }
    }

    /// <summary>Twilio's Content API; a connection whose API is overridden (a fake) serves it at the same address.</summary>
    public static readonly Uri ContentApi = new("https://content.twilio.com");

    /// <summary>At most this many pages of 100 are read: a catalog is tens of templates, not thousands.</summary>
    private const int MaxContentPages = 20;

    /// <summary>
    /// The account's Content templates approved for WhatsApp (<c>GET /v1/ContentAndApprovals</c>, every page), as catalog
    /// entries: the Content SID, the WhatsApp template name, its language, its text body and the variables it names.
    /// An unreachable API or a refusal is the error in words, never an exception.
    /// </summary>
    public async Task<TemplateSync> FetchApprovedTemplatesAsync(TwilioAccount account, CancellationToken ct)
    {
        var contentBase = account.ApiBaseUrl == TwilioAccount.TwilioApi ? ContentApi : account.ApiBaseUrl;
        var next = new Uri(contentBase, "/v1/ContentAndApprovals?PageSize=100");
        var templates = new List<MessageTemplate>();
        try
        {
            for (var page = 0; next is not null && page < MaxContentPages; page++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, next);
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Credentials(account));
                using var response = await http.SendAsync(request, ct);
                var json = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode)
                {
                    var (code, message) = ErrorOf(response.StatusCode, json);
                    return new TemplateSync([], $"Twilio answered {(int)response.StatusCode}: {message}" + (code is null ? "" : $" (error {code})"));
                }
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.TryGetProperty("contents", out var contents) && contents.ValueKind == JsonValueKind.Array)
                    templates.AddRange(contents.EnumerateArray().Select(ApprovedTemplate).OfType<MessageTemplate>());
                next = document.RootElement.TryGetProperty("meta", out var meta) && meta.TryGetProperty("next_page_url", out var url)
                       && url.ValueKind == JsonValueKind.String && Uri.TryCreate(url.GetString(), UriKind.Absolute, out var nextUrl)
                    ? new Uri(contentBase, nextUrl.PathAndQuery)
                    : null;
            }
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new TemplateSync([], $"Could not read Twilio's templates: {error.Message}");
        }
        return new TemplateSync(templates, null);
    }

    /// <summary>A Content resource approved for WhatsApp as a catalog entry; null when it is not approved or has no text body.</summary>
    private static MessageTemplate? ApprovedTemplate(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.Object
            || !content.TryGetProperty("approval_requests", out var approval) || approval.ValueKind != JsonValueKind.Object
            || StringOf(approval, "status") is not { } status || !status.Equals("approved", StringComparison.OrdinalIgnoreCase)
            || StringOf(content, "sid") is not { } sid)
            return null;
        var body = content.TryGetProperty("types", out var types) && types.ValueKind == JsonValueKind.Object
            ? types.EnumerateObject().Select(type => type.Value.ValueKind == JsonValueKind.Object ? StringOf(type.Value, "body") : null).FirstOrDefault(b => b is not null)
            : null;
        var declared = content.TryGetProperty("variables", out var defaults) && defaults.ValueKind == JsonValueKind.Object
            ? defaults.EnumerateObject().Select(v => v.Name)
            : [];
        var variables = declared.Concat(MessageTemplate.PlaceholdersIn(body ?? "")).Distinct(StringComparer.Ordinal).ToList();
        return new MessageTemplate(sid, StringOf(approval, "name") ?? StringOf(content, "friendly_name") ?? sid, StringOf(content, "language"), body ?? "", variables)
        {
            Category = StringOf(approval, "category"),
        };
    }

    private static string? StringOf(JsonElement element, string property)
        => element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Uri AccountUri(TwilioAccount account, string suffix)
        => new($"{account.ApiBaseUrl.ToString().TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(account.AccountSid)}{suffix}");

    private static string Credentials(TwilioAccount account)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account.AccountSid}:{account.AuthToken}"));

    /// <summary>A 2xx whose sid cannot be read still created a message: that is not a refusal, so it throws.</summary>
    private static SendResult Accepted(string json)
    {
        using var document = JsonDocument.Parse(json);
        var sid = Text(document, "sid") ?? throw new InvalidDataException("Twilio accepted the message but its answer had no sid.");
        return SendResult.Accepted(sid, TwilioStatuses.ToInboxStatus(Text(document, "status")));
    }

    /// <summary>Twilio's code mapped to Crm's reason where one fits (see <see cref="TwilioErrors"/>); the reason keeps Twilio's code and words.</summary>
    private static SendResult Error(SendOutcome outcome, HttpStatusCode status, string json)
    {
        var (code, message) = ErrorOf(status, json);
        var reason = code is null ? message : $"Twilio error {code}: {message}";
        return new SendResult(outcome, null, null, TwilioErrors.ToCrmReason(code), reason);
    }

    private static (string? Code, string Message) ErrorOf(HttpStatusCode status, string json)
    {
        var fallback = $"Twilio answered {(int)status} {status}.";
        try
        {
            using var document = JsonDocument.Parse(json);
            var code = document.RootElement.ValueKind == JsonValueKind.Object
                       && document.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number
                ? c.GetRawText()
                : null;
            return (code, Text(document, "message") ?? fallback);
        }
        catch (JsonException)
        {
            return (null, fallback);
        }
    }

    private static string? Text(JsonDocument document, string property)
        => document.RootElement.ValueKind == JsonValueKind.Object
           && document.RootElement.TryGetProperty(property, out var value)
           && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
