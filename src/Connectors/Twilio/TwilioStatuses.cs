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
