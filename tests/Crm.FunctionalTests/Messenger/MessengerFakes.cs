using System.Text;
using System.Text.Json;
using Crm.Connectors.Messenger;
using Crm.Connectors.Meta;
using Crm.Inbox.Workspaces;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A Messenger page seeded into a test Crm, Meta's webhook deliveries signed as Meta signs them, and its Send API as WireMock plays it.</summary>
public static class MessengerFakes
{
    public const string PageId = "1029384756";
    public const string AppSecret = "messenger-test-app-secret";
    public const string PageAccessToken = "EAAGtestpageaccesstoken";
    public const string VerifyToken = "messenger-test-verify-token";
    public const string SendPath = "/v21.0/me/messages";

    public static readonly Guid ConnectionId = Guid.Parse("7e570000-0000-4000-8000-000000000004");

    public static string WebhookPath => MessengerWebhookPaths.Of(ConnectionId);

    /// <summary>Settings seeding the page (as seed 1, beside the Twilio connection) with its Graph API at <paramref name="meta"/>.</summary>
    public static Dictionary<string, string?> Seed(WireMockServer meta)
    {
        const string seed = "Crm:ChannelConnections:Seed:1";
        return new Dictionary<string, string?>
        {
            [$"{seed}:Id"] = ConnectionId.ToString(),
            [$"{seed}:WorkspaceId"] = DemoWorkspace.Id.ToString(),
            [$"{seed}:Type"] = "messenger",
            [$"{seed}:DisplayName"] = "Test page",
            [$"{seed}:Settings:pageId"] = PageId,
            [$"{seed}:Settings:appSecret"] = AppSecret,
            [$"{seed}:Settings:pageAccessToken"] = PageAccessToken,
            [$"{seed}:Settings:verifyToken"] = VerifyToken,
            [$"{seed}:Settings:apiBaseUrl"] = meta.Url,
            ["Crm:Messenger:RetryBaseDelay"] = "00:00:00.050",
        };
    }

    /// <summary>Posts <paramref name="json"/> as its exact bytes, signed with the page's app secret unless a signature is given.</summary>
    public static Task<HttpResponseMessage> PostFromMetaAsync(this CrmApplication app, string json, string? signature = null)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, WebhookPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add(MetaWebhooks.SignatureHeader, signature ?? MetaWebhooks.Sign(AppSecret, body));
        return app.CreateClient().SendAsync(request);
    }

    /// <summary>One delivery of one entry per element of <paramref name="entries"/>, each holding its items.</summary>
    public static string Delivery(params string[][] entries) => Entries(entries.Select(items => Entry(PageId, items)).ToArray());

    public static string Entries(params string[] entries) => $$"""{"object":"page","entry":[{{string.Join(',', entries)}}]}""";

    /// <summary>One entry: <paramref name="page"/>'s items.</summary>
    public static string Entry(string page, params string[] items) => $$"""{"id":"{{page}}","time":1,"messaging":[{{string.Join(',', items)}}]}""";

    public static string Delivery(params string[] items) => Delivery([items]);

    public static long Millis(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    /// <summary>An item from the customer to the page: <paramref name="kind"/> (message, postback, delivery…) holding <paramref name="json"/>.</summary>
    public static string FromCustomer(string psid, DateTimeOffset at, string kind, string json)
        => $$$"""{"sender":{"id":"{{{psid}}}"},"recipient":{"id":"{{{PageId}}}"},"timestamp":{{{Millis(at)}}},"{{{kind}}}":{{{json}}}}""";

    /// <summary>An item from the page to the customer (an echo).</summary>
    public static string FromPage(string psid, DateTimeOffset at, string kind, string json)
        => $$$"""{"sender":{"id":"{{{PageId}}}"},"recipient":{"id":"{{{psid}}}"},"timestamp":{{{Millis(at)}}},"{{{kind}}}":{{{json}}}}""";

    public static string Text(string psid, DateTimeOffset at, string mid, string text)
        => FromCustomer(psid, at, "message", $$$"""{"mid":"{{{mid}}}","text":{{{JsonSerializer.Serialize(text)}}}}""");

    public static void AcceptsMessengerSends(this WireMockServer meta, string messageId)
        => meta.Given(Request.Create().WithPath(SendPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody($$"""{"recipient_id":"24000000000000001","message_id":"{{messageId}}"}"""));

    public static void RefusesMessengerSends(this WireMockServer meta, int code, int? subcode, string message)
        => meta.Given(Request.Create().WithPath(SendPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json")
                .WithBody(JsonSerializer.Serialize(new { error = new { message, type = "OAuthException", code, error_subcode = subcode, fbtrace_id = "Ab1" } })));

    public static async Task<IReadOnlyList<ILogEntry>> WaitForSendsAsync(this WireMockServer meta, int count)
    {
        // A guard against hanging, not a speed requirement.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Sends(meta).Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Meta received {Sends(meta).Count} sends, expected {count}.");
            await Task.Delay(25);
        }
        return Sends(meta);
    }

    public static IReadOnlyList<ILogEntry> Sends(this WireMockServer meta) => meta.LogEntries.Where(e => e.RequestMessage.Path == SendPath).ToList();
}
