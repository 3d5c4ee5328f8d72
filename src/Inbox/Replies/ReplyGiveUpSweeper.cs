using Crm.Inbox.Agents;
using Crm.Inbox.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Replies;

/// <summary>
/// Gives every reply a truthful end within a bounded time: one still pending or retrying after its send
/// deadline plus a grace period becomes <c>unknown-outcome</c> when its current attempt may have reached
/// the bus (it may have been sent), or <c>failed</c> <c>not-dispatched</c> when it never did.
/// </summary>
public sealed class ReplyGiveUpSweeper(
    IReplyOutbox outbox,
    AgentNotifier agents,
    IOptions<ReplyOutboxOptions> options,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<ReplyGiveUpSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ReplyDispatcher.WhenStartedAsync(lifetime, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(error, "Could not give up overdue replies");
            }
            try { await Task.Delay(options.Value.SweepInterval, clock, stoppingToken); }
            catch (OperationCanceledException) { }
        }
    }

    public async Task SweepAsync(CancellationToken ct)
    {
        var settings = options.Value;
        while (true)
        {
            var now = clock.GetUtcNow();
            var settled = await outbox.GiveUpOverdueRepliesAsync(now - settings.GiveUpGrace, now, settings.BatchSize, ct);
            foreach (var reply in settled)
            {
                logger.LogWarning("Gave up reply {MessageId}: no outcome by its deadline, now {Status} {ErrorCode}",
                    reply.Id, reply.Status, reply.ErrorCode);
                await agents.MessageStatusChangedAsync(reply);
            }
            if (settled.Count < settings.BatchSize) return;
        }
    }
}
