using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Crm.FaultTests.Traffic;

/// <summary>An agent on the agent API: dev sign-in, then replies.</summary>
public sealed class Agent : IDisposable
{
    private readonly HttpClient http;

    private Agent(HttpClient http) => this.http = http;

    public static async Task<Agent> SignInAsync(Uri agentsApi, string name)
    {
        var http = new HttpClient { BaseAddress = agentsApi, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.PostAsJsonAsync("/api/auth/dev-token", new { agent = name });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new Agent(http);
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
