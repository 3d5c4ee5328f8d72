using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Crm.FaultTests.Traffic;

/// <summary>
/// An agent on the agent API: signs in with email and password, then replies. Each name is a real agent, invited
/// by the owner the deployment created from <c>Crm:Bootstrap:*</c> (see CrmDeployment) the first time it is used.
/// </summary>
public sealed class Agent : IDisposable
{
    private readonly HttpClient http;

    private Agent(HttpClient http) => this.http = http;

    public const string OwnerEmail = "owner@faults.crm";
    public const string Password = "fault-password-1";

    /// <summary>The demo workspace's id (Crm.Inbox's DemoWorkspace.Id), where Crm's configured channel delivers.</summary>
    public const string WorkspaceId = "5eed0000-0000-4000-8000-000000000001";

    public static async Task<Agent> SignInAsync(Uri agentsApi, string name)
    {
        var http = new HttpClient { BaseAddress = agentsApi, Timeout = TimeSpan.FromSeconds(30) };
        var email = $"{name}@faults.crm";
        using var signIn = await http.PostAsJsonAsync("/api/auth/sign-in", new { email, password = Password });
        var token = signIn.StatusCode == HttpStatusCode.Unauthorized ? await InviteAsync(http, email, name) : await TokenOf(signIn);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new Agent(http);
    }

    /// <summary>The owner invites the agent, who accepts (and is signed in by accepting).</summary>
    private static async Task<string> InviteAsync(HttpClient http, string email, string name)
    {
        using var ownerSignIn = await http.PostAsJsonAsync("/api/auth/sign-in", new { email = OwnerEmail, password = Password });
        using var invite = new HttpRequestMessage(HttpMethod.Post, "/api/agents/invitations") { Content = JsonContent.Create(new { email, role = "agent" }) };
        invite.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenOf(ownerSignIn));
        using var invited = await http.SendAsync(invite);
        var invitation = await TokenOf(invited);
        using var accepted = await http.PostAsJsonAsync("/api/auth/accept-invitation", new { token = invitation, name, password = Password });
        return await TokenOf(accepted);
    }

    private static async Task<string> TokenOf(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()
            ?? throw new InvalidOperationException("The answer carried no token.");
    }

    /// <summary>Posts a reply; it must be answered 202 (accepted into the outbox) whatever is down behind the API.</summary>
    public async Task<Guid> ReplyAsync(Guid conversationId, string text)
    {
        using var response = await http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted,
            $"Expected a reply to be answered 202 Accepted, found {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    public void Dispose() => http.Dispose();
}
