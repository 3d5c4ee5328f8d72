using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Crm.Connectors.WeChat;

/// <summary>
/// A follower's UnionID: one person across every Official Account bound to the same WeChat Open Platform account (an OpenID is
/// per account). Messages do not carry it; <c>user/info</c> answers it, once per connection and OpenID (then cached, shared
/// like access tokens). Best effort inside a webhook: a failure, a timeout or an account without UnionIDs is no UnionID and
/// one warning line, never a failed or late acknowledgement.
/// </summary>
public sealed class WeChatUnionIds(IWeChatUnionIdStore store, WeChatAccessTokens tokens, WeChatApiClient api, IOptions<WeChatOptions> options,
    ILogger<WeChatUnionIds> logger)
{
    /// <summary>How long a known UnionID is kept: it never changes for an OpenID.</summary>
    public static readonly TimeSpan KeepFound = TimeSpan.FromDays(30);

    /// <summary>How long "none" is kept: the account may be bound to an Open Platform account later.</summary>
    public static readonly TimeSpan KeepNone = TimeSpan.FromHours(6);

    public async Task<string?> FindAsync(WeChatAccount account, string openId, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.UnionIdTimeout);
        try
        {
            if (await store.GetAsync(account.ConnectionId, openId, timeout.Token) is { } cached) return cached.Length == 0 ? null : cached;
            var call = await tokens.CallAsync(account, token => api.GetUserInfoAsync(account, token, openId, timeout.Token), timeout.Token);
            if (call.Answer is not { } answer)
            {
                logger.LogWarning("No UnionID for a follower of connection {ConnectionId}: {Reason}", account.ConnectionId, call.Failure?.Reason);
                return null;
            }
            var unionId = WeChatApiClient.Text(answer.Body, "unionid");
            if (unionId is not null && (unionId.Length > 128 || unionId.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')))
                unionId = null;
            if (unionId is null)
                logger.LogWarning("WeChat answered no UnionID for a follower of connection {ConnectionId}: is the account bound to an Open Platform account?",
                    account.ConnectionId);
            await store.SetAsync(account.ConnectionId, openId, unionId ?? "", unionId is null ? KeepNone : KeepFound, timeout.Token);
            return unionId;
        }
        catch (Exception error) when (error is OperationCanceledException && !ct.IsCancellationRequested
                                      || error is HttpRequestException or InvalidDataException or RedisException or RedisTimeoutException)
        {
            logger.LogWarning("No UnionID for a follower of connection {ConnectionId}: {Reason}", account.ConnectionId,
                error is OperationCanceledException ? $"WeChat did not answer within {options.Value.UnionIdTimeout}" : error.Message);
            return null;
        }
    }
}

/// <summary>Known UnionIDs per connection and OpenID ("" = WeChat said none): Redis in Distributed mode, memory in Embedded mode.</summary>
public interface IWeChatUnionIdStore
{
    Task<string?> GetAsync(Guid connectionId, string openId, CancellationToken ct);

    Task SetAsync(Guid connectionId, string openId, string unionId, TimeSpan keepFor, CancellationToken ct);
}

public sealed class MemoryWeChatUnionIdStore(TimeProvider clock) : IWeChatUnionIdStore
{
    private readonly ConcurrentDictionary<(Guid, string), (string UnionId, DateTimeOffset Until)> known = new();

    public Task<string?> GetAsync(Guid connectionId, string openId, CancellationToken ct)
        => Task.FromResult(known.TryGetValue((connectionId, openId), out var kept) && kept.Until > clock.GetUtcNow() ? kept.UnionId : null);

    public Task SetAsync(Guid connectionId, string openId, string unionId, TimeSpan keepFor, CancellationToken ct)
    {
        known[(connectionId, openId)] = (unionId, clock.GetUtcNow() + keepFor);
        return Task.CompletedTask;
    }
}

public sealed class RedisWeChatUnionIdStore(IConnectionMultiplexer redis) : IWeChatUnionIdStore
{
    private static RedisKey Key(Guid connectionId, string openId) => $"crm:wechat:unionid:{connectionId}:{openId}";

    public async Task<string?> GetAsync(Guid connectionId, string openId, CancellationToken ct) => await redis.GetDatabase().StringGetAsync(Key(connectionId, openId));

    public Task SetAsync(Guid connectionId, string openId, string unionId, TimeSpan keepFor, CancellationToken ct)
        => redis.GetDatabase().StringSetAsync(Key(connectionId, openId), unionId, keepFor);
}
