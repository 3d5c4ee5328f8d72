using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Crm.Benchmarks.Measuring;

/// <summary>
/// A connected agent: signs in as the owner the Crm under test created from <c>Crm:Bootstrap:*</c>, connects to the inbox hub over WebSockets and
/// notes when each of this run's messages is pushed (by its channelMessageId; the payload is bound loosely).
/// </summary>
public sealed class AgentFeed : IAsyncDisposable
{
    private readonly HubConnection connection;
    private readonly List<(TwilioWebhookForms Webhooks, WebhookLedger Ledger)> tracks = [];

    private AgentFeed(HubConnection connection) => this.connection = connection;

    /// <summary>Notes pushes of these webhooks' messages in their ledger from now on (a warm-up and the run, say).</summary>
    public void Track(TwilioWebhookForms webhooks, WebhookLedger ledger)
    {
        lock (tracks) tracks.Add((webhooks, ledger));
    }

    public static async Task<AgentFeed> ConnectAsync(Uri agentsBaseUrl)
    {
        var token = await SignInAsync(agentsBaseUrl);
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(agentsBaseUrl, "hubs/inbox"), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        var feed = new AgentFeed(connection);
        // A long run under load must not end because a keep-alive was late.
        connection.ServerTimeout = TimeSpan.FromMinutes(5);
        connection.On<JsonElement>("MessagesAdded", feed.RecordBatch);
        await connection.StartAsync();
        return feed;
    }

    public const string BenchEmail = "bench@bench.crm";
    public const string BenchPassword = "bench-password-1";

    /// <summary>The demo workspace's id (Crm.Inbox's DemoWorkspace.Id), where Crm's configured channel delivers.</summary>
    public const string BenchWorkspaceId = "5eed0000-0000-4000-8000-000000000001";

    public static async Task<string> SignInAsync(Uri agentsBaseUrl)
    {
        using var client = new HttpClient { BaseAddress = agentsBaseUrl };
        var response = await client.PostAsJsonAsync("api/auth/sign-in", new { email = BenchEmail, password = BenchPassword });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("token").GetString() ?? throw new InvalidOperationException("The sign-in returned no token.");
    }

    /// <summary>One push per stored batch: <c>{ messages: [...], conversations: [...] }</c>.</summary>
    private void RecordBatch(JsonElement push)
    {
        foreach (var message in push.GetProperty("messages").EnumerateArray()) Record(message);
    }

    private void Record(JsonElement message)
    {
        if (!message.TryGetProperty("channelMessageId", out var property) || property.ValueKind != JsonValueKind.String) return;
        var sid = property.GetString();
        lock (tracks)
        {
            foreach (var (webhooks, ledger) in tracks)
            {
                if (webhooks.IndexOf(sid) is var index and >= 0 && index < ledger.Count)
                {
                    ledger.PushArrived(index);
                    return;
                }
            }
        }
    }

    public HubConnectionState State => connection.State;

    public async ValueTask DisposeAsync() => await connection.DisposeAsync();
}
