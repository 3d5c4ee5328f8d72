using Crm.Contracts;
using Crm.Inbox.Storage;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Replies;

/// <summary>
/// Hands stored replies to the connectors over the bus, as <see cref="SendOutboundMessage"/> commands.
/// Runs in every process that serves agents or the inbox; claims keep two processes off the same attempt.
/// A reply stays <c>pending</c> while the bus is down (true: nothing left), and its current attempt is
/// handed over again until an outcome arrives, since a command can be lost; the connector sends at most once.
/// </summary>
public sealed class ReplyDispatcher(
    IReplyOutbox outbox,
    IBus bus,
    ReplyDispatchSignal signal,
    IOptions<ReplyOutboxOptions> options,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<ReplyDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The bus takes commands only once every hosted service (the bus among them) has started.
        await WhenStartedAsync(lifetime, stoppingToken);
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = await DispatchDueAsync(stoppingToken);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                // The store is unreachable: the replies wait in it; try again at the next poll.
                logger.LogError(error, "Could not dispatch due replies");
            }
            if (claimed < settings.BatchSize) await WaitQuietlyAsync(signal.WaitAsync(settings.PollInterval, stoppingToken));
        }
    }

    /// <summary>One pass: claims due replies and hands each to the bus. Returns how many it claimed.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var due = await outbox.ClaimDueRepliesAsync(clock.GetUtcNow(), settings.ClaimLease, settings.BatchSize, ct);
        foreach (var reply in due)
        {
            var command = new SendOutboundMessage(reply.MessageId, reply.ConversationId, reply.Channel, reply.To, reply.Text,
                reply.From, reply.Attempt, reply.NotAfter)
            {
                WorkspaceId = reply.WorkspaceId, ConnectionId = reply.ConnectionId, Template = reply.Extras?.Template, Tag = reply.Extras?.Tag,
            };
            using var sendTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            sendTimeout.CancelAfter(settings.BusSendTimeout);
            try
            {
                // IBus, not the scoped ISendEndpointProvider: this service lives as long as the process.
                var endpoint = await bus.GetSendEndpoint(CommandQueues.For(reply.Channel));
                await endpoint.Send(command, sendTimeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The bus may or may not have taken it. The claim is left as it is: when its lease ends the
                // attempt is due again and counts as "maybe handed over", as if this process had died here.
                logger.LogWarning("Handing reply {MessageId} attempt {Attempt} to the bus timed out", reply.MessageId, reply.Attempt);
                continue;
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                var retryAt = clock.GetUtcNow() + ReplyOutboxOptions.Backoff(settings.BusRetryDelay, reply.Refusals, settings.BusRetryMax);
                logger.LogWarning("The bus refused reply {MessageId} attempt {Attempt} ({Error}); next try at {RetryAt:O}",
                    reply.MessageId, reply.Attempt, error.Message, retryAt);
                await outbox.MarkBusRefusedAsync(reply, retryAt, CancellationToken.None);
                continue;
            }

            var redispatchAt = clock.GetUtcNow() + ReplyOutboxOptions.Backoff(settings.RedispatchAfter, reply.Sends, settings.RedispatchMax);
            await outbox.MarkHandedOverAsync(reply, redispatchAt, CancellationToken.None);
        }
        return due.Count;
    }

    internal static async Task WhenStartedAsync(IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = ct.Register(() => started.TrySetCanceled(ct));
        await WaitQuietlyAsync(started.Task);
    }

    private static async Task WaitQuietlyAsync(Task wait)
    {
        try { await wait; }
        catch (OperationCanceledException) { }
    }
}
