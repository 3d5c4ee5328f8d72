using System.Text.Json;
using System.Text.RegularExpressions;
using Crm.Connectors.Connections;
using Crm.Contracts;

namespace Crm.Connectors.Messenger;

/// <summary>What the admin enters for a Messenger connection; the three secrets are write-only.</summary>
public sealed record MessengerSettingsInput(string? PageId, string? AppSecret, string? PageAccessToken, string? VerifyToken, string? ApiBaseUrl, string? GraphVersion);

public sealed record MessengerSettingsView(string PageId, Uri? ApiBaseUrl, string GraphVersion, bool AppSecretSet, bool PageAccessTokenSet, bool VerifyTokenSet);

/// <summary>
/// A Facebook page on Messenger: its id (the business identity its conversations are on), the Meta app's secret (signs
/// webhooks), the page access token (sends) and the verify token the admin chose for Meta's subscription check.
/// </summary>
public sealed partial class MessengerConnectionType(ChannelConnections connections, MessengerClient messenger) : IChannelConnectionType
{
    public string Type => ChannelConnectionTypes.Messenger;
    public string Channel => Channels.Messenger;
    public string SettingsProperty => "messenger";
    public string DefaultDisplayName => "Messenger";

    public StoredSettings? Apply(JsonElement? input, ChannelConnection? existing, Dictionary<string, string[]> errors)
    {
        var given = ConnectionInput.Read<MessengerSettingsInput>(input, "messenger", errors);
        var before = existing is null ? null : SettingsOf(existing);
        if (given is null && before is null)
        {
            errors.TryAdd("messenger", ["messenger settings (pageId, appSecret, pageAccessToken, verifyToken) are required."]);
            return null;
        }

        var pageId = given?.PageId?.Trim() ?? before?.PageId;
        if (pageId is null || !PageIdPattern().IsMatch(pageId))
            errors["messenger.pageId"] = ["pageId must be the Facebook page's id: its digits, as in the page's About > Page transparency."];

        var graphVersion = given?.GraphVersion is { Length: > 0 } version ? version.Trim() : before?.GraphVersion ?? MessengerAccount.DefaultGraphVersion;
        if (!GraphVersionPattern().IsMatch(graphVersion))
            errors["messenger.graphVersion"] = ["graphVersion must be a Graph API version such as v21.0."];

        // Secrets not given are kept; they are decrypted only when one of them changes.
        var kept = existing is not null && (given?.AppSecret is null || given.PageAccessToken is null || given.VerifyToken is null)
            ? connections.Secrets.Unprotect<MessengerConnectionSecrets>(existing.ProtectedSecrets)
            : null;
        var appSecret = Secret(given?.AppSecret, kept?.AppSecret, "messenger.appSecret", "the app secret (App settings > Basic in Meta's developer console)", errors);
        var pageToken = Secret(given?.PageAccessToken, kept?.PageAccessToken, "messenger.pageAccessToken", "a page access token with pages_messaging", errors);
        var verifyToken = Secret(given?.VerifyToken, kept?.VerifyToken, "messenger.verifyToken", "the verify token you will also type into Meta's webhook settings", errors);

        var apiBaseUrl = ConnectionInput.Url(given?.ApiBaseUrl, before?.ApiBaseUrl, "messenger.apiBaseUrl", errors);
        if (errors.Count > 0) return null;

        var settings = new MessengerConnectionSettings(pageId!, apiBaseUrl, graphVersion);
        return Store(settings, new MessengerConnectionSecrets(appSecret!, pageToken!, verifyToken!), connections.Secrets);
    }

    public static StoredSettings Store(MessengerConnectionSettings settings, MessengerConnectionSecrets secrets, ConnectionSecrets protector)
        => new(ConnectionInput.Serialize(settings), protector.Protect(secrets), [settings.PageId]);

    public static MessengerConnectionSettings SettingsOf(ChannelConnection connection) => ConnectionInput.Settings<MessengerConnectionSettings>(connection);

    /// <summary>Decrypted for use; never for a response.</summary>
    public static MessengerAccount Open(ChannelConnection connection, ConnectionSecrets secrets)
    {
        var settings = SettingsOf(connection);
        return new MessengerAccount(connection.Id, connection.WorkspaceId, settings.PageId,
            secrets.Unprotect<MessengerConnectionSecrets>(connection.ProtectedSecrets), settings.ApiBaseUrl ?? MessengerAccount.GraphApi, settings.GraphVersion)
        {
            RoutingTeamId = connection.RoutingTeamId,
        };
    }

    public object View(ChannelConnection connection)
    {
        var settings = SettingsOf(connection);
        var set = connection.ProtectedSecrets.Length > 0;
        return new MessengerSettingsView(settings.PageId, settings.ApiBaseUrl, settings.GraphVersion, set, set, set);
    }

    public IReadOnlyDictionary<string, string> WebhookPaths(Guid connectionId) => new Dictionary<string, string>
    {
        ["webhook"] = MessengerWebhookPaths.Of(connectionId),
    };

    public async Task<ConnectionCheck> TestAsync(ChannelConnection connection, CancellationToken ct)
    {
        MessengerAccount account;
        try { account = Open(connection, connections.Secrets); }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return new ConnectionCheck(false, "The connection's secrets cannot be decrypted (is the Data Protection key ring shared by every process?).");
        }
        return await messenger.CheckPageAsync(account, ct);
    }

    private static string? Secret(string? given, string? kept, string field, string what, Dictionary<string, string[]> errors)
    {
        if (given is null)
        {
            if (kept is null) errors[field] = [$"{field["messenger.".Length..]} is required: {what}."];
            return kept;
        }
        if (given.Length is > 0 and <= 1000 && !given.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))) return given;
        errors[field] = [$"{field["messenger.".Length..]} must be {what}: 1 to 1000 characters without spaces."];
        return null;
    }

    [GeneratedRegex("^[0-9]{1,32}$", RegexOptions.CultureInvariant)]
    private static partial Regex PageIdPattern();

    [GeneratedRegex(@"^v[0-9]{1,2}\.[0-9]{1,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex GraphVersionPattern();
}
