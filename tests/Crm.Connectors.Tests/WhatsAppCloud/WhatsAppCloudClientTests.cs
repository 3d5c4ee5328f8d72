using System.Text.Json.Nodes;
using Crm.Connectors.Outbound;
using Crm.Connectors.WhatsAppCloud;
using Crm.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace Crm.Connectors.Tests.WhatsAppCloud;

/// <summary>The Graph API client against WireMock: what Meta's answers mean for a send, and media read in two steps.</summary>
public sealed class WhatsAppCloudClientTests : IDisposable
{
    private readonly WireMockServer meta = WireMockServer.Start();
    private readonly HttpClient http = new();
    private readonly WhatsAppCloudClient client;
    private readonly WhatsAppCloudAccount account;
    private const string MessagesPath = $"/v21.0/{CloudApiExamples.PhoneNumberId}/messages";

    public WhatsAppCloudClientTests()
    {
        client = new WhatsAppCloudClient(http, Options.Create(new WhatsAppCloudOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }),
            TimeProvider.System, NullLogger<WhatsAppCloudClient>.Instance);
        account = WhatsAppCloudWebhookTests.Account with { ApiBaseUrl = new Uri(meta.Url!) };
    }

    private static readonly JsonObject Hello = new() { ["messaging_product"] = "whatsapp", ["to"] = "16505551234", ["type"] = "text", ["text"] = new JsonObject { ["body"] = "hi" } };

    private Task<SendResult> SendAsync() => client.SendAsync(account, (JsonObject)Hello.DeepClone(), DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);

    private static IResponseBuilder Answer(int status, string body)
        => Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);

    private void Answers(int status, string body) => meta.Given(Request.Create().WithPath(MessagesPath).UsingPost()).RespondWith(Answer(status, body));

    private static string Error(int code, string message) => $$$"""{"error":{"message":"(#{{{code}}}) {{{message}}}","type":"OAuthException","code":{{{code}}},"fbtrace_id":"AbC"}}""";

    private int Sends => meta.LogEntries.Count(e => e.RequestMessage.Path == MessagesPath);

    [Fact]
    public async Task An_accepted_send_is_the_wamid_meta_answered_and_carries_the_bearer_token()
    {
        Answers(200, """{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]}""");

        var result = await SendAsync();

        Assert.Equal((SendOutcome.Accepted, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"), (result.Outcome, result.ChannelMessageId));
        Assert.Equal("Bearer token", meta.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task Metas_momentary_failure_is_tried_again_inline_and_then_accepted()
    {
        meta.Given(Request.Create().WithPath(MessagesPath).UsingPost()).InScenario("busy").WillSetStateTo("recovered")
            .RespondWith(Answer(500, Error(131000, "Something went wrong")));
        meta.Given(Request.Create().WithPath(MessagesPath).UsingPost()).InScenario("busy").WhenStateIs("recovered")
            .RespondWith(Answer(200, """{"messages":[{"id":"wamid.second-try"}]}"""));

        var result = await SendAsync();

        Assert.Equal((SendOutcome.Accepted, "wamid.second-try"), (result.Outcome, result.ChannelMessageId));
        Assert.Equal(2, Sends);
    }

    [Fact]
    public async Task A_rate_limit_is_left_for_later_without_hammering_meta()
    {
        Answers(400, Error(131056, "(Business Account, Consumer Account) pair rate limit hit"));

        var result = await SendAsync();

        Assert.Equal((SendOutcome.Unavailable, SendFailures.RateLimited), (result.Outcome, result.ErrorCode));
        Assert.Equal("Meta error 131056: (Business Account, Consumer Account) pair rate limit hit", result.Reason);
        Assert.Equal(1, Sends);
    }

    [Theory]
    [InlineData(400, 131047, "Re-engagement message", SendFailures.OutsideReplyWindow)]
    [InlineData(400, 131026, "Message Undeliverable", SendFailures.RecipientUnavailable)]
    [InlineData(401, 190, "Error validating access token: Session has expired", SendFailures.CredentialsRejected)]
    [InlineData(403, 200, "Permissions error", SendFailures.NotPermitted)]
    [InlineData(404, 132001, "Template name does not exist in the translation", SendFailures.TemplateRejected)]
    [InlineData(400, 100, "Invalid parameter", "100")]
    public async Task A_refusal_is_crms_reason_with_metas_code_and_words(int status, int code, string message, string reason)
    {
        Answers(status, Error(code, message));

        var result = await SendAsync();

        Assert.Equal((SendOutcome.Refused, reason, $"Meta error {code}: {message}"), (result.Outcome, result.ErrorCode, result.Reason));
        Assert.Equal(1, Sends);
    }

    [Fact]
    public async Task An_accepted_answer_without_a_wamid_is_not_called_a_refusal()
    {
        Answers(200, """{"messaging_product":"whatsapp"}""");

        await Assert.ThrowsAsync<InvalidDataException>(SendAsync);
    }

    [Fact]
    public async Task Media_is_its_address_first_then_its_bytes_with_the_same_token()
    {
        meta.Given(Request.Create().WithPath("/v21.0/1003383421387256").UsingGet().WithHeader("Authorization", "Bearer token"))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody($$"""{"messaging_product":"whatsapp","url":"{{meta.Url}}/lookaside/1003383421387256","mime_type":"image/jpeg","file_size":3,"id":"1003383421387256"}"""));
        meta.Given(Request.Create().WithPath("/lookaside/1003383421387256").UsingGet().WithHeader("Authorization", "Bearer token"))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/octet-stream").WithBody([1, 2, 3]));

        await using var media = await client.OpenMediaAsync(account, "1003383421387256", CancellationToken.None);
        using var bytes = new MemoryStream();
        await media!.Content.CopyToAsync(bytes);

        Assert.Equal("image/jpeg", media.ContentType);
        Assert.Equal([1, 2, 3], bytes.ToArray());
    }

    [Fact]
    public async Task Media_meta_no_longer_has_is_none()
    {
        meta.Given(Request.Create().WithPath("/v21.0/1003383421387999").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(400).WithBody(Error(100, "Unsupported get request.")));

        Assert.Null(await client.OpenMediaAsync(account, "1003383421387999", CancellationToken.None));
    }

    [Fact]
    public async Task Media_meta_is_too_slow_for_is_unreachable_not_an_error_of_crms()
    {
        meta.Given(Request.Create().WithPath("/v21.0/1003383421387256").UsingGet())
            .RespondWith(Response.Create().WithDelay(TimeSpan.FromSeconds(2)).WithBody("{}"));
        http.Timeout = TimeSpan.FromMilliseconds(200);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.OpenMediaAsync(account, "1003383421387256", CancellationToken.None));
    }

    public void Dispose()
    {
        meta.Stop();
        http.Dispose();
    }
}
