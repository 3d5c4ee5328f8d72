namespace Crm.Connectors.Messenger;

/// <summary>
/// Deployment-wide Messenger settings, bound from <see cref="Section"/>: how the Send API is retried. Pages, secrets and
/// tokens are channel connections, data of each workspace.
/// </summary>
public sealed class MessengerOptions : Outbound.ProviderSendOptions
{
    public const string Section = "Crm:Messenger";
}
