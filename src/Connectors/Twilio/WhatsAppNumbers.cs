using Crm.Contracts;
using System.Text.RegularExpressions;
using PhoneNumbers;

namespace Crm.Connectors.Twilio;

/// <summary>
/// Twilio writes WhatsApp addresses as <c>whatsapp:+14155238886</c> (or, for people WhatsApp knows only by a
/// business-scoped user id, <c>whatsapp:US.13491208655302741918</c>). The inbox keys customers by
/// <see cref="Identity"/>, so one person is one customer whatever the spelling, and replies go to
/// <see cref="ToWhatsAppAddress"/> of that identity.
/// </summary>
/// <remarks>
/// A sender's format never turns a message away: WhatsApp already knows the sender exists, and refusing
/// loses a real customer's message. Identities are one of:
/// <list type="bullet">
/// <item><c>+&lt;digits&gt;</c>: a phone number, in E.164 when libphonenumber can read it, else the digits as given.
/// WhatsApp's own variants are folded to one canonical form (see <see cref="WhatsAppPhoneVariants"/>).</item>
/// <item><c>bsuid:&lt;id&gt;</c>: a business-scoped user id, kept exactly as given. The prefix keeps it from ever
/// equalling a phone number; the same person's number may arrive later (Twilio's <c>WaId</c>, kept raw).</item>
/// <item><c>address:&lt;address&gt;</c>: any other address, kept exactly as Twilio sent it, so it can still be answered.</item>
/// </list>
/// </remarks>
public static partial class WhatsAppNumbers
{
    public const string BusinessScopedUserPrefix = "bsuid:";
    public const string UnrecognizedAddressPrefix = "address:";

    /// <summary>Longer than any address Twilio sends (a BSUID is at most 2 + 1 + 4 + 128 characters).</summary>
    public const int MaxAddressLength = 256;

    private const string Prefix = "whatsapp:";
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>The identity the inbox keys this sender or recipient by; never refuses a readable address.</summary>
    /// <exception cref="FormatException">The address is empty, too long or holds control characters.</exception>
    public static string Identity(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Length > MaxAddressLength)
            throw new FormatException($"The address is longer than {MaxAddressLength} characters.");
        if (address.Any(char.IsControl))
            throw new FormatException("The address holds control characters.");

        var value = address.Trim();
        if (value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) value = value[Prefix.Length..].Trim();
        if (value.Length == 0) throw new FormatException("The address is empty.");

        if (BusinessScopedUserId().IsMatch(value)) return BusinessScopedUserPrefix + value;
        if (PhoneLike().IsMatch(value)) return PhoneIdentity(new string(value.Where(char.IsAsciiDigit).ToArray()));
        return UnrecognizedAddressPrefix + address.Trim();
    }

    /// <summary>The Twilio address that reaches the holder of <paramref name="identity"/>.</summary>
    public static string ToWhatsAppAddress(string identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (identity.StartsWith(BusinessScopedUserPrefix, StringComparison.Ordinal)) return Prefix + identity[BusinessScopedUserPrefix.Length..];
        if (identity.StartsWith(UnrecognizedAddressPrefix, StringComparison.Ordinal)) return identity[UnrecognizedAddressPrefix.Length..];
        return Prefix + identity;
    }

    /// <summary>
    /// E.164 when libphonenumber can parse the number; otherwise the digits as given (e.g. a length
    /// libphonenumber calls impossible): the number is still who wrote, and may be a range its tables lag behind.
    /// </summary>
    private static string PhoneIdentity(string digits)
    {
        PhoneNumber parsed;
        try
        {
            // Addresses are always international: no region to assume.
            parsed = Phones.Parse("+" + digits, null);
        }
        catch (NumberParseException)
        {
            return "+" + digits;
        }
        // WhatsApp's national variants are one person: the rule lives in Crm.Contracts, where the inbox reads it too.
        return WhatsAppPhoneVariants.Canonical(Phones.Format(parsed, PhoneNumberFormat.E164));
    }

    /// <summary>Two-letter country, a dot, an optional <c>ENT.</c> (a parent id), then up to 128 letters and digits.</summary>
    [GeneratedRegex(@"^[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex BusinessScopedUserId();

    /// <summary>Digits, an optional leading '+', and the punctuation people write numbers with.</summary>
    [GeneratedRegex(@"^\+?[0-9 ().\-]*[0-9][0-9 ().\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneLike();
}
