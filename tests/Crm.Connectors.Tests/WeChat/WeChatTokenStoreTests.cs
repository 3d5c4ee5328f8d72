using Crm.Connectors.Tests.Outbound;
using Crm.Connectors.WeChat;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace Crm.Connectors.Tests.WeChat;

/// <summary>What every place access tokens are shared in must do; each test uses its own AppID, so runs never see each other's tokens.</summary>
public abstract class WeChatTokenStoreContract
{
    protected readonly ManualClock Clock = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));

    protected abstract IWeChatTokenStore CreateStore();

    protected readonly List<string> UsedAppIds = [];

    protected string NewAppId()
    {
        var appId = "wx" + Guid.NewGuid().ToString("N")[..16];
        UsedAppIds.Add(appId);
        return appId;
    }

    [SkippableFact]
    public async Task A_kept_token_is_read_back_for_its_app_id_only()
    {
        var store = CreateStore();
        var appId = NewAppId();

        await store.SetAsync(appId, "TOKEN_A", TimeSpan.FromMinutes(5), default);

        Assert.Equal("TOKEN_A", await store.GetAsync(appId, default));
        Assert.Null(await store.GetAsync(NewAppId(), default));
    }

    [SkippableFact]
    public async Task Forgetting_a_refused_token_removes_it()
    {
        var store = CreateStore();
        var appId = NewAppId();
        await store.SetAsync(appId, "TOKEN_A", TimeSpan.FromMinutes(5), default);

        await store.ForgetAsync(appId, "TOKEN_A", default);

        Assert.Null(await store.GetAsync(appId, default));
    }

    [SkippableFact]
    public async Task Forgetting_a_refused_token_leaves_a_newer_one_another_process_kept()
    {
        var store = CreateStore();
        var appId = NewAppId();
        await store.SetAsync(appId, "TOKEN_NEW", TimeSpan.FromMinutes(5), default);

        await store.ForgetAsync(appId, "TOKEN_OLD", default);

        Assert.Equal("TOKEN_NEW", await store.GetAsync(appId, default));
    }

    [SkippableFact]
    public async Task A_second_process_reuses_the_token_the_first_one_fetched()
    {
        var store = CreateStore();
        using var wechat = WireMockServer.Start();
        wechat.Given(Request.Create().WithPath("/cgi-bin/token").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"access_token":"SHARED","expires_in":7200}"""));
        var account = new WeChatAccount(Guid.NewGuid(), Guid.NewGuid(), NewAppId(), "secret", "token", null, "gh_test", new Uri(wechat.Url!));

        var first = await Tokens(store).GetAsync(account, default);
        var second = await Tokens(store).GetAsync(account, default);

        Assert.Equal(("SHARED", "SHARED"), (first.Token, second.Token));
        Assert.Single(wechat.LogEntries);
    }

    private WeChatAccessTokens Tokens(IWeChatTokenStore store)
    {
        var options = Options.Create(new WeChatOptions());
        var api = new WeChatApiClient(new HttpClient(), options, Clock, NullLogger<WeChatApiClient>.Instance);
        return new WeChatAccessTokens(store, api, options, NullLogger<WeChatAccessTokens>.Instance);
    }
}

public sealed class MemoryWeChatTokenStoreTests : WeChatTokenStoreContract
{
    protected override IWeChatTokenStore CreateStore() => new MemoryWeChatTokenStore(Clock);

    [Fact]
    public async Task A_token_is_not_read_once_it_is_due_for_renewal()
    {
        var store = CreateStore();
        await store.SetAsync("wx0123456789abcdef", "TOKEN_A", TimeSpan.FromMinutes(5), default);

        Clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Null(await store.GetAsync("wx0123456789abcdef", default));
    }
}

/// <summary>Against the Redis at CRM_TEST_REDIS (default localhost:6379, as the functional tests); skipped when none answers.</summary>
public sealed class RedisWeChatTokenStoreTests : WeChatTokenStoreContract, IDisposable
{
    private static readonly Lazy<ConnectionMultiplexer?> Redis = new(() =>
    {
        var options = ConfigurationOptions.Parse(Environment.GetEnvironmentVariable("CRM_TEST_REDIS") ?? "localhost:6379");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2000;
        var redis = ConnectionMultiplexer.Connect(options);
        return redis.IsConnected ? redis : null;
    });

    protected override IWeChatTokenStore CreateStore()
    {
        Skip.If(Redis.Value is null, "No Redis answers at CRM_TEST_REDIS (default localhost:6379).");
        return new RedisWeChatTokenStore(Redis.Value!);
    }

    [SkippableFact]
    public async Task A_token_expires_in_redis_when_it_is_due_for_renewal()
    {
        var store = CreateStore();
        var appId = NewAppId();

        await store.SetAsync(appId, "TOKEN_A", TimeSpan.FromMinutes(5), default);

        var ttl = await Redis.Value!.GetDatabase().KeyTimeToLiveAsync($"crm:wechat:access-token:{appId}");
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    public void Dispose()
    {
        if (Redis.Value is { } redis)
            foreach (var appId in UsedAppIds) redis.GetDatabase().KeyDelete($"crm:wechat:access-token:{appId}");
    }
}
