using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Crm.Connectors.Connections;
using Crm.Connectors.Twilio;
using Crm.Contracts;
using Crm.Gateway.Agents;
using Crm.Inbox.Timelines;
using Crm.Inbox.Workspaces;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Channel connections as data: the admin API, their own webhook URLs and tokens, and replies through them.</summary>
public sealed class ChannelConnectionTests : IAsyncLifetime
{
    private const string SecondAccountSid = "AC00000000000000000000000000000b02";
    private const string SecondToken = "second-connection-secret-4711";
    private const string SecondNumber = "+14155550500";

    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly string directory = Directory.CreateTempSubdirectory("crm-connections-").FullName;
    private readonly LogRecorder logs = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<object> spooled = new();
    private CrmApplication app = null!;
    private HttpClient admin = null!;

    private string SqliteFile => Path.Combine(directory, "crm.db");

    public async Task InitializeAsync()
    {
        app = new CrmApplication(twilio, sqliteFile: SqliteFile, testServices: services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.AddSingleton<Crm.Connectors.Spool.IInboundSpool>(provider =>
                new RecordingSpool(provider.GetRequiredService<Crm.Connectors.Spool.SqliteInboundSpool>(), spooled));
        });
        admin = await app.SignInAsync("owner");
    }

    private async Task<ChannelConnectionsApi.ChannelConnectionView> CreateSecondConnectionAsync(string token = SecondToken)
    {
        var response = await admin.PostAsJsonAsync(ChannelConnectionsApi.Path, new
        {
            type = ChannelConnectionTypes.TwilioWhatsApp,
            displayName = "Second line",
            twilio = new { accountSid = SecondAccountSid, authToken = token, numbers = new[] { "whatsapp:" + SecondNumber }, apiBaseUrl = twilio.Url },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ChannelConnectionsApi.ChannelConnectionView>())!;
    }

    private Task<HttpResponseMessage> PostSignedAsync(string path, string token, IReadOnlyList<KeyValuePair<string, string>> form)
        => app.PostFromTwilioAsync(path, form, TwilioSignature.Compute(token, CrmApplication.PublicBaseUrl + path, form));

    private static List<KeyValuePair<string, string>> TextTo(string businessNumber, string sid, string from = "+14155550100")
        => TwilioFakes.WhatsAppText(sid, from, "hello").Select(f => f.Key == "To" ? new KeyValuePair<string, string>("To", "whatsapp:" + businessNumber) : f).ToList();

    private Task<HttpClient> SignedInAs(Guid workspaceId, string role)
        => app.SignInAsync($"{role}-{workspaceId:N}", workspaceId, role);

    [Fact]
    public async Task A_connections_secrets_never_appear_in_an_api_response_or_a_log()
    {
        twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{SecondAccountSid}.json").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"status":"active"}"""));
        var created = await CreateSecondConnectionAsync();
        var responses = new List<string>
        {
            await admin.GetStringAsync(ChannelConnectionsApi.Path),
            await admin.GetStringAsync($"{ChannelConnectionsApi.Path}/{created.Id}"),
            await (await admin.PatchAsJsonAsync($"{ChannelConnectionsApi.Path}/{created.Id}", new { twilio = new { authToken = "rotated-secret-0815" } })).Content.ReadAsStringAsync(),
            await (await admin.PostAsync($"{ChannelConnectionsApi.Path}/{created.Id}/test", null)).Content.ReadAsStringAsync(),
        };

        Assert.Contains(SecondAccountSid, responses[1]);
        Assert.Contains("\"authTokenSet\":true", responses[1]);
        // The recorder does hear the connection's own log lines, so their silence about the token means something.
        Assert.Contains(logs.Messages, message => message.Contains($"Added channel connection {created.Id}", StringComparison.Ordinal));
        foreach (var secret in new[] { SecondToken, "rotated-secret-0815", CrmApplication.AuthToken })
        {
            Assert.All(responses, json => Assert.DoesNotContain(secret, json));
            Assert.DoesNotContain(logs.Messages, message => message.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Secrets_are_encrypted_at_rest()
    {
        var created = await CreateSecondConnectionAsync();

        await using var connection = new SqliteConnection($"Data Source={SqliteFile}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT settings || secrets FROM channel_connections WHERE id = $id";
        command.Parameters.AddWithValue("$id", created.Id.ToString());
        var stored = (string)(await command.ExecuteScalarAsync())!;

        Assert.Contains(SecondAccountSid, stored);
        Assert.DoesNotContain(SecondToken, stored);
        // Still the token the webhook is checked with: encrypted, not lost.
        Assert.Equal(HttpStatusCode.OK, (await PostSignedAsync(created.Webhooks["messages"][CrmApplication.PublicBaseUrl.Length..], SecondToken,
            TextTo(SecondNumber, "SMatrest"))).StatusCode);
    }

    [Fact]
    public async Task A_webhook_signed_with_another_connections_token_is_refused_with_403()
    {
        var second = await CreateSecondConnectionAsync();
        var seededPath = CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp");
        var secondPath = TwilioWebhookPaths.MessagesOf(second.Id);

        Assert.Equal(HttpStatusCode.Forbidden, (await PostSignedAsync(seededPath, SecondToken, TwilioFakes.WhatsAppText("SMcross1", "+14155550100", "hi"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostSignedAsync(secondPath, CrmApplication.AuthToken, TextTo(SecondNumber, "SMcross2"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostSignedAsync(secondPath, SecondToken, TextTo(SecondNumber, "SMcross3"))).StatusCode);
    }

    [Fact]
    public async Task Webhooks_mark_what_they_accept_with_their_connection_and_its_workspace()
    {
        var second = await CreateSecondConnectionAsync();

        await PostSignedAsync(TwilioWebhookPaths.MessagesOf(second.Id), SecondToken, TextTo(SecondNumber, "SMmarked"));
        await PostSignedAsync(TwilioWebhookPaths.StatusOf(second.Id), SecondToken, TwilioFakes.StatusCallback("SMmarkedstatus000000000000000000001", "delivered"));

        var inbound = Assert.Single(spooled.OfType<InboundMessageReceived>());
        var status = Assert.Single(spooled.OfType<MessageStatusReported>());
        Assert.Equal((DemoWorkspace.Id, (Guid?)second.Id), (inbound.WorkspaceId, inbound.ConnectionId));
        Assert.Equal((DemoWorkspace.Id, (Guid?)second.Id), (status.WorkspaceId, status.ConnectionId));
    }

    [Fact]
    public async Task A_connection_whose_token_cannot_be_decrypted_answers_503_with_one_error_and_no_500()
    {
        var second = await CreateSecondConnectionAsync();
        await using (var connection = new SqliteConnection($"Data Source={SqliteFile}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // Encrypted with a key this deployment never had (as when processes do not share the key ring).
            command.CommandText = "UPDATE channel_connections SET secrets = 'CfDJ8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE id = $id";
            command.Parameters.AddWithValue("$id", second.Id.ToString());
            await command.ExecuteNonQueryAsync();
        }

        var response = await PostSignedAsync(TwilioWebhookPaths.MessagesOf(second.Id), SecondToken, TextTo(SecondNumber, "SMundecryptable"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(logs.Messages, message => message.Contains("cannot be decrypted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_webhook_to_an_unknown_connection_is_refused_with_404()
    {
        var path = TwilioWebhookPaths.MessagesOf(Guid.NewGuid());

        var response = await PostSignedAsync(path, CrmApplication.AuthToken, TwilioFakes.WhatsAppText("SMunknown", "+14155550100", "hi"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_disabled_connection_refuses_its_webhooks_and_takes_them_again_once_enabled()
    {
        var second = await CreateSecondConnectionAsync();
        var path = TwilioWebhookPaths.MessagesOf(second.Id);

        var disabling = await admin.PatchAsJsonAsync($"{ChannelConnectionsApi.Path}/{second.Id}", new { enabled = false });
        Assert.False((await disabling.Content.ReadFromJsonAsync<ChannelConnectionsApi.ChannelConnectionView>())!.Enabled);
        Assert.Equal(HttpStatusCode.NotFound, (await PostSignedAsync(path, SecondToken, TextTo(SecondNumber, "SMoff"))).StatusCode);

        await admin.PatchAsJsonAsync($"{ChannelConnectionsApi.Path}/{second.Id}", new { enabled = true });
        Assert.Equal(HttpStatusCode.OK, (await PostSignedAsync(path, SecondToken, TextTo(SecondNumber, "SMon"))).StatusCode);
    }

    [Fact]
    public async Task The_business_number_must_belong_to_the_connection_the_webhook_names()
    {
        await CreateSecondConnectionAsync();

        // Signed correctly for the seeded connection, but addressed to the second connection's number.
        var response = await PostSignedAsync(CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp"), CrmApplication.AuthToken, TextTo(SecondNumber, "SMwrongline"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Fact]
    public async Task A_reply_goes_out_with_the_credentials_and_sender_of_the_connection_the_conversation_came_in_on()
    {
        var secondMessages = $"/2010-04-01/Accounts/{SecondAccountSid}/Messages.json";
        twilio.Given(Request.Create().WithPath(secondMessages).UsingPost()).RespondWith(TwilioFakes.Accepted("SMsecondline00000000000000000000001"));
        var second = await CreateSecondConnectionAsync();
        await using var feed = await app.ConnectAgentAsync(admin);

        Assert.Equal(HttpStatusCode.OK, (await PostSignedAsync(TwilioWebhookPaths.MessagesOf(second.Id), SecondToken, TextTo(SecondNumber, "SMsecond-in"))).StatusCode);
        var inbound = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMsecond-in");
        var reply = await admin.PostAsJsonAsync($"/api/conversations/{inbound.ConversationId}/messages", new { text = "from the second line" });
        reply.EnsureSuccessStatusCode();

        var sent = await WaitForRequestAsync(secondMessages);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{SecondAccountSid}:{SecondToken}")), sent.Headers!["Authorization"].Single());
        Assert.Contains("From=whatsapp%3A%2B14155550500", sent.Body);
        Assert.Empty(twilio.SendRequests());
    }

    [Fact]
    public async Task Testing_a_connection_reports_ok_or_twilios_refusal_in_words()
    {
        twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{SecondAccountSid}.json").UsingGet().WithHeader("Authorization",
                "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{SecondAccountSid}:{SecondToken}"))))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"status":"active"}"""));
        twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{SecondAccountSid}.json").UsingGet())
            .AtPriority(10)
            .RespondWith(TwilioFakes.Refused(401, 20003, "Authenticate"));
        var second = await CreateSecondConnectionAsync();
        var test = $"{ChannelConnectionsApi.Path}/{second.Id}/test";

        var ok = await (await admin.PostAsync(test, null)).Content.ReadFromJsonAsync<ChannelConnectionsApi.ConnectionTestResult>();
        await admin.PatchAsJsonAsync($"{ChannelConnectionsApi.Path}/{second.Id}", new { twilio = new { authToken = "a-wrong-token" } });
        var refused = await (await admin.PostAsync(test, null)).Content.ReadFromJsonAsync<ChannelConnectionsApi.ConnectionTestResult>();

        Assert.True(ok!.Ok, ok.Message);
        Assert.False(refused!.Ok);
        Assert.Contains("Authenticate", refused.Message);
        Assert.Contains("401", refused.Message);
    }

    [Fact]
    public async Task Agents_may_not_manage_connections_and_another_workspace_sees_none_of_them()
    {
        var second = await CreateSecondConnectionAsync();
        var agent = await SignedInAs(DemoWorkspace.Id, AgentRoles.Agent);
        var otherAdmin = await SignedInAs(Guid.NewGuid(), AgentRoles.Admin);

        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync(ChannelConnectionsApi.Path)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PatchAsJsonAsync($"{ChannelConnectionsApi.Path}/{second.Id}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherAdmin.GetAsync($"{ChannelConnectionsApi.Path}/{second.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherAdmin.PatchAsJsonAsync($"{ChannelConnectionsApi.Path}/{second.Id}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherAdmin.DeleteAsync($"{ChannelConnectionsApi.Path}/{second.Id}")).StatusCode);
        Assert.Equal("[]", await otherAdmin.GetStringAsync(ChannelConnectionsApi.Path));
        Assert.True((await admin.GetFromJsonAsync<ChannelConnectionsApi.ChannelConnectionView>($"{ChannelConnectionsApi.Path}/{second.Id}"))!.Enabled);
    }

    [Fact]
    public async Task A_connection_lists_the_webhook_urls_to_paste_into_twilio_and_refuses_bad_input_with_problems()
    {
        var second = await CreateSecondConnectionAsync();

        Assert.Equal($"{CrmApplication.PublicBaseUrl}/webhooks/twilio/{second.Id}", second.Webhooks["messages"]);
        Assert.Equal($"{CrmApplication.PublicBaseUrl}/webhooks/twilio/{second.Id}/status", second.Webhooks["status"]);
        var unknownType = await admin.PostAsJsonAsync(ChannelConnectionsApi.Path, new { type = "carrier-pigeon" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownType.StatusCode);
        Assert.Contains("twilio-whatsapp", await unknownType.Content.ReadAsStringAsync());
        var invalid = await admin.PostAsJsonAsync(ChannelConnectionsApi.Path, new
        {
            type = ChannelConnectionTypes.TwilioWhatsApp, twilio = new { accountSid = "nope", numbers = new[] { "not a number" } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var problem = await invalid.Content.ReadAsStringAsync();
        Assert.Contains("twilio.accountSid", problem);
        Assert.Contains("twilio.numbers", problem);
        Assert.Contains("twilio.authToken", problem);
        var taken = await admin.PostAsJsonAsync(ChannelConnectionsApi.Path, new
        {
            type = ChannelConnectionTypes.TwilioWhatsApp,
            twilio = new { accountSid = SecondAccountSid, authToken = "x", numbers = new[] { "whatsapp:" + SecondNumber } },
        });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
    }

    private async Task<WireMock.RequestMessage> WaitForRequestAsync(string path)
    {
        // A guard against hanging, not a speed requirement.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (twilio.LogEntries.FirstOrDefault(e => e.RequestMessage.Path == path) is { } entry) return (WireMock.RequestMessage)entry.RequestMessage;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Twilio received nothing at {path}.");
            await Task.Delay(25);
        }
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>The real spool, noting what webhooks hand it.</summary>
    private sealed class RecordingSpool(Crm.Connectors.Spool.IInboundSpool inner, System.Collections.Concurrent.ConcurrentQueue<object> accepted)
        : Crm.Connectors.Spool.IInboundSpool
    {
        public async Task AcceptAsync<T>(T message, CancellationToken ct) where T : class
        {
            await inner.AcceptAsync(message, ct);
            accepted.Enqueue(message);
        }
    }

    /// <summary>Every message any logger writes, formatted, with its exception.</summary>
    private sealed class LogRecorder : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> messages = new();

        public IReadOnlyList<string> Messages => messages.ToList();

        public ILogger CreateLogger(string categoryName) => new Recorder(this);

        public void Dispose() { }

        private sealed class Recorder(LogRecorder owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => owner.messages.Enqueue(formatter(state, exception) + " " + exception + " " + JsonSerializer.Serialize(state?.ToString()));
        }
    }
}
