using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Crm.Connectors.Twilio;

/// <summary>
/// Reads a Twilio webhook's form once, within bounds set before a byte of it is read, because it is read
/// before anyone knows whether Twilio sent it. Anything out of bounds or unreadable is a refusal with a
/// status and a reason fit for one log line (never the body, never a secret), not an exception.
/// </summary>
public static class TwilioWebhookForm
{
    /// <summary>A webhook is a few KB; 256 KB leaves room for a 4096-character body, ten media URLs and metadata.</summary>
    public const long MaxBodyBytes = 256 * 1024;

    /// <summary>Twilio sends about 20 fields, up to ~45 with ten media items, location, referral and button fields.</summary>
    public const int MaxFields = 100;

    /// <summary>Twilio's longest field names (e.g. <c>ReferralCtwaClid</c>, <c>MediaContentType9</c>) are under 32 characters.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>Room for a 4096-character body percent-encoded (up to 12 bytes a character) and JSON metadata.</summary>
    public const int MaxValueLength = 64 * 1024;

    public sealed record Result(IReadOnlyList<KeyValuePair<string, string>>? Fields, int Status, string? Refusal)
    {
        public static Result Refused(int status, string reason) => new(null, status, reason);
    }

    public static async Task<Result> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!IsUrlEncodedUtf8(request.ContentType))
            return Result.Refused(StatusCodes.Status415UnsupportedMediaType, "Twilio webhooks are application/x-www-form-urlencoded (UTF-8) posts.");

        if (request.ContentLength > MaxBodyBytes)
            return Result.Refused(StatusCodes.Status413PayloadTooLarge, $"The body is {request.ContentLength} bytes; webhooks are at most {MaxBodyBytes}.");
        // Bodies without a length (chunked) are cut off by the server at the same limit as they stream in.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxBodyBytes;

        Dictionary<string, Microsoft.Extensions.Primitives.StringValues> form;
        try
        {
            var reader = new FormPipeReader(request.BodyReader, Encoding.UTF8)
            {
                ValueCountLimit = MaxFields,
                KeyLengthLimit = MaxKeyLength,
                ValueLengthLimit = MaxValueLength,
            };
            form = await reader.ReadFormAsync(ct);
        }
        catch (BadHttpRequestException error)
        {
            // The server's own refusal, e.g. 413 once a chunked body passed the limit.
            return Result.Refused(error.StatusCode, error.Message);
        }
        catch (InvalidDataException error)
        {
            // Limits passed, or what the form decoder will not produce (e.g. "%00"). Its messages hold no input.
            return Result.Refused(StatusCodes.Status400BadRequest, $"Unreadable form: {error.Message}");
        }

        var fields = new List<KeyValuePair<string, string>>(form.Count);
        foreach (var (key, values) in form)
        {
            foreach (var value in values) fields.Add(new(key, value ?? ""));
        }
        return new Result(fields, StatusCodes.Status200OK, null);
    }

    private static bool IsUrlEncodedUtf8(string? contentType)
        => MediaTypeHeaderValue.TryParse(contentType, out var parsed)
           && parsed.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
           && (parsed.Charset.Length == 0 || parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}
