using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Crm.FaultTests.Hosting;

namespace Crm.FaultTests.Traffic;

/// <summary>
/// Incoming WhatsApp messages as Twilio posts them: form-encoded and signed as Twilio signs them (HMAC-SHA1 keyed
/// with the auth token over the URL it called, then every parameter sorted by name with its value), the same
/// scheme as <c>src/Connectors/Twilio/TwilioSignature.cs</c>. Each scenario gets its own message sids.
/// </summary>
public sealed class SignedWebhooks(string publicBaseUrl, int senders)
{
    /// <summary>The seeded connection's webhook URLs.</summary>
    public const string WhatsAppPath = $"/webhooks/twilio/{CrmDeployment.ConnectionId}";
    public const string StatusPath = $"/webhooks/twilio/{CrmDeployment.ConnectionId}/status";

    public string RunTag { get; } = RandomNumberGenerator.GetHexString(8, lowercase: true);

    /// <summary>34 characters, as Twilio's: "SM", this run's tag, the webhook's index.</summary>
    public string Sid(int index) => "SM" + RunTag + index.ToString("x24", CultureInfo.InvariantCulture);

    public string Sender(int index) => "+1415" + (5_550_000 + index % senders).ToString(CultureInfo.InvariantCulture);

    public HttpRequestMessage Message(int index)
    {
        var sid = Sid(index);
        var sender = Sender(index);
        List<KeyValuePair<string, string>> form =
        [
            new("SmsMessageSid", sid),
            new("NumMedia", "0"),
            new("ProfileName", "Customer " + sender[^4..]),
            new("MessageType", "text"),
            new("SmsSid", sid),
            new("WaId", sender.TrimStart('+')),
            new("SmsStatus", "received"),
            new("Body", $"Message {index.ToString(CultureInfo.InvariantCulture)}: where is my order?"),
            new("To", "whatsapp:" + CrmDeployment.BusinessNumber),
            new("NumSegments", "1"),
            new("MessageSid", sid),
            new("AccountSid", CrmDeployment.AccountSid),
            new("From", "whatsapp:" + sender),
            new("ApiVersion", "2010-04-01"),
        ];
        return Signed(WhatsAppPath, form);
    }

    /// <summary>Twilio's delivery report for a message it accepted, to the callback URL the send named.</summary>
    public HttpRequestMessage StatusCallback(string pathAndQuery, string twilioSid, string status) => Signed(pathAndQuery,
    [
        new("SmsSid", twilioSid),
        new("SmsStatus", status),
        new("MessageStatus", status),
        new("To", "whatsapp:+14155550100"),
        new("MessageSid", twilioSid),
        new("AccountSid", CrmDeployment.AccountSid),
        new("From", "whatsapp:" + CrmDeployment.BusinessNumber),
        new("ApiVersion", "2010-04-01"),
    ]);

    private HttpRequestMessage Signed(string pathAndQuery, List<KeyValuePair<string, string>> form)
    {
        var signed = new StringBuilder(publicBaseUrl + pathAndQuery);
        foreach (var (key, value) in form.OrderBy(f => f.Key, StringComparer.Ordinal).ThenBy(f => f.Value, StringComparer.Ordinal))
            signed.Append(key).Append(value);
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(CrmDeployment.AuthToken));
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(signed.ToString()))));
        return request;
    }
}
