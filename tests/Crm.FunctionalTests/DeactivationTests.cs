using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Server;

namespace Crm.FunctionalTests;

public sealed class DeactivationTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly TaskCompletionSource<AgentDeactivated> deactivatedEvent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CrmApplication app = null!;
    private HttpClient admin = null!;

    public async Task InitializeAsync()
    {
        app = new CrmApplication(twilio);
        admin = await app.SignInAsync("ada", CrmApplication.TestWorkspace, AgentRoles.Admin);
        app.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint("deactivation-tests-" + Guid.NewGuid().ToString("N"), endpoint =>
            endpoint.Handler<AgentDeactivated>(context => { deactivatedEvent.TrySetResult(context.Message); return Task.CompletedTask; }));
    }

    [Fact]
    public async Task A_deactivated_agents_token_is_refused_and_their_hub_connection_closed()
    {
        var cy = await app.SignInAsync("cy", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var feed = await app.ConnectAgentAsync(cy, onClosed: () => closed.TrySetResult());
        Assert.Equal(HttpStatusCode.OK, (await cy.GetAsync("/api/agents/me")).StatusCode);
        var cyId = (await cy.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;

        var response = await admin.PostAsync($"/api/agents/{cyId}/deactivate", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await response.Content.ReadFromJsonAsync<AgentView>())!.IsActive);
        Assert.Equal(HttpStatusCode.Unauthorized, (await cy.GetAsync("/api/agents/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await cy.GetAsync("/api/conversations")).StatusCode);
        await closed.Task.WaitAsync(Patience);
        var signIn = await app.CreateClient().PostAsJsonAsync("/api/auth/sign-in", new { email = "cy@test.crm", password = CrmApplication.TestPassword });
        Assert.Equal(HttpStatusCode.Forbidden, signIn.StatusCode);
    }

    [Fact]
    public async Task A_deactivated_agents_websocket_is_closed_by_the_server_with_a_session_ended_push()
    {
        var cy = await app.SignInAsync("cy", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var cyId = (await cy.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;
        var connection = WebSocketConnection(cy);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sessionEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        connection.On(AgentConnections.SessionEndedMethod, () => sessionEnded.TrySetResult());
        await connection.StartAsync();

        await admin.PostAsync($"/api/agents/{cyId}/deactivate", null);

        await closed.Task.WaitAsync(Patience);
        Assert.True(sessionEnded.Task.IsCompleted, "The agent was not told their session ended before the connection closed.");
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task A_hub_connection_whose_session_ended_in_another_process_is_closed_too()
    {
        var cy = await app.SignInAsync("cy", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var cyAgent = await app.Services.GetRequiredService<IAgentStore>().FindByEmailAsync("cy@test.crm");
        var connection = WebSocketConnection(cy);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await connection.StartAsync();

        // Another process deactivates cy: it writes the shared store, and this process hears nothing of it.
        await app.Services.GetRequiredService<IAgentStore>().SetActiveAsync(cyAgent!.Id, active: false, "stamp-set-elsewhere");

        await closed.Task.WaitAsync(Patience);
        await connection.DisposeAsync();
    }

    /// <summary>Over a WebSocket nothing is authenticated again after connecting: only the server can close it.</summary>
    private HubConnection WebSocketConnection(HttpClient signedIn)
    {
        var token = signedIn.DefaultRequestHeaders.Authorization!.Parameter;
        return new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, InboxHub.Path.TrimStart('/')), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.AccessTokenProvider = () => Task.FromResult(token);
                options.WebSocketFactory = async (context, ct) =>
                {
                    var client = app.Server.CreateWebSocketClient();
                    client.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {token}";
                    return await client.ConnectAsync(context.Uri, ct);
                };
            })
            .Build();
    }

    [Fact]
    public async Task Deactivation_is_announced_on_the_bus_for_the_assignment_engine()
    {
        var dee = await app.EnsureAgentAsync("Dee", "dee@test.crm", CrmApplication.TestWorkspace, AgentRoles.Agent);

        await admin.PostAsync($"/api/agents/{dee.Id}/deactivate", null);

        var announced = await deactivatedEvent.Task.WaitAsync(Patience);
        Assert.Equal(dee.Id, announced.AgentId);
        Assert.Equal(CrmApplication.TestWorkspace, announced.WorkspaceId);
    }

    [Fact]
    public async Task A_reactivated_agent_signs_in_again_but_old_tokens_stay_refused()
    {
        var cy = await app.SignInAsync("cy", CrmApplication.TestWorkspace, AgentRoles.Agent);
        var cyId = (await cy.GetFromJsonAsync<AgentView>("/api/agents/me"))!.Id;
        await admin.PostAsync($"/api/agents/{cyId}/deactivate", null);

        var activated = await admin.PostAsync($"/api/agents/{cyId}/activate", null);
        var signIn = await app.CreateClient().PostAsJsonAsync("/api/auth/sign-in", new { email = "cy@test.crm", password = CrmApplication.TestPassword });

        Assert.Equal(HttpStatusCode.OK, activated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await cy.GetAsync("/api/agents/me")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
