using Crm.Contracts;

namespace Crm.Connectors.Twilio;

/// <summary>Twilio's MessageStatus values mapped onto the statuses the inbox stores.</summary>
public static class TwilioStatuses
{
    /// <summary>The inbox status, or null when the value is not an outbound delivery status (e.g. "received").</summary>
    public static string? ToInboxStatus(string? twilioStatus) => twilioStatus?.Trim().ToLowerInvariant() switch
    {
        "accepted" or "scheduled" or "queued" or "sending" => MessageStatuses.Queued,
        "sent" => MessageStatuses.Sent,
        "delivered" => MessageStatuses.Delivered,
        "read" => MessageStatuses.Read,
        "failed" or "canceled" => MessageStatuses.Failed,
        "undelivered" => MessageStatuses.Undelivered,
        _ => null,
    };
}

/// <summary>Twilio's error codes that mean one of Crm's own failure reasons; any other code is kept as Twilio's.</summary>
public static class TwilioErrors
{
    public static string? ToCrmReason(string? twilioCode) => twilioCode switch
    {
        null or "" => null,
        // Freeform message outside the 24-hour window.
        "63016" => SendFailures.OutsideReplyWindow,
        // Rate limits: Twilio's account-wide 429, WhatsApp's rate limit, and its per-pair limit.
        "20429" or "63018" or "63038" => SendFailures.RateLimited,
        // Not a WhatsApp user / no such channel address / invalid recipient.
        "63003" or "63024" or "21211" or "21614" => SendFailures.RecipientUnavailable,
        "20003" => SendFailures.CredentialsRejected,
        // The Content template is unknown, not approved for WhatsApp, or its variables do not fit it.
        "21655" or "21656" or "63027" or "63028" => SendFailures.TemplateRejected,
        _ => twilioCode,
    };
}
