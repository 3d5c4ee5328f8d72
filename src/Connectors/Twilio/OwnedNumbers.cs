namespace Crm.Connectors.Twilio;

/// <summary>
/// The WhatsApp numbers this deployment answers for: <see cref="TwilioOptions.WhatsAppFrom"/> and
/// <see cref="TwilioOptions.WhatsAppNumbers"/>, as identities, so they compare with a webhook's normalized <c>To</c>.
/// </summary>
public static class OwnedNumbers
{
    public static IReadOnlySet<string> For(TwilioOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var address in settings.WhatsAppNumbers.Prepend(settings.WhatsAppFrom))
        {
            if (!string.IsNullOrWhiteSpace(address)) owned.Add(WhatsAppNumbers.Identity(address));
        }
        return owned;
    }
}
