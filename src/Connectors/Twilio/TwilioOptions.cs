namespace Crm.Connectors.Twilio;

/// <summary>
/// Deployment-wide Twilio settings, bound from <see cref="Section"/>. Accounts, tokens and numbers are not
/// here: they are channel connections, data of each workspace (<c>Connections/</c>).
/// </summary>
public sealed class TwilioOptions
{
    public const string Section = "Crm:Twilio";

    /// <summary>
    /// The public URL Twilio calls. Twilio signs the URL it called, which a server behind a proxy
    /// or tunnel does not see; also needed to ask Twilio for status callbacks.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>Attempts within one send (inline, counting the first); only 429 and 5xx answers are retried.</summary>
    public int MaxSendAttempts { get; set; } = 4;

    /// <summary>How long to wait for Twilio's answer to one send; after that its outcome is unknown.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// First inline retry delay, doubled on each further attempt. A shorter Retry-After is honoured; a longer
    /// one ends the inline retries and is left to the next attempt (<see cref="NextAttemptBaseDelay"/>).
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When Twilio could not be reached, how long the inbox waits before attempt 2 of a send; doubled for
    /// each further attempt, up to <see cref="NextAttemptMaxDelay"/>.
    /// </summary>
    public TimeSpan NextAttemptBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts of a send.</summary>
    public TimeSpan NextAttemptMaxDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long after attempt <paramref name="attempt"/> (counting from 1) failed to reach Twilio the next one starts.</summary>
    public TimeSpan NextAttemptDelay(int attempt)
    {
        var doublings = Math.Clamp(attempt - 1, 0, 30);
        var delay = NextAttemptBaseDelay * Math.Pow(2, doublings);
        return delay < NextAttemptMaxDelay ? delay : NextAttemptMaxDelay;
    }

    /// <summary>The inline wait before attempt <paramref name="attempt"/> + 1 within one send.</summary>
    public TimeSpan InlineRetryDelay(int attempt) => RetryBaseDelay * Math.Pow(2, attempt - 1);

    /// <summary>
    /// How long one send may hold its claim in the outbound ledger: every attempt timing out, the inline
    /// waits between them, and one more request timeout for the ledger writes around it. A claim older than
    /// this belongs to a sender that died mid-send.
    /// </summary>
    public TimeSpan SendLease()
    {
        var lease = RequestTimeout * (MaxSendAttempts + 1);
        for (var attempt = 1; attempt < MaxSendAttempts; attempt++) lease += InlineRetryDelay(attempt);
        return lease;
    }
}
