namespace Crm.Connectors.Outbound;

/// <summary>
/// How a provider's sender retries and how long it waits; each provider binds its own section (<c>Crm:Twilio</c>,
/// <c>Crm:WeChat</c>…) onto a subclass.
/// </summary>
public class ProviderSendOptions
{
    /// <summary>Attempts within one send (inline, counting the first); only answers that created nothing (429, 5xx) are retried.</summary>
    public int MaxSendAttempts { get; set; } = 4;

    /// <summary>How long to wait for the provider's answer to one send; after that its outcome is unknown.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// First inline retry delay, doubled on each further attempt. A shorter Retry-After is honoured; a longer
    /// one ends the inline retries and is left to the next attempt (<see cref="NextAttemptBaseDelay"/>).
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When the provider could not be reached, how long the inbox waits before attempt 2 of a send; doubled for
    /// each further attempt, up to <see cref="NextAttemptMaxDelay"/>.
    /// </summary>
    public TimeSpan NextAttemptBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts of a send.</summary>
    public TimeSpan NextAttemptMaxDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long after attempt <paramref name="attempt"/> (counting from 1) failed to reach the provider the next one starts.</summary>
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
    /// waits between them, and one more request timeout for the ledger writes around it.
    /// A claim older than this belongs to a sender that died mid-send.
    /// </summary>
    public TimeSpan SendLease()
    {
        var lease = RequestTimeout * (MaxSendAttempts + 1);
        for (var attempt = 1; attempt < MaxSendAttempts; attempt++) lease += InlineRetryDelay(attempt);
        return lease;
    }
}
