using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Crm.Connectors.Outbound;

public enum ClaimOutcome { Claimed, AlreadySent, InFlight }

public readonly record struct OutboundClaim(ClaimOutcome Outcome, string? ChannelMessageId = null);

/// <summary>
/// Remembers which outbound messages a provider already accepted, so a redelivered send command
/// (the bus delivers at least once) never reaches the customer twice.
/// </summary>
public interface IOutboundLedger
{
    /// <summary>Claims the right to send; only one claimant wins until it records or releases.</summary>
    Task<OutboundClaim> ClaimAsync(Guid messageId);

    Task RecordSentAsync(Guid messageId, string channelMessageId);

    /// <summary>Gives up a claim when the send certainly did not happen, so a retry may send.</summary>
    Task ReleaseAsync(Guid messageId);
}

/// <summary>Embedded mode: the in-memory bus loses unsent commands on restart anyway, so memory is enough.</summary>
public sealed class InMemoryOutboundLedger : IOutboundLedger
{
    private const string InFlight = "";
    private readonly ConcurrentDictionary<Guid, string> entries = new();

    public Task<OutboundClaim> ClaimAsync(Guid messageId)
    {
        if (entries.TryAdd(messageId, InFlight)) return Task.FromResult(new OutboundClaim(ClaimOutcome.Claimed));
        var value = entries.GetValueOrDefault(messageId, InFlight);
        return Task.FromResult(value == InFlight ? new OutboundClaim(ClaimOutcome.InFlight) : new OutboundClaim(ClaimOutcome.AlreadySent, value));
    }

    public Task RecordSentAsync(Guid messageId, string channelMessageId)
    {
        entries[messageId] = channelMessageId;
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(Guid messageId)
    {
        entries.TryRemove(new KeyValuePair<Guid, string>(messageId, InFlight));
        return Task.CompletedTask;
    }
}

/// <summary>Distributed mode: shared by every connector process through Redis.</summary>
public sealed class RedisOutboundLedger(IConnectionMultiplexer redis) : IOutboundLedger
{
    private const string InFlight = "in-flight";
    private const string SentPrefix = "sent:";

    // A crashed sender's claim expires so the message is not stuck forever; a sent record outlives any redelivery.
    private static readonly TimeSpan ClaimLifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan SentLifetime = TimeSpan.FromDays(7);

    private static RedisKey Key(Guid messageId) => $"crm:outbound:{messageId:N}";

    public async Task<OutboundClaim> ClaimAsync(Guid messageId)
    {
        var db = redis.GetDatabase();
        if (await db.StringSetAsync(Key(messageId), InFlight, ClaimLifetime, When.NotExists)) return new OutboundClaim(ClaimOutcome.Claimed);
        var value = (string?)await db.StringGetAsync(Key(messageId));
        return value is not null && value.StartsWith(SentPrefix, StringComparison.Ordinal)
            ? new OutboundClaim(ClaimOutcome.AlreadySent, value[SentPrefix.Length..])
            : new OutboundClaim(ClaimOutcome.InFlight);
    }

    public Task RecordSentAsync(Guid messageId, string channelMessageId)
        => redis.GetDatabase().StringSetAsync(Key(messageId), SentPrefix + channelMessageId, SentLifetime);

    public async Task ReleaseAsync(Guid messageId)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(Key(messageId), InFlight));
        _ = transaction.KeyDeleteAsync(Key(messageId));
        await transaction.ExecuteAsync();
    }
}
