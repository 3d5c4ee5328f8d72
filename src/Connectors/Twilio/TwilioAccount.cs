using Crm.Connectors.Connections;

namespace Crm.Connectors.Twilio;

/// <summary>A <c>twilio-whatsapp</c> connection's non-secret settings, as stored (JSON).</summary>
public sealed record TwilioConnectionSettings(string AccountSid, IReadOnlyList<string> Numbers, Uri? ApiBaseUrl);

/// <summary>A <c>twilio-whatsapp</c> connection's secrets, stored only encrypted.</summary>
public sealed record TwilioConnectionSecrets(string AuthToken);

/// <summary>
/// Everything needed to take webhooks for and send through one Twilio connection, secrets decrypted.
/// Lives only in memory; never logged (its ToString leaves the token out).
/// </summary>
public sealed record TwilioAccount(Guid ConnectionId, Guid WorkspaceId, string AccountSid, string AuthToken, Uri ApiBaseUrl, IReadOnlySet<string> Senders)
{
    /// <summary>The team the connection's new conversations go to; null: the whole workspace.</summary>
    public Guid? RoutingTeamId { get; init; }

    public static readonly Uri TwilioApi = new("https://api.twilio.com");

    /// <summary>A <c>twilio-whatsapp</c> connection, its auth token decrypted.</summary>
    public static TwilioAccount Open(ChannelConnection connection, ConnectionSecrets secrets)
    {
        var settings = ChannelConnections.TwilioSettingsOf(connection);
        return new TwilioAccount(connection.Id, connection.WorkspaceId, settings.AccountSid,
            secrets.Unprotect<TwilioConnectionSecrets>(connection.ProtectedSecrets).AuthToken, settings.ApiBaseUrl ?? TwilioApi,
            connection.Senders.ToHashSet(StringComparer.Ordinal))
        {
            RoutingTeamId = connection.RoutingTeamId,
        };
    }

    /// <summary>Whether <paramref name="identity"/> (e.g. <c>+14155238886</c>) is one of this connection's senders.</summary>
    public bool Owns(string identity) => Senders.Contains(identity);

    public override string ToString() => $"Twilio account {AccountSid} (connection {ConnectionId})";
}
