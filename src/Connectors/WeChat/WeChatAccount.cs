using Crm.Connectors.Connections;

namespace Crm.Connectors.WeChat;

/// <summary>A <c>wechat</c> connection's non-secret settings, as stored (JSON).</summary>
/// <param name="SafeMode">Whether an EncodingAESKey is among the secrets: shown without decrypting them.</param>
public sealed record WeChatConnectionSettings(string AppId, string OriginalId, Uri? ApiBaseUrl, bool SafeMode)
{
    /// <summary>Whether the webhook asks WeChat for a new follower's UnionID (user/info) and adds it to their identities.</summary>
    public bool FetchUnionId { get; init; }
}

/// <summary>A <c>wechat</c> connection's secrets, stored only encrypted; no EncodingAESKey: the account is in plain mode.</summary>
public sealed record WeChatConnectionSecrets(string AppSecret, string Token, string? EncodingAesKey);

/// <summary>
/// Everything needed to take webhooks for and send through one WeChat Official Account, secrets decrypted.
/// Lives only in memory; never logged (its ToString leaves the secrets out).
/// </summary>
public sealed record WeChatAccount(Guid ConnectionId, Guid WorkspaceId, string AppId, string AppSecret, string Token, string? EncodingAesKey,
    string OriginalId, Uri ApiBaseUrl)
{
    public static readonly Uri WeChatApi = new("https://api.weixin.qq.com");

    public Guid? RoutingTeamId { get; init; }

    /// <summary>See <see cref="WeChatConnectionSettings.FetchUnionId"/>.</summary>
    public bool FetchUnionId { get; init; }

    /// <summary>The safe-mode cipher; null when the account has no EncodingAESKey (plain mode only).</summary>
    public WeChatMessageCrypt? Crypt { get; } = EncodingAesKey is null ? null : new WeChatMessageCrypt(EncodingAesKey);

    public static WeChatConnectionSettings SettingsOf(ChannelConnection connection) => ConnectionInput.Settings<WeChatConnectionSettings>(connection);

    /// <summary>Decrypted for use; never for a response.</summary>
    public static WeChatAccount Open(ChannelConnection connection, ConnectionSecrets secrets)
    {
        var settings = SettingsOf(connection);
        var secret = secrets.Unprotect<WeChatConnectionSecrets>(connection.ProtectedSecrets);
        return new WeChatAccount(connection.Id, connection.WorkspaceId, settings.AppId, secret.AppSecret, secret.Token, secret.EncodingAesKey,
            settings.OriginalId, settings.ApiBaseUrl ?? WeChatApi) { RoutingTeamId = connection.RoutingTeamId, FetchUnionId = settings.FetchUnionId };
    }

    public override string ToString() => $"WeChat account {AppId} (connection {ConnectionId})";
}

/// <summary>Each connection has its own webhook URL: the route names the account whose token signs it.</summary>
public static class WeChatWebhookPaths
{
    public const string Route = "/webhooks/wechat/{connectionId:guid}";

    public static string Of(Guid connectionId) => $"/webhooks/wechat/{connectionId}";
}
