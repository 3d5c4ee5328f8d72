namespace Crm.Contracts;

/// <summary>Delivery statuses as the inbox stores them; provider statuses are mapped onto these.</summary>
public static class MessageStatuses
{
    public const string Received = "received";
    public const string Pending = "pending";
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Read = "read";
    public const string Failed = "failed";
    public const string Undelivered = "undelivered";

    public static bool IsKnown(string status) => Rank(status) >= 0;

    /// <summary>
    /// Providers deliver callbacks out of order; a status may only replace one of lower rank,
    /// so a late "sent" never hides "delivered". Failures are final. -1 for an unknown status.
    /// </summary>
    public static int Rank(string status) => status switch
    {
        Pending => 0,
        Queued => 1,
        Sent => 2,
        Delivered => 3,
        Read => 4,
        Failed or Undelivered => 5,
        Received => 0,
        _ => -1,
    };
}
