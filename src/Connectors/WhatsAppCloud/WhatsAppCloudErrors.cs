using System.Globalization;
using System.Text.Json;
using Crm.Contracts;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>
/// Meta's error codes (in a send's answer and in a failed status's <c>errors[]</c>) that mean one of Crm's own failure
/// reasons; any other code is kept as Meta's. The reason in words keeps Meta's code and title:
/// <c>Meta error 131047: Re-engagement message</c>.
/// </summary>
public static class WhatsAppCloudErrors
{
    public static string? ToCrmReason(string? code) => code switch
    {
        null or "" => null,
        // More than 24 hours since the customer last wrote: only a template may go out.
        "131047" => SendFailures.OutsideReplyWindow,
        // Throughput (130429), per-recipient pair rate (131056), the app's (4) and the account's (80007) rate limits.
        "130429" or "131056" or "4" or "80007" => SendFailures.RateLimited,
        // Not a WhatsApp user, an old app, or the customer blocked the business.
        "131026" => SendFailures.RecipientUnavailable,
        // The access token expired, was revoked or is not one.
        "190" => SendFailures.CredentialsRejected,
        // A permission missing (10) or not granted by the app's user (200).
        "10" or "200" => SendFailures.NotPermitted,
        // 132xxx: the template is unknown in that language, paused, disabled, or its parameters do not fit it.
        _ when IsTemplateError(code) => SendFailures.TemplateRejected,
        _ => code,
    };

    /// <summary>
    /// Codes that say Meta did not take the message now but may later: its rate limits, and its own
    /// temporary failures (1 unknown, 2 service, 131000 something went wrong, 131016 service unavailable).
    /// </summary>
    public static bool IsTemporary(string? code)
        => code is "1" or "2" or "131000" or "131016" || ToCrmReason(code) == SendFailures.RateLimited;

    /// <summary>A rate limit: waiting a second and trying again inline would only be refused again.</summary>
    public static bool IsRateLimit(string? code) => ToCrmReason(code) == SendFailures.RateLimited;

    private static bool IsTemplateError(string code)
        => code.Length == 6 && code.StartsWith("132", StringComparison.Ordinal) && code.All(char.IsAsciiDigit);

    /// <summary>
    /// Meta's error object (<c>{"code":131047,"title":"…","message":"(#131047) …"}</c>, from an answer's <c>error</c> or a
    /// status's <c>errors[0]</c>) as its code and a reason in words; the code is null when the object has none.
    /// </summary>
    public static (string? Code, string Reason) Describe(JsonElement error, string fallback)
    {
        if (error.ValueKind != JsonValueKind.Object) return (null, fallback);
        var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var number)
            ? number.ToString(CultureInfo.InvariantCulture)
            : null;
        var words = Text(error, "title") ?? WithoutCodePrefix(Text(error, "message")) ?? Text(error, "type");
        if (code is null) return (null, words is null ? fallback : $"Meta: {words}");
        return (code, words is null ? $"Meta error {code}." : $"Meta error {code}: {words}");
    }

    /// <summary>Meta writes messages as <c>(#131047) Re-engagement message</c>; the code is said once, in front.</summary>
    private static string? WithoutCodePrefix(string? message)
    {
        if (message is null) return null;
        if (message.StartsWith("(#", StringComparison.Ordinal) && message.IndexOf(") ", StringComparison.Ordinal) is var end and > 0)
            return message[(end + 2)..];
        return message;
    }

    private static string? Text(JsonElement element, string property)
        => element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;
}

/// <summary>Meta's status values mapped onto the statuses the inbox stores.</summary>
public static class WhatsAppCloudStatuses
{
    /// <summary>The inbox status, or null for one that says nothing of delivery (e.g. a voice message "played").</summary>
    public static string? ToInboxStatus(string? status) => status switch
    {
        "sent" => MessageStatuses.Sent,
        "delivered" => MessageStatuses.Delivered,
        "read" => MessageStatuses.Read,
        "failed" => MessageStatuses.Failed,
        _ => null,
    };
}
