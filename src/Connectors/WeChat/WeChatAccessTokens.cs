using System.Collections.Concurrent;
using System.Text.Json;
using Crm.Connectors.Outbound;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Crm.Connectors.WeChat;

/// <summary>An access token, or why none could be had (a send's result: refused or unavailable).</summary>
public sealed record TokenLease(string? Token, SendResult? Failure);

/// <summary>The outcome of an API call made with an access token: WeChat's answer when it succeeded, else the failure as a send sees it.</summary>
public sealed record WeChatCall(WeChatAnswer? Answer, SendResult? Failure);

/// <summary>
/// WeChat access tokens, one per AppID, shared by every process of the deployment (<see cref="IWeChatTokenStore"/>):
/// WeChat caps how many a day an account may fetch, and each new one ends the previous one's life (after 5 minutes),
/// so processes that each fetched their own would keep invalidating each other. A token is renewed
/// <see cref="WeChatOptions.TokenRefreshMargin"/> before it expires, and once when WeChat says it is no longer valid.
/// </summary>
public sealed class WeChatAccessTokens(IWeChatTokenStore store, WeChatApiClient api, IOptions<WeChatOptions> options, ILogger<WeChatAccessTokens> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> fetching = new(StringComparer.Ordinal);

    /// <summary>The cached token, or a newly fetched one; only one fetch per AppID at a time in this process.</summary>
    public async Task<TokenLease> GetAsync(WeChatAccount account, CancellationToken ct)
    {
        try
        {
            if (await store.GetAsync(account.AppId, ct) is { } cached) return new TokenLease(cached, null);
            var gate = fetching.GetOrAdd(account.AppId, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(ct);
            try
            {
                if (await store.GetAsync(account.AppId, ct) is { } fetchedMeanwhile) return new TokenLease(fetchedMeanwhile, null);
                return await FetchAsync(account, ct);
            }
            finally
            {
                gate.Release();
            }
        }
        catch (Exception error) when (error is RedisException or RedisTimeoutException)
        {
            // Nothing was sent: the send is tried again later rather than fetching a token that would invalidate the others' one.
            return new TokenLease(null, SendResult.Unavailable(null, $"The shared WeChat access-token cache cannot be reached: {error.Message}"));
        }
        catch (Exception error) when (error is HttpRequestException or InvalidDataException || (error is TaskCanceledException && !ct.IsCancellationRequested))
        {
            // No token, so nothing was sent, whatever happened to the token request: the send may safely be tried again later.
            return new TokenLease(null, SendResult.Unavailable(null, $"Could not get an access token from WeChat: {error.Message}"));
        }
    }

    /// <summary>Fetches a new token from WeChat and shares it; the failure when WeChat refuses (wrong secret, IP not whitelisted…).</summary>
    public async Task<TokenLease> FetchAsync(WeChatAccount account, CancellationToken ct)
    {
        var answer = await api.FetchTokenAsync(account, ct);
        if (!answer.Ok) return new TokenLease(null, answer.Failure());
        var token = WeChatApiClient.Text(answer.Body, "access_token")
                    ?? throw new InvalidDataException("WeChat issued no access_token in its answer.");
        var expiresIn = answer.Body.TryGetProperty("expires_in", out var seconds) && seconds.ValueKind == JsonValueKind.Number && seconds.TryGetInt32(out var value)
            ? TimeSpan.FromSeconds(value)
            : TimeSpan.FromHours(2);
        // Kept until shortly before WeChat's expiry, so the next send fetches a new one in time; at least briefly, whatever WeChat said.
        var keepFor = expiresIn - options.Value.TokenRefreshMargin;
        if (keepFor < TimeSpan.FromSeconds(30)) keepFor = expiresIn / 2 > TimeSpan.Zero ? expiresIn / 2 : TimeSpan.FromSeconds(1);
        await store.SetAsync(account.AppId, token, keepFor, ct);
        logger.LogInformation("Fetched a WeChat access token for AppID {AppId}, valid for {ExpiresIn}", account.AppId, expiresIn);
        return new TokenLease(token, null);
    }

    /// <summary>Forgets a token WeChat refused, unless another process has replaced it already.</summary>
    public Task ForgetAsync(WeChatAccount account, string token, CancellationToken ct) => store.ForgetAsync(account.AppId, token, ct);

    /// <summary>
    /// Calls WeChat with a token; when WeChat says the token is stale (40001, 42001, 40014) the token is forgotten
    /// (unless another process has replaced it already), a new one is had, and the call is made once more: a stale
    /// token's call did nothing, so repeating it cannot send twice.
    /// </summary>
    public async Task<WeChatCall> CallAsync(WeChatAccount account, Func<string, Task<WeChatAnswer>> call, CancellationToken ct)
    {
        var lease = await GetAsync(account, ct);
        if (lease.Token is not { } token) return new WeChatCall(null, lease.Failure);
        var answer = await call(token);
        if (answer.HttpOk && WeChatErrors.IsStaleToken(answer.ErrCode))
        {
            logger.LogInformation("WeChat said the access token of AppID {AppId} is no longer valid ({ErrCode}); fetching a new one", account.AppId, answer.ErrCode);
            try { await ForgetAsync(account, token, ct); }
            catch (Exception error) when (error is RedisException or RedisTimeoutException) { return new WeChatCall(null, SendResult.Unavailable(null, $"The shared WeChat access-token cache cannot be reached: {error.Message}")); }
            lease = await GetAsync(account, ct);
            if (lease.Token is not { } renewed) return new WeChatCall(null, lease.Failure);
            answer = await call(renewed);
        }
        return answer.Ok ? new WeChatCall(answer, null) : new WeChatCall(answer, answer.Failure());
    }
}

/// <summary>Where access tokens are shared: Redis in Distributed mode (every process), memory in Embedded mode (one process).</summary>
public interface IWeChatTokenStore
{
    Task<string?> GetAsync(string appId, CancellationToken ct);

    Task SetAsync(string appId, string token, TimeSpan keepFor, CancellationToken ct);

    /// <summary>Forgets <paramref name="token"/> only if it is still the one kept: a newer one another process fetched stays.</summary>
    Task ForgetAsync(string appId, string token, CancellationToken ct);
}

public sealed class MemoryWeChatTokenStore(TimeProvider clock) : IWeChatTokenStore
{
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> tokens = new(StringComparer.Ordinal);

    public Task<string?> GetAsync(string appId, CancellationToken ct)
        => Task.FromResult(tokens.TryGetValue(appId, out var kept) && kept.Until > clock.GetUtcNow() ? kept.Token : null);

    public Task SetAsync(string appId, string token, TimeSpan keepFor, CancellationToken ct)
    {
        tokens[appId] = (token, clock.GetUtcNow() + keepFor);
        return Task.CompletedTask;
    }

    public Task ForgetAsync(string appId, string token, CancellationToken ct)
    {
        if (tokens.TryGetValue(appId, out var kept) && kept.Token == token) tokens.TryRemove(new KeyValuePair<string, (string, DateTimeOffset)>(appId, kept));
        return Task.CompletedTask;
    }
}

/// <summary>Tokens as Redis strings that expire when the token should be renewed; the key names the AppID only.</summary>
public sealed class RedisWeChatTokenStore(IConnectionMultiplexer redis) : IWeChatTokenStore
{
    private static RedisKey Key(string appId) => $"crm:wechat:access-token:{appId}";

    public async Task<string?> GetAsync(string appId, CancellationToken ct) => await redis.GetDatabase().StringGetAsync(Key(appId));

    public Task SetAsync(string appId, string token, TimeSpan keepFor, CancellationToken ct)
        => redis.GetDatabase().StringSetAsync(Key(appId), token, keepFor);

    public async Task ForgetAsync(string appId, string token, CancellationToken ct)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(Key(appId), token));
        _ = transaction.KeyDeleteAsync(Key(appId));
        await transaction.ExecuteAsync();
    }
}
