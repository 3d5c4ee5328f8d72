namespace Crm.Contracts;

/// <summary>Delivery statuses as the inbox stores them; provider statuses are mapped onto these.</summary>
public static class MessageStatuses
{
    public const string Received = "received";

    /// <summary>Saved on the timeline; not yet answered by the provider.</summary>
    public const string Pending = "pending";

    /// <summary>The provider could not be reached; the send will be tried again (never twice delivered).</summary>
    public const string Retrying = "retrying";

    /// <summary>
    /// We may have sent it: the provider took the request but its answer never came, or the sender died
    /// mid-send. A later provider callback can still move it on to what really happened.
    /// </summary>
    public const string UnknownOutcome = "unknown-outcome";

    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Read = "read";
    public const string Failed = "failed";
    public const string Undelivered = "undelivered";

    public static bool IsKnown(string status) => Rank(status) >= 0;

    /// <summary>Failed and undelivered end a message's story; nothing may replace them.</summary>
    public static bool IsFinal(string status) => status is Failed or Undelivered;

    /// <summary>
    /// Providers deliver callbacks out of order; a status may only replace one of lower rank,
    /// so a late "sent" never hides "delivered". Failures are final. -1 for an unknown status.
    /// "unknown-outcome" ranks below "queued" so the provider's own callback can still settle it.
    /// </summary>
    public static int Rank(string status) => status switch
    {
        Received => 0,
        Pending => 0,
        Retrying => 1,
        UnknownOutcome => 2,
        Queued => 3,
        Sent => 4,
        Delivered => 5,
        Read => 6,
        Failed or Undelivered => 7,
        _ => -1,
    };
}

/// <summary>Crm's own reasons for a reply that did not go out; provider codes are kept beside them.</summary>
public static class SendFailures
{
    /// <summary>The provider could not be reached for the whole send deadline.</summary>
    public const string ProviderUnreachable = "provider-unreachable";

    /// <summary>The command reached the connector after its deadline; it was not sent.</summary>
    public const string Expired = "expired";

    /// <summary>The reply could not be handed to the sending service before its deadline.</summary>
    public const string NotDispatched = "not-dispatched";

    /// <summary>The conversation's channel connection is gone, disabled, or no longer owns the sender it came in on.</summary>
    public const string ConnectionUnavailable = "connection-unavailable";

    /// <summary>The provider refused the message and gave no code Crm knows; the provider's code and words are in the reason.</summary>
    public const string Refused = "refused";

    /// <summary>The channel's reply window is closed: only a template can be sent (WhatsApp 131047/63016, Messenger 10/2018278, WeChat 45015).</summary>
    public const string OutsideReplyWindow = "outside-reply-window";

    /// <summary>As many replies as the window allows were sent; the customer must write again (WeChat 45047).</summary>
    public const string ReplyLimitReached = "reply-limit-reached";

    /// <summary>The provider is throttling: too many messages to this customer or from this account (Meta 613, 130429, 131056).</summary>
    public const string RateLimited = "rate-limited";

    /// <summary>The customer cannot be reached on this channel (not a WhatsApp user, blocked, gone: 131026, Messenger 551).</summary>
    public const string RecipientUnavailable = "recipient-unavailable";

    /// <summary>The provider rejected the connection's credentials (a token expired or revoked, a wrong secret).</summary>
    public const string CredentialsRejected = "credentials-rejected";

    /// <summary>The account may not use this API (WeChat 48001: not granted; a Meta permission missing).</summary>
    public const string NotPermitted = "not-permitted";

    /// <summary>The template is not in the provider's approved catalog, or its variables do not fit it.</summary>
    public const string TemplateRejected = "template-rejected";
}
