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
    /// Connections written at start (Development's demo connections, test and benchmark deployments). The
    /// configuration wins: an existing connection with the same id is brought back to these settings.
    /// </summary>
    public List<SeededConnection> Seed { get; set; } = [];
}

/// <summary>
/// A connection written at start. Twilio's (the default <see cref="Type"/>) has its fields here; any other type takes
/// <see cref="Settings"/>: the same fields, all text, as its admin API input (e.g. <c>appId</c>, <c>appSecret</c>).
/// </summary>
public sealed class SeededConnection
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public string Type { get; set; } = ChannelConnectionTypes.TwilioWhatsApp;
    public string? DisplayName { get; set; }
    public Dictionary<string, string> Settings { get; set; } = [];
    public string AccountSid { get; set; } = "";
    public string AuthToken { get; set; } = "";
    public List<string> Numbers { get; set; } = [];
    public Uri? ApiBaseUrl { get; set; }
}
