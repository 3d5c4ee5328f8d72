using Crm.Contracts;

namespace Crm.Connectors.WeChat;

/// <summary>WeChat's <c>errcode</c>s (its API answers HTTP 200 with them) that mean one of Crm's own failure reasons; any other stays WeChat's.</summary>
public static class WeChatErrors
{
    /// <summary>The access token is invalid (40001), expired (42001) or malformed (40014): fetch a new one and try once more.</summary>
    public static bool IsStaleToken(int errcode) => errcode is 40001 or 42001 or 40014;

    /// <summary>WeChat is busy (-1) or throttling the account (45009 daily quota, 45011 frequency): nothing was sent, it may be later.</summary>
    public static bool IsBusy(int errcode) => errcode is -1 or 45009 or 45011;

    public static string ToCrmReason(int errcode) => errcode switch
    {
        // Response out of time limit: the 48-hour customer-service window is closed.
        45015 => SendFailures.OutsideReplyWindow,
        // Response count limit: as many replies as the window allows were sent.
        45047 => SendFailures.ReplyLimitReached,
        // API unauthorized: the account may not use this API (not verified, or not granted).
        48001 => SendFailures.NotPermitted,
        // The caller's IP is not on the account's whitelist.
        40164 => SendFailures.NotPermitted,
        // Invalid openid / the customer unfollowed.
        40003 or 43004 => SendFailures.RecipientUnavailable,
        45009 or 45011 => SendFailures.RateLimited,
        // Invalid credential (after a refresh), invalid appid, invalid appsecret.
        40001 or 42001 or 40014 or 40013 or 40125 => SendFailures.CredentialsRejected,
        // Invalid template_id / template data that does not fit it.
        40037 or 47003 => SendFailures.TemplateRejected,
        _ => errcode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The reason in words, keeping WeChat's code and message.</summary>
    public static string Words(int errcode, string? errmsg) => $"WeChat errcode {errcode}: {errmsg ?? "no message"}";
}
