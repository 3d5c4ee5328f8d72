using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Connectors.Connections;
using Crm.Connectors.Messenger;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace Crm.Connectors.Tests.Messenger;

/// <summary>What Crm asks of the Graph API for a page: sends, the connection test and customers' names, with WireMock as Meta.</summary>
public sealed class MessengerGraphApiTests : IDisposable
{
    private const string Page = "1234567890";
    private const string Psid = "24000000000000001";
    private const string PageToken = "EAAtestpagetoken";
    private const string SendPath = "/v21.0/me/messages";
    private readonly WireMockServer meta = WireMockServer.Start();
    private readonly string databaseFile = Path.Combine(Path.GetTempPath(), $"crm-messenger-{Guid.NewGuid():N}.db");
    private readonly ServiceProvider provider;

    public MessengerGraphApiTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Crm:Messenger:RetryBaseDelay"] = "00:00:00.010",
            ["Crm:Messenger:MaxSendAttempts"] = "3",
            ["Crm:Messenger:ProfileLookupBudget"] = "00:00:00.500",
        }).Build();
        provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSqliteChannelConnections($"Data Source={databaseFile}")
            .AddMessengerConnector(configuration)
            .BuildServiceProvider();
    }

    private MessengerSender Sender => provider.GetServices<IChannelSender>().OfType<MessengerSender>().Single();

    private MessengerConnectionType Type => provider.GetServices<IChannelConnectionType>().OfType<MessengerConnectionType>().Single();

    private ChannelConnection Connection()
    {
        var errors = new Dictionary<string, string[]>();
        var settings = Type.Apply(JsonSerializer.SerializeToElement(new
        {
            pageId = Page, appSecret = "app-secret", pageAccessToken = PageToken, verifyToken = "verify-me", apiBaseUrl = meta.Url,
        }), null, errors) ?? throw new InvalidOperationException(string.Join(" ", errors.SelectMany(e => e.Value)));
        return provider.GetRequiredService<ChannelConnections>().Compose(Guid.NewGuid(), Guid.NewGuid(), Type.Type, "Page", true, null, DateTimeOffset.UtcNow, settings);
    }

    private static SendOutboundMessage Command(string text = "hello", string? tag = null, OutboundTemplate? template = null)
        => new(Guid.NewGuid(), Guid.NewGuid(), Channels.Messenger, Psid, text, Page, 1, DateTimeOffset.UtcNow.AddMinutes(5))
        {
            Tag = tag,
            Template = template,
        };

    private void MetaAnswers(int status, object body)
        => meta.Given(Request.Create().WithPath(SendPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(JsonSerializer.Serialize(body)));

    private static object GraphError(int code, int? subcode, string message)
        => new { error = new { message, type = "OAuthException", code, error_subcode = subcode, fbtrace_id = "AbCdEf" } };

    private JsonNode SentBody() => JsonNode.Parse(meta.LogEntries.Single(e => e.RequestMessage.Path == SendPath).RequestMessage.Body!)!;

    [Fact]
    public async Task A_reply_is_sent_as_a_response_with_crm_s_metadata_and_the_page_token_in_the_header()
    {
        MetaAnswers(200, new { recipient_id = Psid, message_id = "m_sent1" });
        var command = Command("Thanks, café's open");

        var result = await Sender.SendAsync(Connection(), command, CancellationToken.None);

        Assert.Equal(SendResult.Accepted("m_sent1", MessageStatuses.Sent), result);
        var expected = JsonNode.Parse($$$"""
            {"recipient":{"id":"{{{Psid}}}"},"messaging_type":"RESPONSE","message":{"text":"Thanks, café's open","metadata":"crm:{{{command.MessageId}}}"}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, SentBody()), SentBody().ToJsonString());
        var request = meta.LogEntries.Single().RequestMessage;
        Assert.Equal($"Bearer {PageToken}", request.Headers!["Authorization"].Single());
        Assert.DoesNotContain(PageToken, request.Url);
    }

    [Fact]
    public async Task A_reply_the_inbox_tagged_human_agent_is_sent_as_a_message_tag()
    {
        MetaAnswers(200, new { recipient_id = Psid, message_id = "m_tagged" });
        var command = Command(tag: MetaMessageTags.HumanAgent);

        await Sender.SendAsync(Connection(), command, CancellationToken.None);

        var expected = JsonNode.Parse($$$"""
            {"recipient":{"id":"{{{Psid}}}"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT","message":{"text":"hello","metadata":"crm:{{{command.MessageId}}}"}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, SentBody()), SentBody().ToJsonString());
    }

    [Fact]
    public async Task A_template_is_refused_without_calling_meta()
    {
        var result = await Sender.SendAsync(Connection(), Command(template: new OutboundTemplate("welcome", "en", new Dictionary<string, string>())), CancellationToken.None);

        Assert.Equal(SendOutcome.Refused, result.Outcome);
        Assert.Equal(SendFailures.TemplateRejected, result.ErrorCode);
        Assert.Equal(MessengerSender.NoTemplates, result.Reason);
        Assert.Empty(meta.LogEntries);
    }

    [Theory]
    [InlineData(10, 2018278, "(#10) This message is sent outside of allowed window.", SendOutcome.Refused, SendFailures.OutsideReplyWindow)]
    [InlineData(10, 2018108, "(#10) This message is sent outside of allowed window. You need News Messaging permission to be able to do it.", SendOutcome.Refused, SendFailures.OutsideReplyWindow)]
    [InlineData(10, 2018065, "(#10) This message is sent outside of allowed window. You need page_messaging_subscriptions permission to be able to do it.", SendOutcome.Refused, SendFailures.OutsideReplyWindow)]
    [InlineData(200, 2018028, "(#200) Cannot message users who are not admins, developers or testers of the app until pages_messaging permission is reviewed and the app is live.", SendOutcome.Refused, SendFailures.NotPermitted)]
    [InlineData(4, 2018022, "Too many send requests to phone numbers", SendOutcome.Unavailable, SendFailures.RateLimited)]
    [InlineData(551, 1545041, "This person isn't available right now.", SendOutcome.Refused, SendFailures.RecipientUnavailable)]
    [InlineData(100, 2018001, "(#100) No matching user found", SendOutcome.Refused, SendFailures.RecipientUnavailable)]
    [InlineData(190, null, "Invalid OAuth access token.", SendOutcome.Refused, SendFailures.CredentialsRejected)]
    [InlineData(613, null, "Calls to this API have exceeded the rate limit.", SendOutcome.Unavailable, SendFailures.RateLimited)]
    [InlineData(1200, null, "Temporary send message failure. Please try again later.", SendOutcome.Unavailable, "1200")]
    [InlineData(100, 2018109, "(#100) Attachment size exceeds allowable limit", SendOutcome.Refused, "100/2018109")]
    public async Task Meta_s_error_codes_become_crm_s_reasons_keeping_meta_s_words(int code, int? subcode, string message, SendOutcome outcome, string reason)
    {
        MetaAnswers(400, GraphError(code, subcode, message));

        var result = await Sender.SendAsync(Connection(), Command(), CancellationToken.None);

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(reason, result.ErrorCode);
        Assert.Equal($"Messenger error {MessengerErrors.CodeOf(code, subcode)}: {message}", result.Reason);
    }

    [Fact]
    public async Task A_server_error_is_tried_again_inline_and_the_second_answer_counts()
    {
        meta.Given(Request.Create().WithPath(SendPath).UsingPost()).InScenario("flaky").WillSetStateTo("failed once")
            .RespondWith(Response.Create().WithStatusCode(500).WithBody("{}"));
        meta.Given(Request.Create().WithPath(SendPath).UsingPost()).InScenario("flaky").WhenStateIs("failed once")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody($$$"""{"recipient_id":"{{{Psid}}}","message_id":"m_second"}"""));

        var result = await Sender.SendAsync(Connection(), Command(), CancellationToken.None);

        Assert.Equal("m_second", result.ChannelMessageId);
        Assert.Equal(2, meta.LogEntries.Count());
    }

    [Fact]
    public async Task Server_errors_on_every_attempt_leave_the_send_for_later()
    {
        meta.Given(Request.Create().WithPath(SendPath).UsingPost()).RespondWith(Response.Create().WithStatusCode(503).WithBody("busy"));

        var result = await Sender.SendAsync(Connection(), Command(), CancellationToken.None);

        Assert.Equal(SendOutcome.Unavailable, result.Outcome);
        Assert.Equal(3, meta.LogEntries.Count());
    }

    [Fact]
    public async Task Testing_the_connection_names_the_page_the_token_belongs_to()
    {
        meta.Given(Request.Create().WithPath("/v21.0/me").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody($$$"""{"id":"{{{Page}}}","name":"Alice's Bakery"}"""));

        var check = await Type.TestAsync(Connection(), CancellationToken.None);

        Assert.True(check.Ok, check.Message);
        Assert.Contains("Alice's Bakery", check.Message);
        var request = meta.LogEntries.Single().RequestMessage;
        Assert.Equal("id,name", string.Join(',', request.Query!["fields"]));
        Assert.Equal($"Bearer {PageToken}", request.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task Testing_a_token_of_another_page_fails_and_says_which_page_it_is()
    {
        meta.Given(Request.Create().WithPath("/v21.0/me").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"id":"555","name":"Someone Else's Page"}"""));

        var check = await Type.TestAsync(Connection(), CancellationToken.None);

        Assert.False(check.Ok);
        Assert.Contains("Someone Else's Page", check.Message);
        Assert.Contains(Page, check.Message);
    }

    [Fact]
    public async Task Testing_an_expired_token_says_what_meta_said()
    {
        meta.Given(Request.Create().WithPath("/v21.0/me").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(400).WithBody(JsonSerializer.Serialize(GraphError(190, 463, "Error validating access token: Session has expired"))));

        var check = await Type.TestAsync(Connection(), CancellationToken.None);

        Assert.False(check.Ok);
        Assert.Contains("Session has expired", check.Message);
    }

    private MessengerProfiles Profiles => provider.GetRequiredService<MessengerProfiles>();

    private MessengerAccount Account(ChannelConnection connection)
        => MessengerConnectionType.Open(connection, provider.GetRequiredService<ChannelConnections>().Secrets);

    [Fact]
    public async Task A_customer_s_name_is_asked_of_meta_once_and_then_remembered()
    {
        meta.Given(Request.Create().WithPath($"/v21.0/{Psid}").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody($$"""{"first_name":"Amélie","last_name":"Poulain","id":"{{Psid}}"}"""));
        var account = Account(Connection());

        var first = await Profiles.NamesAsync(account, [Psid, Psid], CancellationToken.None);
        var again = await Profiles.NamesAsync(account, [Psid], CancellationToken.None);

        Assert.Equal("Amélie Poulain", first[Psid]);
        Assert.Equal("Amélie Poulain", again[Psid]);
        var request = meta.LogEntries.Single().RequestMessage;
        Assert.Equal("first_name,last_name", string.Join(',', request.Query!["fields"]));
        Assert.Equal($"Bearer {PageToken}", request.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task A_customer_meta_gives_no_name_for_is_left_unnamed_and_not_asked_again_at_once()
    {
        meta.Given(Request.Create().WithPath($"/v21.0/{Psid}").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(400).WithBody(JsonSerializer.Serialize(GraphError(100, 2018218, "Insufficient permission to access user profile"))));
        var account = Account(Connection());

        var names = await Profiles.NamesAsync(account, [Psid], CancellationToken.None);
        await Profiles.NamesAsync(account, [Psid], CancellationToken.None);

        Assert.Empty(names);
        Assert.Single(meta.LogEntries);
    }

    [Fact]
    public async Task A_slow_profile_api_costs_the_webhook_no_more_than_the_budget()
    {
        meta.Given(Request.Create().WithPath($"/v21.0/{Psid}").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"first_name":"Late"}""").WithDelay(TimeSpan.FromSeconds(5)));
        var started = System.Diagnostics.Stopwatch.StartNew();

        var names = await Profiles.NamesAsync(Account(Connection()), [Psid], CancellationToken.None);

        Assert.Empty(names);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(4), $"Took {started.Elapsed}.");
    }

    public void Dispose()
    {
        meta.Stop();
        provider.Dispose();
        SqliteConnection.ClearAllPools();
        File.Delete(databaseFile);
    }
}
