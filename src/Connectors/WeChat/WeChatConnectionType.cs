using System.Text.Json;
using System.Text.RegularExpressions;
using Crm.Connectors.Connections;
using Crm.Contracts;

namespace Crm.Connectors.WeChat;

/// <summary>What the admin enters for a WeChat Official Account; the secret, the token and the AES key are write-only.</summary>
public sealed record WeChatSettingsInput(string? AppId, string? AppSecret, string? Token, string? EncodingAesKey, string? OriginalId, string? ApiBaseUrl,
    JsonElement? FetchUnionId = null);

public sealed record WeChatSettingsView(string AppId, string OriginalId, Uri? ApiBaseUrl, bool AppSecretSet, bool TokenSet, bool EncodingAesKeySet, string Mode,
    bool FetchUnionId = false);

/// <summary>
/// A WeChat Official Account: its AppID and AppSecret (for access tokens), the server token that signs webhooks, the
/// EncodingAESKey of safe mode (none: plain mode only), and its original id (gh_…), the business identity its
/// customers write to.
/// </summary>
public sealed partial class WeChatConnectionType(ChannelConnections connections, WeChatAccessTokens tokens, WeChatApiClient api) : IChannelConnectionType
{
    public string Type => ChannelConnectionTypes.WeChat;
    public string Channel => Channels.WeChat;
    public string SettingsProperty => "wechat";
    public string DefaultDisplayName => "WeChat Official Account";

    public StoredSettings? Apply(JsonElement? input, ChannelConnection? existing, Dictionary<string, string[]> errors)
    {
        var given = ConnectionInput.Read<WeChatSettingsInput>(input, "wechat", errors);
        var before = existing is null ? null : WeChatAccount.SettingsOf(existing);
        // Decrypted only for a secret the change leaves as it was.
        var secretsBefore = new Lazy<WeChatConnectionSecrets?>(() => existing is null ? null : connections.Secrets.Unprotect<WeChatConnectionSecrets>(existing.ProtectedSecrets));
        if (given is null && before is null)
        {
            errors.TryAdd("wechat", ["wechat settings (appId, appSecret, token, originalId) are required."]);
            return null;
        }

        var appId = given?.AppId?.Trim() ?? before?.AppId;
        if (appId is null || !AppIdPattern().IsMatch(appId)) errors["wechat.appId"] = ["appId must be the account's AppID: wx followed by 16 letters or digits."];

        var originalId = given?.OriginalId?.Trim() ?? before?.OriginalId;
        if (originalId is null || !OriginalIdPattern().IsMatch(originalId))
            errors["wechat.originalId"] = ["originalId must be the account's original id: gh_ followed by letters or digits."];

        var appSecret = given?.AppSecret ?? secretsBefore.Value?.AppSecret;
        if (appSecret is not { Length: > 0 and <= 128 } || appSecret.Any(char.IsControl))
            errors["wechat.appSecret"] = [existing is null && given?.AppSecret is null ? "appSecret is required." : "appSecret must be 1 to 128 characters."];

        // WeChat's console allows 3 to 32 letters or digits for the server token.
        var token = given?.Token ?? secretsBefore.Value?.Token;
        if (token is null || !TokenPattern().IsMatch(token))
            errors["wechat.token"] = [existing is null && given?.Token is null ? "token is required." : "token must be 3 to 32 letters or digits, as in WeChat's console."];

        // Null keeps the key; empty removes it (back to plain mode only).
        var aesKey = given?.EncodingAesKey switch
        {
            null => secretsBefore.Value?.EncodingAesKey,
            "" => null,
            var key => key.Trim(),
        };
        if (aesKey is not null && !WeChatMessageCrypt.IsEncodingAesKey(aesKey))
            errors["wechat.encodingAesKey"] = ["encodingAesKey must be the 43 letters or digits WeChat's console shows, or empty for plain mode."];

        var apiBaseUrl = ConnectionInput.Url(given?.ApiBaseUrl, before?.ApiBaseUrl, "wechat.apiBaseUrl", errors);
        // A boolean from the admin API; "true"/"false" from seeded settings, which are all text.
        bool? fetchUnionId = given?.FetchUnionId switch
        {
            null or { ValueKind: JsonValueKind.Null } => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { ValueKind: JsonValueKind.String } text when bool.TryParse(text.GetString(), out var parsed) => parsed,
            _ => null,
        };
        if (given?.FetchUnionId is { ValueKind: not JsonValueKind.Null } && fetchUnionId is null)
            errors["wechat.fetchUnionId"] = ["fetchUnionId must be true or false."];
        if (errors.Count > 0) return null;

        return Store(new WeChatConnectionSettings(appId!, originalId!, apiBaseUrl, aesKey is not null)
        {
            // Off unless asked for: only accounts bound to a WeChat Open Platform account have UnionIDs, and each costs a user/info call.
            FetchUnionId = fetchUnionId ?? before?.FetchUnionId ?? false,
        }, new WeChatConnectionSecrets(appSecret!, token!, aesKey), connections.Secrets);
    }

    public static StoredSettings Store(WeChatConnectionSettings settings, WeChatConnectionSecrets secrets, ConnectionSecrets protector)
        => new(ConnectionInput.Serialize(settings), protector.Protect(secrets), [settings.OriginalId]);

    public object View(ChannelConnection connection)
    {
        var settings = WeChatAccount.SettingsOf(connection);
        var set = connection.ProtectedSecrets.Length > 0;
        return new WeChatSettingsView(settings.AppId, settings.OriginalId, settings.ApiBaseUrl, set, set, settings.SafeMode,
            settings.SafeMode ? "safe" : "plain", settings.FetchUnionId);
    }

    public IReadOnlyDictionary<string, string> WebhookPaths(Guid connectionId) => new Dictionary<string, string>
    {
        ["messages"] = WeChatWebhookPaths.Of(connectionId),
    };

    /// <summary>
    /// Fetches a fresh access token: proves the AppID, the AppSecret, the IP whitelist and the API address. It is shared
    /// at once, so the senders use it: WeChat retires the previous token 5 minutes after issuing a new one.
    /// </summary>
    public async Task<ConnectionCheck> TestAsync(ChannelConnection connection, CancellationToken ct)
    {
        var account = WeChatAccount.Open(connection, connections.Secrets);
        try
        {
            var lease = await tokens.FetchAsync(account, ct);
            return lease.Token is not null
                ? new ConnectionCheck(true, $"WeChat issued an access token for AppID {account.AppId}: the AppSecret works from this server.")
                : new ConnectionCheck(false, $"WeChat did not issue an access token for AppID {account.AppId}: {lease.Failure!.Reason}");
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException or InvalidDataException)
        {
            return new ConnectionCheck(false, $"Could not reach WeChat at {account.ApiBaseUrl}: {error.Message}");
        }
    }

    /// <summary>The account's private templates (<c>get_all_private_template</c>); variables are the data field names, <c>first</c> of <c>{{first.DATA}}</c>.</summary>
    public async Task<TemplateSync?> FetchTemplatesAsync(ChannelConnection connection, CancellationToken ct)
    {
        var account = WeChatAccount.Open(connection, connections.Secrets);
        try
        {
            var call = await tokens.CallAsync(account, token => api.GetJsonAsync(account, "/cgi-bin/template/get_all_private_template", token, ct), ct);
            if (call.Failure is { } failure) return new TemplateSync([], failure.Reason);
            var templates = new List<MessageTemplate>();
            if (call.Answer!.Body.ValueKind == JsonValueKind.Object && call.Answer.Body.TryGetProperty("template_list", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray())
                {
                    if (WeChatApiClient.Text(item, "template_id") is not { } id) continue;
                    var content = WeChatApiClient.Text(item, "content") ?? "";
                    templates.Add(new MessageTemplate(id, WeChatApiClient.Text(item, "title") ?? id, null, content, MessageTemplate.PlaceholdersIn(content))
                    {
                        Category = WeChatApiClient.Text(item, "primary_industry"),
                    });
                }
            }
            return new TemplateSync(templates, null);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException or InvalidDataException)
        {
            return new TemplateSync([], $"Could not reach WeChat at {account.ApiBaseUrl}: {error.Message}");
        }
    }

    [GeneratedRegex("^wx[A-Za-z0-9]{16}$", RegexOptions.CultureInvariant)]
    private static partial Regex AppIdPattern();

    [GeneratedRegex("^gh_[A-Za-z0-9]{1,40}$", RegexOptions.CultureInvariant)]
    private static partial Regex OriginalIdPattern();

    [GeneratedRegex("^[A-Za-z0-9]{3,32}$", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();
}
