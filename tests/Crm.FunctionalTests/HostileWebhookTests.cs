using Crm.Inbox.Apis;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Crm.Connectors.Twilio;
using Crm.Inbox.Timelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// What arrives at the webhook when it is not Twilio, or Twilio at its edges: every answer is a 4xx with one
/// log line (never a 500), and nothing is stored unless Twilio signed it for one of our numbers.
/// </summary>
public sealed class HostileWebhookTests : IAsyncLifetime
{
    private static readonly string WhatsAppPath = CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp");
    private const string SecondBusinessNumber = "+14155550999";

    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly WebhookLogs logs = new();
    private CrmApplication app = null!;
    private HttpClient agent = null!;
    private AgentFeed feed = null!;

    public async Task InitializeAsync()
    {
        app = new CrmApplication(twilio,
            new Dictionary<string, string?> { [$"{CrmApplication.Seed}:Numbers:1"] = "whatsapp:" + SecondBusinessNumber },
            testServices: services => services.AddSingleton<ILoggerProvider>(logs));
        agent = await app.SignInAsync("ann");
        feed = await app.ConnectAgentAsync(agent);
        logs.Clear();
    }

    public static TheoryData<string> UnreadableForms() => new()
    {
        "From=whatsapp%3A%2B14155550100&Body=a%00b",
        "From=whatsapp%3A%2B14155550100&Body=a\0b",
        "Bo%00dy=x",
        "Body=%01%02%1b%7f",
        "Body=%ff%fe%c3%28",
        "Body=%zz%",
        "=x&&&=&a",
    };

    [Theory]
    [MemberData(nameof(UnreadableForms))]
    public async Task Hostile_form_values_are_refused_with_a_4xx_and_one_log_line(string body)
    {
        var response = await PostRawAsync("application/x-www-form-urlencoded", Encoding.UTF8.GetBytes(body));

        AssertRefusedWithOneLogLine(response);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_signed_message_with_control_characters_in_its_text_is_kept_as_sent()
    {
        var form = TwilioFakes.WhatsAppText("SMcontrol", "+14155550100", "tab\there, bell\a, escape\u001b, delete\u007f");

        var response = await app.PostFromTwilioAsync(WhatsAppPath, form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var added = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMcontrol");
        Assert.Equal("tab\there, bell\a, escape\u001b, delete\u007f", added.Text);
    }

    /// <summary>The worst case the limits must fit: WhatsApp's 4096 characters, each the longest emoji there is.</summary>
    [Fact]
    public async Task A_signed_message_of_4096_subdivision_flags_is_within_every_limit()
    {
        const string england = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F";
        var text = string.Concat(Enumerable.Repeat(england, 4096));

        var response = await app.PostFromTwilioAsync(WhatsAppPath, TwilioFakes.WhatsAppText("SMflags", "+14155550100", text));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(text, (await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMflags")).Text);
    }

    /// <summary>Twilio does deliver NUL bytes (Chatwoot's Twilio spec strips them); ASP.NET Core's form reader refuses them.</summary>
    [Fact]
    public async Task A_signed_message_with_nul_bytes_is_kept_without_them()
    {
        var response = await app.PostFromTwilioAsync(WhatsAppPath, TwilioFakes.WhatsAppText("SMnul", "+14155550100", "nul\0here\0"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var added = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMnul");
        Assert.Equal("nulhere", added.Text);
    }

    // Each is refused as unreadable (400) before any signature is computed over it, not as unsigned (403).
    [Theory]
    [InlineData("too many fields")]
    [InlineData("an oversized key")]
    [InlineData("an oversized value")]
    public async Task A_form_beyond_twilios_shape_is_refused_with_400_and_one_log_line(string what)
    {
        var body = what switch
        {
            "too many fields" => string.Join('&', Enumerable.Range(0, 5_000).Select(i => $"F{i}=x")),
            "an oversized key" => new string('K', 10_000) + "=x",
            _ => "Body=" + new string('v', 200_000),
        };

        var response = await PostRawAsync("application/x-www-form-urlencoded", Encoding.ASCII.GetBytes(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertRefusedWithOneLogLine(response);
    }

    [Fact]
    public async Task A_body_over_the_webhook_limit_is_refused_with_413()
    {
        var response = await PostRawAsync("application/x-www-form-urlencoded", Encoding.ASCII.GetBytes("Body=" + new string('v', 1_000_000)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        AssertRefusedWithOneLogLine(response);
    }

    [Theory]
    [InlineData("application/json", "{\"Body\":\"hi\"}")]
    [InlineData("text/plain", "Body=hi")]
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"Body\"\r\n\r\nhi\r\n--xyz--\r\n")]
    public async Task A_body_that_is_not_a_url_encoded_form_is_refused_with_415(string contentType, string body)
    {
        var response = await PostRawAsync(contentType, Encoding.UTF8.GetBytes(body));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        AssertRefusedWithOneLogLine(response);
    }

    [Fact]
    public async Task A_signed_message_to_a_number_this_deployment_does_not_own_is_refused_and_not_stored()
    {
        var form = TwilioFakes.WhatsAppText("SMnotours", "+14155550100", "hello stranger");
        form.RemoveAll(f => f.Key == "To");
        form.Add(new("To", "whatsapp:+14155550123"));

        var response = await app.PostFromTwilioAsync(WhatsAppPath, form);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("+14155550123", await response.Content.ReadAsStringAsync());
        AssertRefusedWithOneLogLine(response);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_message_to_a_number_from_the_owned_list_is_accepted_with_it_as_the_business_identity()
    {
        var form = TwilioFakes.WhatsAppText("SMsecond", "+14155550100", "to the other line");
        form.RemoveAll(f => f.Key == "To");
        form.Add(new("To", "whatsapp:" + SecondBusinessNumber));

        Assert.Equal(HttpStatusCode.OK, (await app.PostFromTwilioAsync(WhatsAppPath, form)).StatusCode);
        await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMsecond");
    }

    [Fact]
    public async Task A_mexican_sender_in_both_spellings_is_one_customer_in_one_conversation()
    {
        Assert.Equal(HttpStatusCode.OK, (await app.PostFromTwilioAsync(WhatsAppPath, TwilioFakes.WhatsAppText("SMmx1", "+5215512345678", "hola"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.PostFromTwilioAsync(WhatsAppPath, TwilioFakes.WhatsAppText("SMmx2", "+525512345678", "otra vez"))).StatusCode);

        var first = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMmx1");
        var second = await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMmx2");
        Assert.Equal(first.ConversationId, second.ConversationId);
        var conversation = Assert.Single((await agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);
        Assert.Equal("+525512345678", conversation.CustomerIdentity);
    }

    [Fact]
    public async Task A_sender_known_only_by_a_business_scoped_user_id_is_accepted()
    {
        var form = TwilioFakes.WhatsAppText("SMbsuid", "+14155550100", "no number shown");
        form.RemoveAll(f => f.Key is "From" or "WaId");
        form.Add(new("From", "whatsapp:US.13491208655302741918"));

        Assert.Equal(HttpStatusCode.OK, (await app.PostFromTwilioAsync(WhatsAppPath, form)).StatusCode);

        await feed.MessageAddedAsync(m => m.ChannelMessageId == "SMbsuid");
        var conversation = Assert.Single((await agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);
        Assert.Equal("bsuid:US.13491208655302741918", conversation.CustomerIdentity);
    }

    [Fact]
    public async Task A_signed_status_callback_whose_message_id_cannot_be_twilios_is_refused_with_400()
    {
        const string path = "/webhooks/twilio/status";
        var response = await app.PostFromTwilioAsync(path, TwilioFakes.StatusCallback("SM<img src=x>", "delivered"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertRefusedWithOneLogLine(response);
    }

    private async Task<HttpResponseMessage> PostRawAsync(string contentType, byte[] body, string? signature = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, WhatsAppPath) { Content = content };
        if (signature is not null) request.Headers.Add("X-Twilio-Signature", signature);
        return await app.CreateClient().SendAsync(request);
    }

    private void AssertRefusedWithOneLogLine(HttpResponseMessage response)
    {
        var written = string.Join("\n", logs.Entries(LogLevel.Warning).Select(e => $"{e.Level} {e.Category}: {e.Message}"));
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"Answered {(int)response.StatusCode}; logged:\n{written}");
        Assert.True(logs.Entries(LogLevel.Error).Count == 0, $"Logged errors:\n{written}");
        Assert.Single(logs.Entries(LogLevel.Warning), entry => entry.Category.EndsWith("TwilioWebhooksApi", StringComparison.Ordinal));
    }

    private async Task AssertNothingStoredAsync()
        => Assert.Empty((await agent.GetFromJsonAsync<ConversationsApi.ConversationPage>("/api/conversations"))!.Items);

    public async Task DisposeAsync()
    {
        await feed.DisposeAsync();
        await app.DisposeAsync();
        twilio.Stop();
    }
}

/// <summary>Every log entry the application writes, so tests can count what a refusal logged.</summary>
public sealed class WebhookLogs : ILoggerProvider
{
    private readonly List<(string Category, LogLevel Level, string Message)> entries = [];

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries(LogLevel atLeast)
    {
        lock (entries) return entries.Where(e => e.Level >= atLeast).ToList();
    }

    public void Clear()
    {
        lock (entries) entries.Clear();
    }

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public void Dispose() { }

    private sealed class Collector(WebhookLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            lock (logs.entries) logs.entries.Add((category, logLevel, formatter(state, exception) + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")));
        }
    }
}
