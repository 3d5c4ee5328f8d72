namespace Crm.Connectors.Connections;

/// <summary>Bound from <see cref="Section"/>.</summary>
public sealed class ChannelConnectionOptions
{
    public const string Section = "Crm:ChannelConnections";

    /// <summary>
    /// How long a process trusts what it read about a connection. Webhooks read connections on every request;
    /// a change made through another process is seen after at most this long (this process's own changes at once).
    /// </summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Twilio connections written at start (Development's demo connection, test and benchmark deployments). The
    /// configuration wins: an existing connection with the same id is brought back to these settings.
    /// </summary>
    public List<SeededTwilioConnection> Seed { get; set; } = [];
}

public sealed class SeededTwilioConnection
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public string DisplayName { get; set; } = "Twilio WhatsApp";
    public string AccountSid { get; set; } = "";
    public string AuthToken { get; set; } = "";
    public List<string> Numbers { get; set; } = [];
    public Uri? ApiBaseUrl { get; set; }
}
