namespace Crm.Connectors.Messenger;

/// <summary>
/// Deployment-wide Messenger settings, bound from <see cref="Section"/>: how the Send API is retried. Pages, secrets and
/// tokens are channel connections, data of each workspace.
/// </summary>
public sealed class MessengerOptions : Outbound.ProviderSendOptions
{
    public const string Section = "Crm:Messenger";

    /// <summary>
    /// How long a webhook may spend asking Meta for the names of customers it has not seen (Messenger's webhooks carry
    /// none); past it the messages go on without names. Zero: never ask.
    /// </summary>
    public TimeSpan ProfileLookupBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a name Meta gave is trusted before it is asked again.</summary>
    public TimeSpan ProfileCacheFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a customer whose name could not be read is not asked about again.</summary>
    public TimeSpan ProfileRetryAfter { get; set; } = TimeSpan.FromMinutes(10);
}
