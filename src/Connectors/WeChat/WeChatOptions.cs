namespace Crm.Connectors.WeChat;

/// <summary>Deployment-wide WeChat settings, bound from <see cref="Section"/>. Accounts and their secrets are channel connections.</summary>
public sealed class WeChatOptions : Outbound.ProviderSendOptions
{
    public const string Section = "Crm:WeChat";

    /// <summary>
    /// How far a webhook's timestamp may be from our clock. Plain mode signs only (token, timestamp, nonce), not the
    /// body, so a bound on the timestamp is what keeps a seen signature from being reused for long.
    /// </summary>
    public TimeSpan MaxTimestampSkew { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>An access token is renewed this long before WeChat says it expires, so no send carries one that just ran out.</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a webhook waits for a follower's UnionID (token and user/info together) before it spools the message without it:
    /// WeChat gives up on an answer after 5 seconds.
    /// </summary>
    public TimeSpan UnionIdTimeout { get; set; } = TimeSpan.FromSeconds(1.5);
}
