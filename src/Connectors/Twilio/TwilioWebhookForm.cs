using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Crm.Connectors.Twilio;

/// <summary>
/// Reads a Twilio webhook's form once, within bounds set before a byte of it is read, because it is read
/// before anyone knows whether Twilio sent it. Anything out of bounds or unreadable is a refusal with a
/// status and a reason fit for one log line (never the body, never a secret), not an exception.
/// </summary>
public static class TwilioWebhookForm
{
    /// <summary>
    /// A webhook is a few KB. The longest a real one gets is a 4096-character body of the longest emoji (a
    /// subdivision flag: 7 code points, 28 bytes, 84 percent-encoded), about 344 KB; 512 KB leaves room for the rest.
    /// </summary>
    public const long MaxBodyBytes = 512 * 1024;

    /// <summary>Twilio sends about 20 fields, up to ~45 with ten media items, location, referral and button fields.</summary>
    public const int MaxFields = 100;

    /// <summary>Twilio's longest field names (e.g. <c>ReferralCtwaClid</c>, <c>MediaContentType9</c>) are under 32 characters.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>Decoded UTF-16 units: 4096 subdivision flags are 57,344 of them.</summary>
    public const int MaxValueLength = 64 * 1024;

    public sealed record Result(IReadOnlyList<KeyValuePair<string, string>>? Fields, int Status, string? Refusal)
    {
        public static Result Refused(int status, string reason) => new(null, status, reason);
    }

    public static async Task<Result> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!IsUrlEncodedUtf8(request.ContentType))
            return Result.Refused(StatusCodes.Status415UnsupportedMediaType, "Twilio webhooks are application/x-www-form-urlencoded (UTF-8) posts.");

        var read = await Webhooks.BoundedBody.ReadAsync(request, MaxBodyBytes, ct);
        if (read.Bytes is not { } body) return Result.Refused(read.Status, read.Refusal!);

        return Parse(Encoding.UTF8.GetString(body));
    }

    /// <summary>
    /// Splits and decodes the form. Not ASP.NET Core's form reader: it refuses "%00" outright, and Twilio does
    /// deliver NUL bytes in message bodies (Chatwoot's Twilio spec strips them), so a signed message would be lost.
    /// </summary>
    internal static Result Parse(string body)
    {
        var fields = new List<KeyValuePair<string, string>>();
        // Walked lazily, so a body of a hundred thousand separators stops at the limit without splitting the rest.
        foreach (var range in body.AsSpan().Split('&'))
        {
            var pair = body[range];
            if (pair.Length == 0) continue;
            if (fields.Count == MaxFields)
                return Result.Refused(StatusCodes.Status400BadRequest, $"Unreadable form: more than {MaxFields} fields.");
            var equals = pair.IndexOf('=');
            var key = WebUtility.UrlDecode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : WebUtility.UrlDecode(pair[(equals + 1)..]);
            if (key.Length > MaxKeyLength)
                return Result.Refused(StatusCodes.Status400BadRequest, $"Unreadable form: a field name is longer than {MaxKeyLength} characters.");
            if (value.Length > MaxValueLength)
                return Result.Refused(StatusCodes.Status400BadRequest, $"Unreadable form: a field value is longer than {MaxValueLength} characters.");
            fields.Add(new(key, value));
        }
        return new Result(fields, StatusCodes.Status200OK, null);
    }

    private static bool IsUrlEncodedUtf8(string? contentType)
        => MediaTypeHeaderValue.TryParse(contentType, out var parsed)
           && parsed.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
           && (parsed.Charset.Length == 0 || parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}
