using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Crm.Connectors.Twilio;

/// <summary>
/// Twilio's webhook signature (the <c>X-Twilio-Signature</c> header): HMAC-SHA1 over the URL Twilio
/// called followed by the POST parameters, keyed with the account's auth token.
/// </summary>
public static class TwilioSignature
{
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> formParameters)
        => Convert.ToBase64String(Hmac(authToken, url, SortedParameters(formParameters)));

    /// <summary>
    /// True when <paramref name="signature"/> matches <paramref name="url"/> as given, or with its port
    /// added or removed: Twilio may sign either form, so its own libraries accept both. The parameters are
    /// sorted once, and the second form is only tried when the first does not match.
    /// </summary>
    public static bool IsValid(string authToken, string? signature, string url, IEnumerable<KeyValuePair<string, string>> formParameters)
    {
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(authToken)) return false;

        Span<byte> expected = stackalloc byte[HMACSHA1.HashSizeInBytes];
        // Not base64, or not the length of an HMAC-SHA1: no variant can match.
        if (!Convert.TryFromBase64String(signature, expected, out var written) || written != HMACSHA1.HashSizeInBytes) return false;

        var parameters = SortedParameters(formParameters);
        string? tried = null;
        foreach (var candidate in UrlVariants(url))
        {
            if (candidate == tried) continue;
            tried = candidate;
            // Constant time, so a forger cannot learn the signature byte by byte.
            if (CryptographicOperations.FixedTimeEquals(Hmac(authToken, candidate, parameters), expected)) return true;
        }
        return false;
    }

    /// <summary>Each key followed by its value, ordinally sorted as Twilio sorts; repeated keys keep every value, themselves sorted.</summary>
    private static string SortedParameters(IEnumerable<KeyValuePair<string, string>> formParameters)
    {
        var data = new StringBuilder();
        foreach (var (key, value) in formParameters
                     .OrderBy(p => p.Key, StringComparer.Ordinal)
                     .ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }
        return data.ToString();
    }

    private static byte[] Hmac(string authToken, string url, string sortedParameters)
        => HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(url + sortedParameters));

    /// <summary>
    /// The URL as given, with the scheme's default port added when it has none, and without its port
    /// when it has one. Done on the string, not through <see cref="Uri"/>, so nothing else that was
    /// signed (case, escaping) is normalized away.
    /// </summary>
    internal static IEnumerable<string> UrlVariants(string url)
    {
        yield return url;

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) yield break;
        var scheme = url[..schemeEnd];
        int? defaultPort = scheme.Equals("https", StringComparison.OrdinalIgnoreCase) ? 443
            : scheme.Equals("http", StringComparison.OrdinalIgnoreCase) ? 80
            : null;
        if (defaultPort is null) yield break;

        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0) authorityEnd = url.Length;
        var authority = url[authorityStart..authorityEnd];

        // The port's colon comes after any user:password@ and after an IPv6 literal's brackets.
        var hostStart = authority.LastIndexOf('@') + 1;
        var colon = authority.LastIndexOf(':');
        var hasPort = colon >= hostStart && colon > authority.LastIndexOf(']');

        yield return hasPort
            ? url[..(authorityStart + colon)] + url[authorityEnd..]
            : url[..authorityEnd] + ":" + defaultPort.Value.ToString(CultureInfo.InvariantCulture) + url[authorityEnd..];
    }
}
