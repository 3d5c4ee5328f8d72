using System.Collections.Concurrent;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.Spool;

/// <summary>
/// Hands spooled messages to the bus and forgets each one only once the bus has it durably: RabbitMQ's
/// publisher confirm, or (with the in-memory bus, which keeps nothing) the inbox's consumer finishing it.
/// While the broker is down it backs off and tries again; webhooks keep being accepted into the spool
/// meanwhile, so an outage costs latency, never messages. After a crash every row still kept is sent
/// again: the inbox drops what it already stored.
/// </summary>
public sealed class SpoolForwarder(
    SqliteInboundSpool spool,
    SpoolConsumeAcknowledger acknowledger,
    IBusControl bus,
    SpoolOptions options,
    TimeProvider clock,
    ILogger<SpoolForwarder> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Rows handed over and not yet forgotten, with when to hand each over again.</summary>
    private readonly ConcurrentDictionary<long, DateTimeOffset> awaiting = new();
    private readonly SemaphoreSlim wake = CreateWake(spool);

    /// <summary>
    /// Woken by new rows, so they never wait for a poll. Consumed messages do not wake it: forgetting them
    /// can wait for the next pass and be done many at a time.
    /// </summary>
    private static SemaphoreSlim CreateWake(SqliteInboundSpool spool)
    {
        var wake = new SemaphoreSlim(0);
        spool.RowsCommitted += () => wake.Release();
        return wake;
    }

    /// <summary>Rows are forgotten in groups: at least this many, or whatever is there after <see cref="ForgetInterval"/>.</summary>
    private const int ForgetGroup = 256;

    private static readonly TimeSpan ForgetInterval = TimeSpan.FromMilliseconds(250);

    private DateTimeOffset lastForget;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WaitForBusAsync(stoppingToken);
        long cursor = 0;
        var retryDelay = FirstRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ForgetConsumedAsync(stoppingToken);
                var batch = await NextBatchAsync(cursor, stoppingToken);
                if (batch.Fresh.Count > 0) cursor = batch.Fresh[^1].Seq;
                if (batch.All.Count == 0)
                {
                    await WaitForWorkAsync(stoppingToken);
                    continue;
                }

                var failed = await HandOverAsync(batch.All, stoppingToken);
                if (failed == 0)
                {
                    retryDelay = FirstRetryDelay;
                    continue;
                }
                logger.LogWarning("The bus did not take {Failed} of {Count} spooled messages; {Depth} are kept, trying again in {Delay}",
                    failed, batch.All.Count, spool.Depth, retryDelay);
                await Task.Delay(retryDelay, clock, stoppingToken);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, options.MaxRetryDelay.Ticks));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                // The spool file itself failed; nothing is forgotten, so try again shortly.
                logger.LogError(error, "Forwarding spooled messages failed; trying again in {Delay}", options.MaxRetryDelay);
                await Task.Delay(options.MaxRetryDelay, clock, stoppingToken);
            }
        }
    }

    private async Task<(IReadOnlyList<SpooledMessage> All, IReadOnlyList<SpooledMessage> Fresh)> NextBatchAsync(long cursor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var dueSeqs = awaiting.Where(entry => entry.Value <= now).Select(entry => entry.Key).Take(options.ForwardBatch).ToList();
        var due = await spool.ReadAsync(dueSeqs, ct);
        // Rows already forgotten (consumed meanwhile) need no second hand-over.
        foreach (var gone in dueSeqs.Except(due.Select(m => m.Seq))) awaiting.TryRemove(gone, out _);

        // Memory stays bounded: past the limit, new rows wait on disk until earlier ones are settled.
        var room = Math.Min(options.ForwardBatch - due.Count, options.MaxAwaitingConsume - awaiting.Count);
        var fresh = room > 0 ? await spool.ReadAfterAsync(cursor, room, ct) : [];
        return ([.. due, .. fresh], fresh);
    }

    /// <summary>Publishes the batch concurrently; returns how many the bus did not take.</summary>
    private async Task<int> HandOverAsync(IReadOnlyList<SpooledMessage> batch, CancellationToken stoppingToken)
    {
        var handedAt = clock.GetUtcNow();
        // Until the outcome is known, a row is due again only after a generous wait.
        var pendingUntil = handedAt + (options.ForgetOnlyWhenConsumed ? options.RedeliverAfter : options.PublishTimeout * 3);
        foreach (var message in batch) awaiting[message.Seq] = pendingUntil;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.PublishTimeout);
        var outcomes = await Task.WhenAll(batch.Select(message => PublishAsync(message, timeout.Token)));

        var taken = batch.Where((_, i) => outcomes[i]).Select(m => m.Seq).ToList();
        var refused = batch.Where((_, i) => !outcomes[i]).Select(m => m.Seq).ToList();
        if (!options.ForgetOnlyWhenConsumed)
        {
            await spool.RemoveAsync(taken, stoppingToken);
            foreach (var seq in taken) awaiting.TryRemove(seq, out _);
        }
        foreach (var seq in refused) awaiting[seq] = handedAt;
        return refused.Count;
    }

    private async Task<bool> PublishAsync(SpooledMessage message, CancellationToken ct)
    {
        try
        {
            var seq = message.Seq.ToString(CultureInfo.InvariantCulture);
            await bus.Publish(message.Message, message.Type, Pipe.Execute<PublishContext>(context => context.Headers.Set(SpoolConsumeAcknowledger.SeqHeader, seq)), ct);
            return true;
        }
        catch (Exception error)
        {
            logger.LogDebug(error, "Publishing spooled message {Seq} failed", message.Seq);
            return false;
        }
    }

    private async Task ForgetConsumedAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (acknowledger.Pending < ForgetGroup && now - lastForget < ForgetInterval) return;
        lastForget = now;
        var seqs = new List<long>();
        while (seqs.Count < 5_000 && acknowledger.TryTake(out var seq)) seqs.Add(seq);
        await spool.RemoveAsync(seqs, ct);
        foreach (var seq in seqs) awaiting.TryRemove(seq, out _);
    }

    /// <summary>Sleeps until rows arrive, a consumer settles one, or the next hand-over falls due.</summary>
    private async Task WaitForWorkAsync(CancellationToken ct)
    {
        var untilDue = awaiting.IsEmpty ? TimeSpan.FromSeconds(1) : awaiting.Values.Min() - clock.GetUtcNow();
        var wait = TimeSpan.FromTicks(Math.Clamp(untilDue.Ticks, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        await wake.WaitAsync(wait, ct);
        // Several signals may have piled up; one pass handles them all.
        while (wake.CurrentCount > 0 && wake.Wait(0)) { }
    }

    /// <summary>
    /// The bus starts in the background and may wait for the broker; rows are only handed over once it is
    /// up (a test's queue purge on start must not race them either).
    /// </summary>
    private async Task WaitForBusAsync(CancellationToken ct)
    {
        while (bus.CheckHealth().Status != BusHealthStatus.Healthy)
            await Task.Delay(TimeSpan.FromMilliseconds(100), clock, ct);
    }
}
