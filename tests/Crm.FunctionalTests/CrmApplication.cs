using MassTransit;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Crm.Connectors.Twilio;
using Crm.Gateway.Apis;
using Crm.Inbox.Agents;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.SignalR.Client;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// The real Gateway pipeline in memory, with Twilio played by WireMock. Every instance gets its own
/// SQLite file unless it is handed one to share (to stand in for several processes of one deployment).
/// </summary>
public sealed class CrmApplication : WebApplicationFactory<Program>
{
    public const string AccountSid = "AC00000000000000000000000000000001";
    public const string AuthToken = "test-auth-token";
    public const string BusinessNumber = "+14155238886";
    public const string PublicBaseUrl = "https://crm.example.com";

    /// <summary>The Twilio channel connection every instance seeds for the demo workspace (the one test sign-ins belong to).</summary>
    public static readonly Guid ConnectionId = Guid.Parse("7e570000-0000-4000-8000-000000000001");

    private readonly Dictionary<string, string?> settings;

    /// <summary>This instance's webhook spool: its own unless handed one, as a restarted process keeps its disk.</summary>
    public string SpoolFile { get; }
    private readonly string? ownedDirectory;
    private readonly Action<IServiceCollection>? testServices;
    private readonly bool waitForBus;

    public CrmApplication(WireMockServer twilio, IDictionary<string, string?>? overrides = null, string? sqliteFile = null,
        Action<IServiceCollection>? testServices = null, string? spoolFile = null, bool waitForBus = true)
    {
        this.testServices = testServices;
        this.waitForBus = waitForBus;
        if (sqliteFile is null)
        {
            ownedDirectory = Directory.CreateTempSubdirectory("crm-functional-").FullName;
            sqliteFile = Path.Combine(ownedDirectory, "crm.db");
        }
        SpoolFile = spoolFile ?? Path.Combine(Path.GetDirectoryName(sqliteFile)!, $"spool-{Guid.NewGuid():N}.db");
        settings = new Dictionary<string, string?>
        {
            ["Crm:Mode"] = "Embedded",
            ["ConnectionStrings:Sqlite"] = $"Data Source={sqliteFile}",
            ["Crm:Spool:Path"] = SpoolFile,
            [$"{Seed}:Id"] = ConnectionId.ToString(),
            [$"{Seed}:WorkspaceId"] = DemoWorkspace.Id.ToString(),
            [$"{Seed}:AccountSid"] = AccountSid,
            [$"{Seed}:AuthToken"] = AuthToken,
            [$"{Seed}:Numbers:0"] = "whatsapp:" + BusinessNumber,
            [$"{Seed}:ApiBaseUrl"] = twilio.Url,
            ["Crm:Twilio:PublicBaseUrl"] = PublicBaseUrl,
            ["Crm:Twilio:RetryBaseDelay"] = "00:00:00.050",
            ["Crm:Auth:SigningKey"] = "functional-tests-signing-key-0123456789abcdef",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        // Crm serves before its bus is up (webhooks go to the spool). A test instance, though, waits for its bus,
        // so that disposing it stops a started bus: one still starting would live on after the instance, and
        // its consumers would take later tests' messages from the shared RabbitMQ queues.
        if (waitForBus) builder.ConfigureTestServices(services => services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true));
        if (testServices is not null) builder.ConfigureTestServices(testServices);
    }

    /// <summary>
    /// For tests of something else than assignment: nobody is given conversations by the engine, so a timeline holds only
    /// what the test wrote, in the order it wrote it.
    /// </summary>
    public static readonly KeyValuePair<string, string?> ManualAssignment = new("Crm:Assignment:WorkspacePolicy", Crm.Inbox.Assignment.AssignmentPolicies.Manual);

    /// <summary>The settings key prefix of the seeded connection (e.g. <c>{Seed}:ApiBaseUrl</c>, <c>{Seed}:Numbers:1</c>).</summary>
    public const string Seed = "Crm:ChannelConnections:Seed:0";

    /// <summary>
    /// The seeded connection's webhook URL for one written the way it was before connections were data:
    /// <c>/webhooks/twilio/whatsapp</c> and <c>/webhooks/twilio/status</c> (query kept). Other paths are left alone.
    /// </summary>
    public static string ConnectionPath(string pathAndQuery)
    {
        const string messages = "/webhooks/twilio/whatsapp", status = "/webhooks/twilio/status";
        if (pathAndQuery.StartsWith(messages, StringComparison.Ordinal)) return TwilioWebhookPaths.MessagesOf(ConnectionId) + pathAndQuery[messages.Length..];
        if (pathAndQuery.StartsWith(status, StringComparison.Ordinal)) return TwilioWebhookPaths.StatusOf(ConnectionId) + pathAndQuery[status.Length..];
        return pathAndQuery;
    }

    /// <summary>
    /// Posts a form to a Twilio webhook, signed as Twilio signs it for our public URL with the seeded connection's
    /// token. Old-style paths are mapped to the seeded connection's (<see cref="ConnectionPath"/>).
    /// </summary>
    public Task<HttpResponseMessage> PostFromTwilioAsync(string pathAndQuery, IReadOnlyList<KeyValuePair<string, string>> form, string? signature = null)
    {
        pathAndQuery = ConnectionPath(pathAndQuery);
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? TwilioSignature.Compute(AuthToken, PublicBaseUrl + pathAndQuery, form));
        return CreateClient().SendAsync(request);
    }

    /// <summary>The workspace test agents belong to unless a test names another: the demo workspace, where Crm's configured channel delivers.</summary>
    public static readonly Guid TestWorkspace = DemoWorkspace.Id;

    /// <summary>Every test agent's password.</summary>
    public const string TestPassword = "test-password-1";

    /// <summary>Agent <paramref name="agent"/> (an admin of the test workspace, <c>{agent}@test.crm</c>), signed in with email and password.</summary>
    public Task<HttpClient> SignInAsync(string agent) => SignInAsync(agent, TestWorkspace, AgentRoles.Admin);

    /// <summary>Agent <paramref name="agent"/> of the given workspace and role, created on first use, signed in with email and password.</summary>
    public async Task<HttpClient> SignInAsync(string agent, Guid workspace, string role)
    {
        var email = $"{agent}@test.crm";
        await EnsureAgentAsync(agent, email, workspace, role);
        var client = CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/sign-in", new { email, password = TestPassword });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<AuthApi.AgentToken>())!.Token;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Creates the agent (and their workspace) through the real accounts service unless they exist already.</summary>
    public async Task<Agent> EnsureAgentAsync(string name, string email, Guid workspace, string role)
    {
        var agents = Services.GetRequiredService<IAgentStore>();
        if (await agents.FindByEmailAsync(email) is { } existing) return existing;
        await Services.GetRequiredService<IWorkspaceStore>().TryCreateAsync(new Workspace(workspace, $"Test {workspace:N}", DateTimeOffset.UtcNow));
        var created = await Services.GetRequiredService<AgentAccounts>().CreateAgentAsync(workspace, email, name, role, TestPassword);
        return created.Agent ?? await agents.FindByEmailAsync(email) ?? throw new InvalidOperationException(created.Problem);
    }

    /// <summary>An agent's live connection, recording everything the server pushes.</summary>
    public async Task<AgentFeed> ConnectAgentAsync(HttpClient signedIn, Action? onClosed = null)
    {
        var token = signedIn.DefaultRequestHeaders.Authorization?.Parameter;
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Server.BaseAddress, InboxHub.Path.TrimStart('/')), options =>
            {
                options.Transports = HttpTransportType.LongPolling;
                options.HttpMessageHandlerFactory = _ => Server.CreateHandler();
                options.AccessTokenProvider = () => Task.FromResult(token);
            })
            .Build();
        if (onClosed is not null) connection.Closed += _ => { onClosed(); return Task.CompletedTask; };
        var feed = new AgentFeed(connection);
        await connection.StartAsync();
        return feed;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && ownedDirectory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(ownedDirectory, recursive: true); } catch (IOException) { }
        }
    }
}
