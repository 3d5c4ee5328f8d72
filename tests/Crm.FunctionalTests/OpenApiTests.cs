using System.Net;
using System.Text.Json;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>The API is described as OpenAPI, so integrations can do anything an agent can.</summary>
public sealed class OpenApiTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();

    [Fact]
    public async Task The_openapi_document_describes_every_part_of_the_api_and_its_bearer_sign_in()
    {
        await using var app = new CrmApplication(twilio);

        var response = await app.CreateClient().GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/auth/sign-in", paths);
        Assert.Contains("/api/conversations", paths);
        Assert.Contains("/api/conversations/{conversationId}/status", paths);
        Assert.Contains("/api/labels", paths);
        Assert.Contains("/api/canned-replies", paths);
        Assert.Contains("/api/agents", paths);
        Assert.Contains("/api/channel-connections", paths);
        Assert.Equal("bearer", document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString());
    }

    public void Dispose() => twilio.Stop();
}
