namespace Crm.Connectors.Twilio;

/// <summary>Twilio account settings, bound from <see cref="Section"/>.</summary>
public sealed class TwilioOptions
{
    public const string Section = "Crm:Twilio";

    /// <summary>The account SID (<c>AC…</c>): part of the API path and the Basic auth user.</summary>
    public string AccountSid { get; set; } = "";

    /// <summary>
    /// Basic auth password for sending, and the key webhook signatures are checked with.
    /// Empty means every webhook is refused, never accepted unchecked.
    /// </summary>
    public string AuthToken { get; set; } = "";

    /// <summary>The WhatsApp sender replies go out from, e.g. <c>whatsapp:+14155238886</c>.</summary>
    public string WhatsAppFrom { get; set; } = "";

    /// <summary>Twilio's REST API; overridable so tests and development can point at a fake.</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://api.twilio.com");

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

    /// <summary>
    /// Further WhatsApp numbers this deployment owns besides <see cref="WhatsAppFrom"/> (e.g. <c>whatsapp:+14155550999</c>).
    /// Webhooks to any other number are refused: they were meant for someone else's deployment.
    /// </summary>
    public List<string> WhatsAppNumbers { get; set; } = [];

    /// <summary>
    /// The workspace this deployment's one Twilio account serves, until channel connections are data. Default:
    /// the Development demo workspace.
    /// </summary>
    public Guid WorkspaceId { get; set; } = Guid.Parse("5eed0000-0000-4000-8000-000000000001");
}
