namespace Crm.Connectors.WhatsAppCloud;

/// <summary>
/// Deployment-wide settings of the WhatsApp Cloud API connector, bound from <see cref="Section"/>. Numbers, tokens and
/// secrets are not here: they are channel connections, data of each workspace.
/// </summary>
public sealed class WhatsAppCloudOptions : Outbound.ProviderSendOptions
{
    public const string Section = "Crm:WhatsAppCloud";

    /// <summary>At most this many pages of 100 templates are read by one catalog sync (a runaway paging cursor stops here).</summary>
    public int MaxTemplatePages { get; set; } = 20;
}
