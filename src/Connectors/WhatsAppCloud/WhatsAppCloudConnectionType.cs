using System.Text.Json;
using System.Text.RegularExpressions;
using Crm.Connectors.Connections;
using Crm.Connectors.Twilio;
using Crm.Contracts;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>What the admin enters for a WhatsApp Cloud API number (<c>"whatsappCloud": {...}</c>); the three secrets are write-only.</summary>
public sealed record WhatsAppCloudSettingsInput(
    string? PhoneNumberId,
    string? WabaId,
    string? DisplayPhoneNumber,
    string? AccessToken,
    string? AppSecret,
    string? VerifyToken,
    string? ApiBaseUrl,
    string? GraphVersion);

public sealed record WhatsAppCloudSettingsView(
    string PhoneNumberId,
    string WabaId,
    string DisplayPhoneNumber,
    Uri? ApiBaseUrl,
    string GraphVersion,
    bool AccessTokenSet,
    bool AppSecretSet,
    bool VerifyTokenSet);

/// <summary>
/// A number on Meta's WhatsApp Cloud API: its phone number id (sends), its WhatsApp Business Account id (templates), its
/// display number (the business identity conversations are on, and so the same form as Twilio's), a system user's access
/// token, the app secret (signs webhooks) and the verify token the admin chose for the subscription check.
/// </summary>
public sealed partial class WhatsAppCloudConnectionType(ChannelConnections connections, WhatsAppCloudClient meta) : IChannelConnectionType
{
    private const string Property = "whatsappCloud";

    public string Type => ChannelConnectionTypes.WhatsAppCloud;
    public string Channel => Channels.WhatsApp;
    public string SettingsProperty => Property;
    public string DefaultDisplayName => "WhatsApp (Cloud API)";

    public StoredSettings? Apply(JsonElement? input, ChannelConnection? existing, Dictionary<string, string[]> errors)
    {
        var given = ConnectionInput.Read<WhatsAppCloudSettingsInput>(input, Property, errors);
        var before = existing is null ? null : ConnectionInput.Settings<WhatsAppCloudSettings>(existing);
        if (given is null && before is null)
        {
            errors.TryAdd(Property, [$"{Property} settings (phoneNumberId, wabaId, displayPhoneNumber, accessToken, appSecret, verifyToken) are required."]);
            return null;
        }

        var phoneNumberId = Id(given?.PhoneNumberId, before?.PhoneNumberId, "phoneNumberId", errors);
        var wabaId = Id(given?.WabaId, before?.WabaId, "wabaId", errors);
        var display = DisplayNumber(given?.DisplayPhoneNumber, before?.DisplayPhoneNumber, errors);
        // Decrypted only when a secret is kept, so replacing all three still works after the key ring was lost.
        var keepsASecret = given?.AccessToken is null || given.AppSecret is null || given.VerifyToken is null;
        var oldSecrets = existing is not null && keepsASecret ? connections.Secrets.Unprotect<WhatsAppCloudSecrets>(existing.ProtectedSecrets) : null;
        var accessToken = Secret(given?.AccessToken, oldSecrets?.AccessToken, "accessToken", 2000, errors);
        var appSecret = Secret(given?.AppSecret, oldSecrets?.AppSecret, "appSecret", 200, errors);
        var verifyToken = Secret(given?.VerifyToken, oldSecrets?.VerifyToken, "verifyToken", 200, errors);
        var apiBaseUrl = ConnectionInput.Url(given?.ApiBaseUrl, before?.ApiBaseUrl, $"{Property}.apiBaseUrl", errors);
        var version = given?.GraphVersion is { } v ? (v.Trim().Length == 0 ? null : v.Trim()) : before?.GraphVersion;
        if (version is not null && !GraphVersionPattern().IsMatch(version))
            errors[$"{Property}.graphVersion"] = ["graphVersion must be a Graph API version such as v21.0, or empty for Crm's default."];
        if (errors.Count > 0) return null;

        var settings = new WhatsAppCloudSettings(phoneNumberId!, wabaId!, display!, apiBaseUrl, version);
        return new StoredSettings(ConnectionInput.Serialize(settings),
            connections.Secrets.Protect(new WhatsAppCloudSecrets(accessToken!, appSecret!, verifyToken!)), [display!]);
    }

    public object View(ChannelConnection connection)
    {
        var settings = ConnectionInput.Settings<WhatsAppCloudSettings>(connection);
        // The three are required together, so one encrypted blob means all of them are set.
        var set = connection.ProtectedSecrets.Length > 0;
        return new WhatsAppCloudSettingsView(settings.PhoneNumberId, settings.WabaId, settings.DisplayPhoneNumber, settings.ApiBaseUrl,
            settings.GraphVersion ?? WhatsAppCloudSettings.DefaultGraphVersion, set, set, set);
    }

    public IReadOnlyDictionary<string, string> WebhookPaths(Guid connectionId) => new Dictionary<string, string>
    {
        // One URL for Meta's subscription check (GET) and its deliveries (POST).
        ["messages"] = WhatsAppCloudWebhooksApi.PathOf(connectionId),
    };

    public Task<ConnectionCheck> TestAsync(ChannelConnection connection, CancellationToken ct)
        => meta.CheckAsync(WhatsAppCloudAccount.Open(connection, connections.Secrets), ct);

    public Task<TemplateSync?> FetchTemplatesAsync(ChannelConnection connection, CancellationToken ct)
        => meta.FetchTemplatesAsync(WhatsAppCloudAccount.Open(connection, connections.Secrets), ct)!;

    private static string? Id(string? given, string? existing, string field, Dictionary<string, string[]> errors)
    {
        var value = given?.Trim() ?? existing;
        if (value is { Length: > 0 and <= 32 } && value.All(char.IsAsciiDigit)) return value;
        errors[$"{Property}.{field}"] = [$"{field} must be Meta's numeric id, as shown in WhatsApp Manager or the app's API Setup page."];
        return null;
    }

    private static string? DisplayNumber(string? given, string? existing, Dictionary<string, string[]> errors)
    {
        if (given is null && existing is not null) return existing;
        string identity;
        try { identity = WhatsAppNumbers.Identity(given ?? ""); }
        catch (FormatException) { identity = ""; }
        if (identity.StartsWith('+') && (given ?? "").TrimStart().StartsWith('+')) return identity;
        errors[$"{Property}.displayPhoneNumber"] = ["displayPhoneNumber must be the number's display number in international format, e.g. +15550001234."];
        return null;
    }

    private static string? Secret(string? given, string? existing, string field, int max, Dictionary<string, string[]> errors)
    {
        if (given is null)
        {
            if (existing is not null) return existing;
            errors[$"{Property}.{field}"] = [$"{field} is required."];
            return null;
        }
        if (given.Length is > 0 && given.Length <= max && !given.Any(char.IsControl) && given.Trim().Length > 0) return given;
        errors[$"{Property}.{field}"] = [$"{field} must be 1 to {max} characters."];
        return null;
    }

    [GeneratedRegex(@"^v[0-9]{1,3}\.[0-9]{1,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex GraphVersionPattern();
}
