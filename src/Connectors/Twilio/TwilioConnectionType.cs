using System.Text.Json;
using System.Text.RegularExpressions;
using Crm.Connectors.Connections;
using Crm.Contracts;

namespace Crm.Connectors.Twilio;

/// <summary>What the admin enters for a Twilio connection; <see cref="AuthToken"/> is write-only.</summary>
public sealed record TwilioSettingsInput(string? AccountSid, string? AuthToken, IReadOnlyList<string>? Numbers, string? ApiBaseUrl);

public sealed record TwilioSettingsView(string AccountSid, IReadOnlyList<string> Numbers, Uri? ApiBaseUrl, bool AuthTokenSet);

/// <summary>Twilio's WhatsApp senders: an account SID, its auth token (signs webhooks, authenticates sends) and the sender numbers.</summary>
public sealed partial class TwilioConnectionType(ChannelConnections connections, TwilioMessagesClient twilio) : IChannelConnectionType
{
    private ConnectionSecrets Secrets => connections.Secrets;

    public string Type => ChannelConnectionTypes.TwilioWhatsApp;
    public string Channel => Channels.WhatsApp;
    public string SettingsProperty => "twilio";
    public string DefaultDisplayName => "Twilio WhatsApp";

    public StoredSettings? Apply(JsonElement? input, ChannelConnection? existing, Dictionary<string, string[]> errors)
    {
        var given = ConnectionInput.Read<TwilioSettingsInput>(input, "twilio", errors);
        var before = existing is null ? null : ChannelConnections.TwilioSettingsOf(existing);
        if (given is null && before is null)
        {
            errors.TryAdd("twilio", ["twilio settings (accountSid, authToken, numbers) are required."]);
            return null;
        }

        var accountSid = given?.AccountSid?.Trim() ?? before?.AccountSid;
        if (accountSid is null || !AccountSidPattern().IsMatch(accountSid))
            errors["twilio.accountSid"] = ["accountSid must be Twilio's account SID: AC followed by 32 letters or digits."];

        string? authToken = null;
        if (given?.AuthToken is { } token)
        {
            if (token.Length is 0 or > 200 || token.Any(char.IsControl)) errors["twilio.authToken"] = ["authToken must be 1 to 200 characters."];
            else authToken = token;
        }
        else if (existing is null)
        {
            errors["twilio.authToken"] = ["authToken is required."];
        }

        var numbers = new List<string>();
        foreach (var number in given?.Numbers ?? before?.Numbers ?? [])
        {
            string identity;
            try { identity = WhatsAppNumbers.Identity(number ?? ""); }
            catch (FormatException) { identity = ""; }
            if (!identity.StartsWith('+'))
            {
                errors["twilio.numbers"] = ["numbers must be WhatsApp senders such as whatsapp:+14155238886."];
                break;
            }
            numbers.Add(WhatsAppNumbers.ToWhatsAppAddress(identity));
        }
        if (numbers.Count == 0 && !errors.ContainsKey("twilio.numbers")) errors["twilio.numbers"] = ["At least one WhatsApp sender number is required."];
        if (numbers.Count > 50) errors["twilio.numbers"] = ["At most 50 sender numbers per connection."];

        var apiBaseUrl = ConnectionInput.Url(given?.ApiBaseUrl, before?.ApiBaseUrl, "twilio.apiBaseUrl", errors);
        if (errors.Count > 0) return null;

        var settings = new TwilioConnectionSettings(accountSid!, numbers.Distinct(StringComparer.Ordinal).ToList(), apiBaseUrl);
        return Store(settings, authToken ?? connections.TwilioAuthTokenOf(existing!), Secrets);
    }

    /// <summary>Settings as JSON (numbers as <c>whatsapp:</c> addresses), the token encrypted, the numbers as identities.</summary>
    public static StoredSettings Store(TwilioConnectionSettings settings, string authToken, ConnectionSecrets secrets)
    {
        var numbers = settings.Numbers.Select(WhatsAppNumbers.Identity).Distinct(StringComparer.Ordinal).ToList();
        var stored = settings with { Numbers = numbers.Select(WhatsAppNumbers.ToWhatsAppAddress).ToList() };
        return new StoredSettings(ConnectionInput.Serialize(stored), secrets.Protect(new TwilioConnectionSecrets(authToken)), numbers);
    }

    public object View(ChannelConnection connection)
    {
        var settings = ChannelConnections.TwilioSettingsOf(connection);
        return new TwilioSettingsView(settings.AccountSid, settings.Numbers, settings.ApiBaseUrl, AuthTokenSet: connection.ProtectedSecrets.Length > 0);
    }

    public IReadOnlyDictionary<string, string> WebhookPaths(Guid connectionId) => new Dictionary<string, string>
    {
        ["messages"] = TwilioWebhookPaths.MessagesOf(connectionId),
        ["status"] = TwilioWebhookPaths.StatusOf(connectionId),
    };

    public async Task<ConnectionCheck> TestAsync(ChannelConnection connection, CancellationToken ct)
    {
        var check = await twilio.CheckAccountAsync(connections.ToTwilioAccount(connection), ct);
        return new ConnectionCheck(check.Ok, check.Message);
    }

    /// <summary>The account's Content templates approved for WhatsApp, from Twilio's Content API.</summary>
    public async Task<TemplateSync?> FetchTemplatesAsync(ChannelConnection connection, CancellationToken ct)
        => await twilio.FetchApprovedTemplatesAsync(connections.ToTwilioAccount(connection), ct);

    [GeneratedRegex("^AC[A-Za-z0-9]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex AccountSidPattern();
}
