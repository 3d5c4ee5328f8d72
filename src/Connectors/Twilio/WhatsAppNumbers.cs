using PhoneNumbers;

namespace Crm.Connectors.Twilio;

/// <summary>
/// Twilio writes WhatsApp addresses as <c>whatsapp:+14155238886</c>; the inbox keys customers by the
/// plain E.164 number, so the same person is the same customer whatever the channel's spelling.
/// </summary>
public static class WhatsAppNumbers
{
    private const string Prefix = "whatsapp:";
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>The address as E.164, e.g. <c>+14155238886</c>.</summary>
    /// <exception cref="FormatException">The address is not an international number of a possible length.</exception>
    public static string ToE164(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var number = address.Trim();
        if (number.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) number = number[Prefix.Length..].Trim();
        // Addresses are always international; without a region to assume, only the '+' may be missing.
        if (!number.StartsWith('+')) number = "+" + number;

        PhoneNumber parsed;
        try
        {
            parsed = Phones.Parse(number, null);
        }
        catch (NumberParseException error)
        {
            throw new FormatException($"'{address}' is not an international phone number: {error.Message}", error);
        }

        // A length check for the country, not a check against libphonenumber's allocation tables:
        // WhatsApp already knows the number exists, and those tables lag behind new ranges (and
        // reject reserved ones, like the UK's 07700 900xxx), which would turn real customers away.
        var check = Phones.IsPossibleNumberWithReason(parsed);
        if (check != PhoneNumberUtil.ValidationResult.IS_POSSIBLE)
            throw new FormatException($"'{address}' is not a valid phone number ({Describe(check)}).");
        return Phones.Format(parsed, PhoneNumberFormat.E164);
    }

    public static string ToWhatsAppAddress(string e164) => Prefix + e164;

    private static string Describe(PhoneNumberUtil.ValidationResult result) => result switch
    {
        PhoneNumberUtil.ValidationResult.TOO_SHORT or PhoneNumberUtil.ValidationResult.IS_POSSIBLE_LOCAL_ONLY => "too short",
        PhoneNumberUtil.ValidationResult.TOO_LONG => "too long",
        PhoneNumberUtil.ValidationResult.INVALID_COUNTRY_CODE => "unknown country code",
        _ => "wrong length for its country",
    };
}
