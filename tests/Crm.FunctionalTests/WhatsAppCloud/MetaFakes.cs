using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Crm.Connectors.Meta;
using Crm.Connectors.Tests.WhatsAppCloud;
using Crm.Connectors.WhatsAppCloud;
using Crm.Inbox.Workspaces;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Crm.FunctionalTests.WhatsAppCloud;

/// <summary>Meta's Graph API as WireMock plays it, and Meta's webhook deliveries to a seeded WhatsApp Cloud connection.</summary>
public static class MetaFakes
{
    public static readonly Guid ConnectionId = Guid.Parse("c10d0000-0000-4000-8000-000000000001");
    public const string AccessToken = "cloud-access-token";
    public const string AppSecret = "cloud-app-secret";
    public const string VerifyToken = "cloud-verify-token";
    public const string BusinessIdentity = "+" + CloudApiExamples.DisplayNumber;
    public const string MessagesPath = $"/v21.0/{CloudApiExamples.PhoneNumberId}/messages";

    /// <summary>Seeds the demo workspace (where test agents sign in) with a Cloud API connection whose Graph API is <paramref name="meta"/>.</summary>
    public static Dictionary<string, string?> Seed(WireMockServer meta, int index = 1)
    {
        var seed = $"Crm:ChannelConnections:Seed:{index}";
        return new Dictionary<string, string?>
        {
            [$"{seed}:Id"] = ConnectionId.ToString(),
            [$"{seed}:WorkspaceId"] = DemoWorkspace.Id.ToString(),
            [$"{seed}:Type"] = "whatsapp-cloud",
            [$"{seed}:DisplayName"] = "Cloud API",
            [$"{seed}:Settings:phoneNumberId"] = CloudApiExamples.PhoneNumberId,
            [$"{seed}:Settings:wabaId"] = CloudApiExamples.WabaId,
            [$"{seed}:Settings:displayPhoneNumber"] = BusinessIdentity,
            [$"{seed}:Settings:accessToken"] = AccessToken,
            [$"{seed}:Settings:appSecret"] = AppSecret,
            [$"{seed}:Settings:verifyToken"] = VerifyToken,
            [$"{seed}:Settings:apiBaseUrl"] = meta.Url,
            ["Crm:WhatsAppCloud:RetryBaseDelay"] = "00:00:00.050",
        };
    }

    /// <summary>Posts <paramref name="json"/> as Meta delivers it: signed over its exact bytes with the app secret (or <paramref name="appSecret"/>).</summary>
    public static Task<HttpResponseMessage> PostFromMetaAsync(this CrmApplication app, string json, string appSecret = AppSecret)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, WhatsAppCloudWebhooksApi.PathOf(ConnectionId)) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(MetaWebhooks.SignatureHeader, MetaWebhooks.Sign(appSecret, bytes));
        return app.CreateClient().SendAsync(request);
    }

    public static IRequestBuilder SendRequest => Request.Create().WithPath(MessagesPath).UsingPost();

    public static void AcceptsMessages(this WireMockServer meta, string wamid)
        => meta.Given(SendRequest).RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
            .WithBody(JsonSerializer.Serialize(new
            {
                messaging_product = "whatsapp",
                contacts = new[] { new { input = CloudApiExamples.CustomerWaId, wa_id = CloudApiExamples.CustomerWaId } },
                messages = new[] { new { id = wamid } },
            })));

    public static void RefusesMessages(this WireMockServer meta, int httpStatus, int code, string message)
        => meta.Given(SendRequest).RespondWith(Response.Create().WithStatusCode(httpStatus).WithHeader("Content-Type", "application/json")
            .WithBody(JsonSerializer.Serialize(new { error = new { message = $"(#{code}) {message}", type = "OAuthException", code, fbtrace_id = "AbC" } })));

    public static IReadOnlyList<ILogEntry> SendRequests(this WireMockServer meta)
        => meta.LogEntries.Where(e => e.RequestMessage.Path == MessagesPath).ToList();

    public static async Task<IReadOnlyList<ILogEntry>> WaitForSendRequestsAsync(this WireMockServer meta, int count)
    {
        await Eventually.TrueAsync(() => Task.FromResult(meta.SendRequests().Count >= count),
            () => Task.FromResult($"Meta received {meta.SendRequests().Count} send requests, expected {count}."));
        return meta.SendRequests();
    }
}
