namespace Crm.Connectors.Messenger;

/// <summary>What a Messenger connection stores in the clear: the page it answers for and where its Graph API is.</summary>
/// <param name="ApiBaseUrl">Null: Meta's own (<see cref="MessengerAccount.GraphApi"/>); set for FakeMeta and tests.</param>
public sealed record MessengerConnectionSettings(string PageId, Uri? ApiBaseUrl, string GraphVersion);

/// <summary>Encrypted at rest: the app secret (signs webhooks), the page token (sends) and the verify token the admin chose.</summary>
public sealed record MessengerConnectionSecrets(string AppSecret, string PageAccessToken, string VerifyToken);

/// <summary>A Messenger connection opened for use, secrets decrypted; never for a response or a log.</summary>
public sealed record MessengerAccount(Guid ConnectionId, Guid WorkspaceId, string PageId, MessengerConnectionSecrets Secrets, Uri ApiBaseUrl, string GraphVersion)
{
    public static readonly Uri GraphApi = new("https://graph.facebook.com");

    /// <summary>The Graph API version new connections use unless the admin names another.</summary>
    public const string DefaultGraphVersion = "v21.0";

    public Guid? RoutingTeamId { get; init; }

    /// <summary>The Graph API address of <paramref name="path"/> (e.g. <c>me/messages</c>) at this connection's version.</summary>
    public Uri Graph(string path) => new($"{ApiBaseUrl.ToString().TrimEnd('/')}/{GraphVersion}/{path}");
}

/// <summary>The webhook URL Meta calls for a Messenger connection (verification GET and deliveries POST alike).</summary>
public static class MessengerWebhookPaths
{
    public const string Route = "/webhooks/messenger/{connectionId:guid}";

    public static string Of(Guid connectionId) => $"/webhooks/messenger/{connectionId}";
}
