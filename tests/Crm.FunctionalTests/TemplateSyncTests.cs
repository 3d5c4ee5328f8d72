using System.Net.Http.Json;
using Crm.Connectors.Connections;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A connection's template catalog read from the provider's own API (Twilio's Content API here).</summary>
public sealed class TemplateSyncTests : SignedInAgentTests
{
    private const string ContentAndApprovals = """
        {"contents":[
          {"sid":"HXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","friendly_name":"order_shipped","language":"en","variables":{"1":"name"},
           "types":{"twilio/text":{"body":"Hi {{1}}, order {{2}} shipped."}},
           "approval_requests":{"name":"order_shipped","category":"UTILITY","status":"approved"}},
          {"sid":"HXbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","friendly_name":"promo","language":"en","variables":{},
           "types":{"twilio/text":{"body":"Sale!"}},"approval_requests":{"name":"promo","category":"MARKETING","status":"rejected"}}],
         "meta":{"next_page_url":null}}
        """;

    [Fact]
    public async Task Syncing_a_twilio_connection_keeps_only_its_content_templates_approved_for_whatsapp()
    {
        Twilio.Given(Request.Create().WithPath("/v1/ContentAndApprovals").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(ContentAndApprovals));

        var synced = await Agent.PostAsync($"{ChannelConnectionsApi.Path}/{CrmApplication.ConnectionId}/templates/sync", null);
        var result = (await synced.Content.ReadFromJsonAsync<ChannelConnectionsApi.TemplateSyncResult>())!;
        var catalog = (await Agent.GetFromJsonAsync<ChannelConnectionsApi.TemplateCatalog>($"{ChannelConnectionsApi.Path}/{CrmApplication.ConnectionId}/templates"))!;
        var request = Twilio.LogEntries.Single(e => e.RequestMessage.Path == "/v1/ContentAndApprovals").RequestMessage;

        Assert.True(result.Ok, result.Message);
        var template = Assert.Single(catalog.Templates);
        Assert.Equal(("HXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "order_shipped", "en", "UTILITY"), (template.Id, template.Name, template.Language, template.Category));
        Assert.Equal(["1", "2"], template.Variables);
        Assert.StartsWith("Basic ", request.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task A_refused_sync_says_why_and_keeps_the_catalog()
    {
        await Agent.PutAsJsonAsync($"{ChannelConnectionsApi.Path}/{CrmApplication.ConnectionId}/templates",
            new { templates = new[] { new { id = "HXkept", name = "kept", body = "Kept", variables = Array.Empty<string>() } } });
        Twilio.Given(Request.Create().WithPath("/v1/ContentAndApprovals").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(401).WithBody("""{"code":20003,"message":"Authenticate"}"""));

        var result = (await (await Agent.PostAsync($"{ChannelConnectionsApi.Path}/{CrmApplication.ConnectionId}/templates/sync", null))
            .Content.ReadFromJsonAsync<ChannelConnectionsApi.TemplateSyncResult>())!;

        Assert.False(result.Ok);
        Assert.Contains("20003", result.Message);
        Assert.Equal(["HXkept"], result.Templates.Select(t => t.Id));
    }
}
