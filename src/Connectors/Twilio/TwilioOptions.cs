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

    /// <summary>Attempts per send, counting the first; only 429 and 5xx answers are retried.</summary>
    public int MaxSendAttempts { get; set; } = 4;

    /// <summary>How long to wait for Twilio's answer to one send; after that its outcome is unknown.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First retry delay, doubled on each further attempt unless Twilio sends Retry-After.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Further WhatsApp numbers this deployment owns besides <see cref="WhatsAppFrom"/> (e.g. <c>whatsapp:+14155550999</c>).
    /// Webhooks to any other number are refused: they were meant for someone else's deployment.
    /// </summary>
    public List<string> WhatsAppNumbers { get; set; } = [];
}
