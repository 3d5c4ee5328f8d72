namespace Crm.Connectors.Twilio;

/// <summary>
/// Deployment-wide Twilio settings, bound from <see cref="Section"/>. Accounts, tokens and numbers are not
/// here: they are channel connections, data of each workspace (<c>Connections/</c>).
/// </summary>
public sealed class TwilioOptions : Outbound.ProviderSendOptions
{
    public const string Section = "Crm:Twilio";

    /// <summary>
    /// The public URL Twilio calls. Twilio signs the URL it called, which a server behind a proxy
    /// or tunnel does not see; also needed to ask Twilio for status callbacks.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }
}
