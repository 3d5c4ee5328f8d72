using System.Text.Json;
using Crm.Connectors.Connections;
using Crm.Connectors.WeChat;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Crm.Connectors.Tests.WeChat;

/// <summary>What the admin's settings for a WeChat account become, on creation and on later changes.</summary>
public sealed class WeChatConnectionTypeTests : IAsyncLifetime
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"crm-wechat-{Guid.NewGuid():N}.db");
    private ServiceProvider provider = null!;

    private IChannelConnectionType Type => provider.GetServices<IChannelConnectionType>().Single(t => t.Type == ChannelConnectionTypes.WeChat);

    private ConnectionSecrets Secrets => provider.GetRequiredService<ConnectionSecrets>();

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().Build();
        provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSqliteChannelConnections($"Data Source={file}")
            .AddWeChatConnector(configuration)
            .BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);
    }

    private StoredSettings? Apply(object input, ChannelConnection? existing, out Dictionary<string, string[]> errors)
    {
        errors = [];
        return Type.Apply(JsonSerializer.SerializeToElement(input), existing, errors);
    }

    private ChannelConnection Created(StoredSettings settings)
        => provider.GetRequiredService<ChannelConnections>().Compose(Guid.NewGuid(), Guid.NewGuid(), ChannelConnectionTypes.WeChat, "Test", true, null,
            DateTimeOffset.UtcNow, settings);

    private static readonly object Complete = new
    {
        appId = "wx0123456789abcdef", appSecret = "app-secret", token = "serverToken1",
        encodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", originalId = "gh_0123456789ab",
    };

    [Fact]
    public void Fetching_unionids_is_off_by_default_turned_on_by_a_boolean_or_seeded_text_and_kept_by_later_changes()
    {
        Assert.False(WeChatAccount.SettingsOf(Created(Apply(Complete, null, out _)!)).FetchUnionId);

        var on = Created(Apply(new { appId = "wx0123456789abcdef", appSecret = "s", token = "serverToken1", originalId = "gh_0123456789ab", fetchUnionId = true }, null, out _)!);
        Assert.True(WeChatAccount.SettingsOf(on).FetchUnionId);
        Assert.True(((WeChatSettingsView)Type.View(on)).FetchUnionId);
        Assert.True(WeChatAccount.SettingsOf(Created(Apply(new { originalId = "gh_0123456789ab" }, on, out _)!)).FetchUnionId);
        Assert.False(WeChatAccount.SettingsOf(Created(Apply(new { fetchUnionId = "false" }, on, out _)!)).FetchUnionId);

        Assert.Null(Apply(new { fetchUnionId = "maybe" }, on, out var errors));
        Assert.Equal(["wechat.fetchUnionId"], errors.Keys);
    }

    [Fact]
    public void A_new_account_keeps_its_secrets_encrypted_and_answers_for_its_original_id()
    {
        var stored = Apply(Complete, null, out var errors);

        Assert.Empty(errors);
        Assert.Equal(["gh_0123456789ab"], stored!.Senders);
        Assert.DoesNotContain("app-secret", stored.SettingsJson + stored.ProtectedSecrets);
        Assert.Equal(new WeChatConnectionSecrets("app-secret", "serverToken1", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"),
            Secrets.Unprotect<WeChatConnectionSecrets>(stored.ProtectedSecrets));
    }

    [Fact]
    public void A_change_that_names_no_secret_keeps_them_all()
    {
        var existing = Created(Apply(Complete, null, out _)!);

        var changed = Apply(new { originalId = "gh_renamedaccount" }, existing, out var errors);

        Assert.Empty(errors);
        Assert.Equal(["gh_renamedaccount"], changed!.Senders);
        Assert.Equal(Secrets.Unprotect<WeChatConnectionSecrets>(existing.ProtectedSecrets), Secrets.Unprotect<WeChatConnectionSecrets>(changed.ProtectedSecrets));
    }

    [Fact]
    public void An_empty_aes_key_puts_the_account_back_in_plain_mode()
    {
        var existing = Created(Apply(Complete, null, out _)!);

        var changed = Created(Apply(new { encodingAesKey = "" }, existing, out _)!);

        Assert.Null(Secrets.Unprotect<WeChatConnectionSecrets>(changed.ProtectedSecrets).EncodingAesKey);
        Assert.False(WeChatAccount.SettingsOf(changed).SafeMode);
        Assert.Null(WeChatAccount.Open(changed, Secrets).Crypt);
    }

    [Fact]
    public void A_new_account_needs_its_app_id_secret_token_and_original_id()
    {
        Assert.Null(Apply(new { encodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C" }, null, out var errors));

        Assert.Equal(["wechat.appId", "wechat.appSecret", "wechat.originalId", "wechat.token"], errors.Keys.Order());
    }

    public async Task DisposeAsync()
    {
        await provider.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(file);
    }
}
