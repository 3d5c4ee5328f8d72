using System.Security.Cryptography;
using System.Text;
using Crm.Connectors.Webhooks;
using Microsoft.AspNetCore.Http;

namespace Crm.Connectors.Meta;

/// <summary>
/// What Messenger and the WhatsApp Cloud API share: Meta's webhooks. A subscription is confirmed by a <c>GET</c>
/// echoing <c>hub.challenge</c> when <c>hub.verify_token</c> is the one the admin chose; every delivery is signed in
/// <c>X-Hub-Signature-256</c> with HMAC-SHA256 of the raw request bytes and the app secret. Meta escapes non-ASCII
/// in what it signs, so the signature is checked over the bytes as they came, before anything parses them.
/// </summary>
public static class MetaWebhooks
{
    /// <summary>
    /// Meta batches up to 1,000 updates in one delivery; a text is at most 2,000 characters (Messenger) or 4,096
    /// (WhatsApp), escaped as \uXXXX up to 6 bytes each. 3 MB holds a full batch of ordinary messages.
    /// </summary>
    public const long MaxBodyBytes = 3 * 1024 * 1024;

    public const string SignatureHeader = "X-Hub-Signature-256";

    /// <summary>
    /// The answer to Meta's subscription check: the challenge as plain text when the mode is <c>subscribe</c> and the
    /// token is the connection's; null (answer 403) otherwise. Compared in constant time: the token is a secret.
    /// </summary>
    public static string? VerifySubscription(IQueryCollection query, string verifyToken)
    {
        var mode = query["hub.mode"].ToString();
        var token = query["hub.verify_token"].ToString();
        var challenge = query["hub.challenge"].ToString();
        if (mode != "subscribe" || challenge.Length is 0 or > 256 || verifyToken.Length == 0) return null;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(verifyToken)) ? challenge : null;
    }

    /// <summary>Whether <paramref name="header"/> (<c>sha256=</c> and 64 hex digits) is the HMAC-SHA256 of <paramref name="body"/> with <paramref name="appSecret"/>.</summary>
    public static bool IsSignedBy(string appSecret, ReadOnlySpan<byte> body, string? header)
    {
        const string prefix = "sha256=";
        if (header is null || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Length != prefix.Length + 64) return false;
        Span<byte> given = stackalloc byte[32];
        try
        {
            if (Convert.FromHexString(header.AsSpan(prefix.Length), given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32) return false;
        }
        catch (FormatException)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>The header Meta would send for <paramref name="body"/>: for the dev scripts and tests that play Meta.</summary>
    public static string Sign(string appSecret, ReadOnlySpan<byte> body)
        => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));

    /// <summary>
    /// Reads the body within <see cref="MaxBodyBytes"/> and checks its signature before anything parses it. The refusal
    /// (413 too long, 415 not JSON, 403 not signed with this secret) is fit for one log line: never the body or the secret.
    /// </summary>
    public static async Task<BoundedBody.Result> ReadSignedAsync(HttpRequest request, string appSecret, CancellationToken ct)
    {
        if (!(request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return BoundedBody.Result.Refused(StatusCodes.Status415UnsupportedMediaType, "Meta webhooks are application/json posts.");
        var read = await BoundedBody.ReadAsync(request, MaxBodyBytes, ct);
        if (read.Bytes is not { } body) return read;
        return IsSignedBy(appSecret, body, request.Headers[SignatureHeader].ToString())
            ? read
            : BoundedBody.Result.Refused(StatusCodes.Status403Forbidden,
                $"The {SignatureHeader} header is missing or not made with this connection's app secret.");
    }
}
