using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Crm.Benchmarks;

/// <summary>
/// Incoming-WhatsApp webhooks as Twilio sends them: the same fields, form-encoded, signed as Twilio signs
/// them (HMAC-SHA1 over the URL then every parameter sorted by key, keyed with the auth token; the same
/// algorithm as <c>src/Connectors/Twilio/TwilioSignature.cs</c>). Built before the timed part of a run.
/// </summary>
public sealed class TwilioWebhookForms
{
    /// <summary>The Twilio channel connection the benchmark's Crm seeds from its command line, and its webhook URL.</summary>
    public const string ConnectionId = "be4c0000-0000-4000-8000-000000000001";
    public const string WorkspaceId = "5eed0000-0000-4000-8000-000000000001";
    public const string WhatsAppPath = $"/webhooks/twilio/{ConnectionId}";
    public const string AccountSid = "ACbench0000000000000000000000000000";
    public const string AuthToken = "bench-auth-token";
    public const string BusinessNumber = "+14155238886";

    /// <summary>Message sids are "SM" + 8 hex digits of the run + 24 of the webhook's index: Twilio's 34 characters.</summary>
    private const int IndexDigits = 24;

    public string RunTag { get; }
    public byte[][] Bodies { get; }
    public string[] Signatures { get; }
    public int Count => Bodies.Length;

    private TwilioWebhookForms(string runTag, byte[][] bodies, string[] signatures)
    {
        RunTag = runTag;
        Bodies = bodies;
        Signatures = signatures;
    }

    /// <param name="signedUrl">The URL Twilio would have called: Crm's PublicBaseUrl plus the path.</param>
    /// <param name="senders">How many customers the webhooks are spread over, round robin.</param>
    public static TwilioWebhookForms Create(int count, string signedUrl, int senders)
    {
        var runTag = RandomNumberGenerator.GetHexString(8, lowercase: true);
        var bodies = new byte[count][];
        var signatures = new string[count];
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(AuthToken));
        var signed = new StringBuilder(1024);
        for (var i = 0; i < count; i++)
        {
            var sid = Sid(runTag, i);
            var sender = "+1415" + (5_550_000 + i % senders).ToString(CultureInfo.InvariantCulture);
            var fields = Fields(sid, sender, i);
            bodies[i] = Encoding.ASCII.GetBytes(string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value))));

            signed.Clear().Append(signedUrl);
            foreach (var (key, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal).ThenBy(f => f.Value, StringComparer.Ordinal))
                signed.Append(key).Append(value);
            signatures[i] = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(signed.ToString())));
        }
        return new TwilioWebhookForms(runTag, bodies, signatures);
    }

    public static string Sid(string runTag, long index)
        => "SM" + runTag + index.ToString("x" + IndexDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>The webhook index a message sid of this run carries, or -1 for anyone else's message.</summary>
    public long IndexOf(string? sid)
    {
        if (sid is null || sid.Length != 2 + RunTag.Length + IndexDigits || !sid.AsSpan(2).StartsWith(RunTag, StringComparison.Ordinal)) return -1;
        return long.TryParse(sid.AsSpan(2 + RunTag.Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var index) ? index : -1;
    }

    private static List<KeyValuePair<string, string>> Fields(string sid, string sender, int index) =>
    [
        new("SmsMessageSid", sid),
        new("NumMedia", "0"),
        new("ProfileName", "Customer " + sender[^4..]),
        new("MessageType", "text"),
        new("SmsSid", sid),
        new("WaId", sender.TrimStart('+')),
        new("SmsStatus", "received"),
        new("Body", $"Hi, this is message {index.ToString(CultureInfo.InvariantCulture)}: where is my order, and can I change the delivery address?"),
        new("To", "whatsapp:" + BusinessNumber),
        new("NumSegments", "1"),
        new("ReferralNumMedia", "0"),
        new("MessageSid", sid),
        new("AccountSid", AccountSid),
        new("From", "whatsapp:" + sender),
        new("ApiVersion", "2010-04-01"),
    ];
}
