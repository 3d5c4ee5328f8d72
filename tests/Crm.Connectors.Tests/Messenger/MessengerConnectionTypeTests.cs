using System.Text.Json;
using Crm.Connectors.Connections;
using Crm.Connectors.Messenger;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Crm.Connectors.Tests.Messenger;

public sealed class MessengerConnectionTypeTests
{
    private readonly ConnectionSecrets secrets = new(new EphemeralDataProtectionProvider());
    private readonly MessengerConnectionType type;

    public MessengerConnectionTypeTests()
    {
        var connections = new ChannelConnections(null!, secrets, TimeProvider.System, Options.Create(new ChannelConnectionOptions()));
        var client = new MessengerClient(new HttpClient(), Options.Create(new MessengerOptions()), TimeProvider.System, NullLogger<MessengerClient>.Instance);
        type = new MessengerConnectionType(connections, client);
    }

    private static JsonElement Input(object settings) => JsonSerializer.SerializeToElement(settings);

    private static readonly object Complete = new { pageId = "1234567890", appSecret = "app-secret-1", pageAccessToken = "EAAtoken1", verifyToken = "verify-1" };

    private ChannelConnection Stored(StoredSettings settings)
        => new(Guid.NewGuid(), Guid.NewGuid(), type.Type, "Page", true, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, settings.Senders,
            settings.SettingsJson, settings.ProtectedSecrets);

    [Fact]
    public void A_complete_page_is_stored_with_its_page_as_sender_and_meta_s_api_by_default()
    {
        var errors = new Dictionary<string, string[]>();

        var settings = type.Apply(Input(Complete), null, errors)!;
        var account = MessengerConnectionType.Open(Stored(settings), secrets);

        Assert.Empty(errors);
        Assert.Equal(["1234567890"], settings.Senders);
        Assert.Equal(new MessengerConnectionSecrets("app-secret-1", "EAAtoken1", "verify-1"), account.Secrets);
        Assert.Equal(new Uri("https://graph.facebook.com/v21.0/me/messages"), account.Graph("me/messages"));
    }

    [Fact]
    public void No_secret_is_stored_in_the_clear_nor_shown()
    {
        var connection = Stored(type.Apply(Input(Complete), null, [])!);

        var shown = JsonSerializer.Serialize(type.View(connection));

        foreach (var secret in new[] { "app-secret-1", "EAAtoken1", "verify-1" })
        {
            Assert.DoesNotContain(secret, connection.SettingsJson);
            Assert.DoesNotContain(secret, connection.ProtectedSecrets);
            Assert.DoesNotContain(secret, shown);
        }
        Assert.Contains("\"AppSecretSet\":true", shown);
    }

    [Fact]
    public void Every_missing_field_is_named_under_messenger()
    {
        var errors = new Dictionary<string, string[]>();

        Assert.Null(type.Apply(Input(new { pageId = "my page" }), null, errors));
        Assert.Equal(["messenger.appSecret", "messenger.pageAccessToken", "messenger.pageId", "messenger.verifyToken"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("graphVersion", "21")]
    [InlineData("apiBaseUrl", "ftp://graph.example.com")]
    [InlineData("pageAccessToken", "EAA token with spaces")]
    public void A_malformed_field_is_refused(string field, string value)
    {
        var errors = new Dictionary<string, string[]>();
        var input = JsonSerializer.SerializeToElement(Complete).Deserialize<Dictionary<string, string>>()!;
        input[field] = value;

        Assert.Null(type.Apply(Input(input), null, errors));
        Assert.Equal([$"messenger.{field}"], errors.Keys);
    }

    [Fact]
    public void Secrets_not_given_on_an_update_are_kept_and_a_given_one_replaced()
    {
        var before = Stored(type.Apply(Input(Complete), null, [])!);
        var errors = new Dictionary<string, string[]>();

        var after = type.Apply(Input(new { pageAccessToken = "EAAtoken2", graphVersion = "v22.0" }), before, errors)!;
        var account = MessengerConnectionType.Open(Stored(after), secrets);

        Assert.Empty(errors);
        Assert.Equal(new MessengerConnectionSecrets("app-secret-1", "EAAtoken2", "verify-1"), account.Secrets);
        Assert.Equal(("1234567890", "v22.0"), (account.PageId, account.GraphVersion));
    }

    [Fact]
    public void The_webhook_url_names_the_connection()
    {
        var id = Guid.NewGuid();

        Assert.Equal($"/webhooks/messenger/{id}", type.WebhookPaths(id)["webhook"]);
    }
}
