using Crm.Contracts;

namespace Crm.Connectors.Messenger;

/// <summary>
/// The Send API's errors (<c>error.code</c> and <c>error.error_subcode</c>, from Meta's "Messenger Platform error codes"
/// table) that mean one of Crm's reasons; any other stays as Meta's code (<c>code</c> or <c>code/subcode</c>).
/// </summary>
public static class MessengerErrors
{
    /// <summary>Meta's code as Crm keeps it when no reason fits: <c>100</c>, or <c>100/2018109</c> with a subcode.</summary>
    public static string CodeOf(int code, int? subcode) => subcode is { } sub ? $"{code}/{sub}" : $"{code}";

    public static string ToCrmReason(int code, int? subcode) => (code, subcode) switch
    {
        // "This message is sent outside of allowed window" (2018278 today; 2018065 and 2018108 are its older, permission-worded forms).
        (10, 2018278 or 2018065 or 2018108) => SendFailures.OutsideReplyWindow,
        // 551 "This person isn't available right now" (blocked the page, deactivated); 200/1545041 is the same words;
        // 100/2018001 "No matching user found" (a PSID of another page, or gone).
        (551, _) or (200, 1545041) or (100, 2018001) => SendFailures.RecipientUnavailable,
        // 4 application request limit, 613 "Calls to this API have exceeded the rate limit", 32 page request limit.
        (4 or 613 or 32, _) => SendFailures.RateLimited,
        (190, _) => SendFailures.CredentialsRejected,
        // 10 and 200 (other subcodes) and 230: the app or page lacks a permission (pages_messaging, app review…).
        (10 or 200 or 230, _) => SendFailures.NotPermitted,
        _ => CodeOf(code, subcode),
    };

    /// <summary>
    /// Answers that created no message and may well succeed later: the rate limits, 2 ("unexpected error, retry later")
    /// and 1200 ("Temporary send message failure"). Sent again later by the inbox, never inline.
    /// </summary>
    public static bool IsTemporary(int code) => code is 4 or 613 or 32 or 2 or 1200;
}
