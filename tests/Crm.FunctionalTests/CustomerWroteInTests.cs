using System.Net.Http.Json;
using System.Text.Json;
using Crm.Inbox.Customers;
using Crm.Inbox.Workspaces;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>A customer who wrote in on WhatsApp, an admin (Ann) of the workspace that received it, and helpers to read them back.</summary>
public abstract class CustomerWroteInTests : IAsyncLifetime
{
    protected static readonly Guid OtherWorkspace = Guid.Parse("0b0e0000-0000-4000-8000-0000000000fd");
    private readonly WireMockServer twilio = WireMockServer.Start();
    protected CrmApplication App { get; private set; } = null!;

    public Task InitializeAsync()
    {
        App = new CrmApplication(twilio);
        return Task.CompletedTask;
    }

    /// <summary>Alice writes in on WhatsApp; Ann (an admin) is signed in to the workspace that received it.</summary>
    protected async Task<(HttpClient Ann, Guid Customer)> AliceWroteInAsync()
    {
        var ann = await App.SignInAsync("ann");
        await using var feed = await App.ConnectAgentAsync(ann);
        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMalice", "+14155550100", "hello", profileName: "Alice"));
        var message = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMalice");
        return (ann, message.CustomerId);
    }

    protected Task<HttpClient> PlainAgentAsync() => App.SignInAsync("bob", CrmApplication.TestWorkspace, AgentRoles.Agent);

    protected Task<HttpClient> OtherWorkspaceAdminAsync() => App.SignInAsync("bea", OtherWorkspace, AgentRoles.Admin);

    protected static async Task<CustomersApi.CustomerDetails> ProfileAsync(HttpClient agent, Guid customer)
        => (await agent.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{customer}"))!;

    protected static async Task<List<CustomerProfileChange>> HistoryAsync(HttpClient agent, Guid customer)
        => (await agent.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{customer}/history"))!.Items.ToList();

    /// <summary>The names of the fields a 400 is about.</summary>
    protected static async Task<List<string>> ErrorsAsync(HttpResponseMessage response)
        => (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();

    /// <summary>What a 409 says customers still hold: value -> how many.</summary>
    protected static async Task<Dictionary<string, long>> HeldByAsync(HttpResponseMessage response)
        => (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("heldBy").Deserialize<Dictionary<string, long>>()!;

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        twilio.Stop();
    }
}
