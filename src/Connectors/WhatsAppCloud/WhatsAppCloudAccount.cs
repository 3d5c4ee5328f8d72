using Crm.Connectors.Connections;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>
/// A <c>whatsapp-cloud</c> connection's non-secret settings, as stored (JSON). <see cref="DisplayPhoneNumber"/> is the
/// number as an identity (E.164, e.g. <c>+15550001234</c>): the connection's one sender.
/// </summary>
public sealed record WhatsAppCloudSettings(string PhoneNumberId, string WabaId, string DisplayPhoneNumber, Uri? ApiBaseUrl, string? GraphVersion)
{
    public const string DefaultGraphVersion = "v21.0";

    public static readonly Uri GraphApi = new("https://graph.facebook.com");
}

/// <summary>A <c>whatsapp-cloud</c> connection's secrets, stored only encrypted.</summary>
public sealed record WhatsAppCloudSecrets(string AccessToken, string AppSecret, string VerifyToken);

/// <summary>
/// Everything needed to take webhooks for and send through one WhatsApp Cloud API number, secrets decrypted.
/// Lives only in memory; never logged (its ToString leaves the secrets out).
/// </summary>
public sealed record WhatsAppCloudAccount(
    Guid ConnectionId,
    Guid WorkspaceId,
    string PhoneNumberId,
    string WabaId,
    string BusinessIdentity,
    Uri ApiBaseUrl,
    string GraphVersion,
    string AccessToken,
    string AppSecret,
    string VerifyToken)
{
    /// <summary>The team the connection's new conversations go to; null: the whole workspace.</summary>
    public Guid? RoutingTeamId { get; init; }

    /// <summary><c>{apiBase}/{version}/{path}</c>; <paramref name="path"/> is already escaped.</summary>
    public Uri Graph(string path) => new($"{ApiBaseUrl.ToString().TrimEnd('/')}/{GraphVersion}/{path}");

    public static WhatsAppCloudAccount Open(ChannelConnection connection, ConnectionSecrets secrets)
    {
        var settings = ConnectionInput.Settings<WhatsAppCloudSettings>(connection);
        var secret = secrets.Unprotect<WhatsAppCloudSecrets>(connection.ProtectedSecrets);
        return new WhatsAppCloudAccount(connection.Id, connection.WorkspaceId, settings.PhoneNumberId, settings.WabaId, settings.DisplayPhoneNumber,
            settings.ApiBaseUrl ?? WhatsAppCloudSettings.GraphApi, settings.GraphVersion ?? WhatsAppCloudSettings.DefaultGraphVersion,
            secret.AccessToken, secret.AppSecret, secret.VerifyToken)
        {
            RoutingTeamId = connection.RoutingTeamId,
        };
    }

    public override string ToString() => $"WhatsApp Cloud number {PhoneNumberId} (connection {ConnectionId})";
}
