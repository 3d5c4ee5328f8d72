namespace Crm.Contracts;

/// <summary>
/// How a WhatsApp phone number is spelled as a customer identity, whichever side reads it: the connectors (a sender's
/// address) and the inbox (a number imported from a CSV) must key one person the same way.
/// </summary>
public static class WhatsAppIdentities
{
    /// <summary>
    /// One person, one number, whichever way WhatsApp spells it. The canonical form is the number as the
    /// country's current plan writes it nationally:
    /// <list type="bullet">
    /// <item>Mexico: WhatsApp sends <c>+52 1</c> + 10 digits (the mobile token dropped from dialling in 2019;
    /// libphonenumber calls it too long). Canonical: <c>+52</c> + the 10 digits, what Mexico and libphonenumber call valid.</item>
    /// <item>Argentina: WhatsApp sends <c>+54 9</c> + 10 digits (the international mobile token). Canonical:
    /// <c>+54</c> + the 10 digits both spellings share (the subscriber number; replies sent without the 9 reach it).</item>
    /// <item>Brazil: accounts registered before the ninth mobile digit (2012–2016) are still sent as
    /// <c>+55</c> + area + 8 digits. Canonical: with the ninth digit, <c>+55</c> + area + 9 + 8 digits,
    /// the only form libphonenumber calls a valid mobile. Landlines (first digit 2–5) are left alone.</item>
    /// </list>
    /// </summary>
    /// <param name="countryCode">The number's country calling code.</param>
    /// <param name="e164">The number in E.164 (as libphonenumber formats it).</param>
    public static string FoldVariants(int countryCode, string e164)
    {
        var national = e164[(1 + CountryCodeLength(countryCode))..];
        return countryCode switch
        {
            52 when national.Length == 11 && national[0] == '1' => "+52" + national[1..],
            54 when national.Length == 11 && national[0] == '9' => "+54" + national[1..],
            55 when national.Length == 10 && national[2] is >= '6' and <= '9' => "+55" + national[..2] + "9" + national[2..],
            _ => e164,
        };
    }

    private static int CountryCodeLength(int countryCode) => countryCode < 10 ? 1 : countryCode < 100 ? 2 : 3;
}
