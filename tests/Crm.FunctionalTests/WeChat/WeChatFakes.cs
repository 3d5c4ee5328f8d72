using System.Globalization;
using System.Text;
using System.Text.Json;
using Crm.Connectors.WeChat;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A WeChat Official Account seeded into the test Crm, WeChat's API as WireMock plays it, and webhooks as WeChat signs them.</summary>
public static class WeChatFakes
{
    public static readonly Guid ConnectionId = Guid.Parse("7e570000-0000-4000-8000-000000000003");
    public const string AppId = "wx0123456789abcdef";
    public const string AppSecret = "test-app-secret";
    public const string Token = "QDG6eK";
    public const string EncodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    public const string OriginalId = "gh_0123456789ab";
    public const string Customer = "oCustomerOpenId0001";

    public const string TokenPath = "/cgi-bin/token";

    private const string Seed = "Crm:ChannelConnections:Seed:1";

    /// <summary>Settings that seed the WeChat connection (beside the Twilio one every instance has) with <paramref name="wechat"/> as its API.</summary>
    public static Dictionary<string, string?> Settings(WireMockServer wechat) => new()
    {
        [$"{Seed}:Id"] = ConnectionId.ToString(),
        [$"{Seed}:WorkspaceId"] = CrmApplication.TestWorkspace.ToString(),
        [$"{Seed}:Type"] = "wechat",
        [$"{Seed}:DisplayName"] = "Test WeChat",
        [$"{Seed}:Settings:appId"] = AppId,
        [$"{Seed}:Settings:appSecret"] = AppSecret,
        [$"{Seed}:Settings:token"] = Token,
        [$"{Seed}:Settings:encodingAesKey"] = EncodingAesKey,
        [$"{Seed}:Settings:originalId"] = OriginalId,
        [$"{Seed}:Settings:apiBaseUrl"] = wechat.Url,
        ["Crm:WeChat:RetryBaseDelay"] = "00:00:00.050",
    };

    public static string Path => WeChatWebhookPaths.Of(ConnectionId);

    /// <summary>A message as WeChat's documentation lays it out, from <see cref="Customer"/> to <see cref="OriginalId"/>.</summary>
    public static string Xml(string type, string body, string to = OriginalId, long createTime = 1764763200)
        => $"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{Customer}]]></FromUserName>"
           + $"<CreateTime>{createTime}</CreateTime><MsgType><![CDATA[{type}]]></MsgType>{body}</xml>";

    public static string Text(string msgId, string content) => Xml("text", $"<Content><![CDATA[{content}]]></Content><MsgId>{msgId}</MsgId>");

    /// <summary>Posts <paramref name="xml"/> in plain mode, signed with the connection's token (or <paramref name="token"/>).</summary>
    public static Task<HttpResponseMessage> PostPlainAsync(this CrmApplication app, string xml, string token = Token, DateTimeOffset? sentAt = null)
    {
        var (timestamp, nonce) = Fresh(sentAt);
        var signature = WeChatSignature.Compute(token, timestamp, nonce);
        return app.CreateClient().PostAsync($"{Path}?signature={signature}&timestamp={timestamp}&nonce={nonce}&openid={Customer}",
            new StringContent(xml, Encoding.UTF8, "text/xml"));
    }

    /// <summary>Posts <paramref name="xml"/> in safe mode, encrypted for <paramref name="appId"/> and signed as WeChat signs it.</summary>
    public static Task<HttpResponseMessage> PostSafeAsync(this CrmApplication app, string xml, string appId = AppId, string token = Token)
        => app.PostEncryptedAsync(new WeChatMessageCrypt(EncodingAesKey).Encrypt(xml, appId), token);

    /// <summary>
    /// Posts <paramref name="encrypted"/> as a safe-mode message's ciphertext, whatever it holds, signed as WeChat signs it
    /// (or, to play a tampered message, with the msg_signature of <paramref name="signedCiphertext"/>).
    /// </summary>
    public static Task<HttpResponseMessage> PostEncryptedAsync(this CrmApplication app, string encrypted, string token = Token, string? signedCiphertext = null)
    {
        var (timestamp, nonce) = Fresh();
        var body = $"<xml><ToUserName><![CDATA[{OriginalId}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>";
        var signature = WeChatSignature.Compute(token, timestamp, nonce);
        var msgSignature = WeChatSignature.Compute(token, timestamp, nonce, signedCiphertext ?? encrypted);
        return app.CreateClient().PostAsync(
            $"{Path}?signature={signature}&timestamp={timestamp}&nonce={nonce}&openid={Customer}&encrypt_type=aes&msg_signature={msgSignature}",
            new StringContent(body, Encoding.UTF8, "text/xml"));
    }

    private static (string Timestamp, string Nonce) Fresh(DateTimeOffset? sentAt = null)
        => ((sentAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), Random.Shared.Next(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture));

    public static IRequestBuilder TokenRequest => Request.Create().WithPath(TokenPath).UsingGet();

    public static IRequestBuilder CustomSend => Request.Create().WithPath(WeChatSender.CustomSendPath).UsingPost();

    public static IRequestBuilder TemplateSend => Request.Create().WithPath(WeChatSender.TemplateSendPath).UsingPost();

    public static IResponseBuilder Json(object body) => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
        .WithBody(JsonSerializer.Serialize(body));

    /// <summary>WeChat issues <paramref name="token"/>, valid for two hours as WeChat's are.</summary>
    public static void IssuesToken(this WireMockServer wechat, string token = "ACCESS_TOKEN_1")
        => wechat.Given(TokenRequest).RespondWith(Json(new { access_token = token, expires_in = 7200 }));

    /// <summary>WeChat issues <paramref name="token"/> and takes every customer-service message.</summary>
    public static void IssuesTokenAndAcceptsMessages(this WireMockServer wechat, string token = "ACCESS_TOKEN_1")
    {
        wechat.IssuesToken(token);
        wechat.Given(CustomSend).RespondWith(Json(new { errcode = 0, errmsg = "ok" }));
    }

    public static IReadOnlyList<ILogEntry> Requests(this WireMockServer wechat, string path)
        => wechat.LogEntries.Where(e => e.RequestMessage.Path == path).ToList();

    public static async Task<IReadOnlyList<ILogEntry>> WaitForRequestsAsync(this WireMockServer wechat, string path, int count)
    {
        await Eventually.TrueAsync(() => Task.FromResult(wechat.Requests(path).Count >= count),
            () => Task.FromResult($"WeChat received {wechat.Requests(path).Count} requests to {path}, expected {count}."));
        return wechat.Requests(path);
    }
}

/// <summary>A fresh embedded Crm per test with the WeChat account seeded, WeChat's API played by <see cref="WeChat"/>, and agent "ann" signed in.</summary>
public abstract class WeChatAccountTests : SignedInAgentTests, IDisposable
{
    protected readonly WireMockServer WeChat = WireMockServer.Start();

    /// <summary>Webhooks and sends, not assignment: the timelines hold only what the test wrote.</summary>
    protected override IDictionary<string, string?> Settings
        => new Dictionary<string, string?>(WeChatFakes.Settings(WeChat)) { [CrmApplication.ManualAssignment.Key] = CrmApplication.ManualAssignment.Value };

    public void Dispose() => WeChat.Stop();
}
