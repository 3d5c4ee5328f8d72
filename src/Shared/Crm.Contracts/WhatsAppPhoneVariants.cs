namespace Crm.Contracts;

/// <summary>
/// One person, one number, whichever way WhatsApp spells it: the connectors key WhatsApp customers by the canonical
/// form, and the inbox compares profile phones and identities by it to suggest merges. The canonical form is the number
/// as the country's current plan writes it nationally:
/// <list type="bullet">
/// <item>Mexico: WhatsApp sends <c>+52 1</c> + 10 digits (the mobile token dropped from dialling in 2019;
/// libphonenumber calls it too long). Canonical: <c>+52</c> + the 10 digits, what Mexico and libphonenumber call valid.</item>
/// <item>Argentina: WhatsApp sends <c>+54 9</c> + 10 digits (the international mobile token). Canonical:
/// <c>+54</c> + the 10 digits both spellings share (the subscriber number; replies sent without the 9 reach it).</item>
/// <item>Brazil: accounts registered before the ninth mobile digit (2012–2016) are still sent as
/// <c>+55</c> + area + 8 digits. Canonical: with the ninth digit, <c>+55</c> + area + 9 + 8 digits,
/// the only form libphonenumber calls a valid mobile. Landlines (first digit 2–5) are left alone.</item>
/// </list>
/// Works on E.164 text alone (no phone library here): 52, 54 and 55 are two-digit country codes no other code starts.
/// </summary>
public static class WhatsAppPhoneVariants
{
    /// <summary>The canonical spelling of an E.164 number; any other text comes back as it is.</summary>
    public static string Canonical(string e164)
    {
        ArgumentNullException.ThrowIfNull(e164);
        if (e164.Length < 4 || e164[0] != '+' || e164.AsSpan(1).ContainsAnyExceptInRange('0', '9')) return e164;
        var national = e164[3..];
        return e164[1..3] switch
        {
            "52" when national.Length == 11 && national[0] == '1' => "+52" + national[1..],
            "54" when national.Length == 11 && national[0] == '9' => "+54" + national[1..],
            "55" when national.Length == 10 && national[2] is >= '6' and <= '9' => "+55" + national[..2] + "9" + national[2..],
            _ => e164,
        };
    }

    /// <summary>Whether two E.164 numbers reach the same WhatsApp account, though spelled differently.</summary>
    public static bool AreVariants(string first, string second)
        => !string.Equals(first, second, StringComparison.Ordinal) && string.Equals(Canonical(first), Canonical(second), StringComparison.Ordinal);
}
