using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Customers;
using Crm.Inbox.Storage;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Timelines;

/// <summary>
/// Keeps an outbound message's status current, whichever way the news arrives: the connector's outcome of
/// a send, or the provider's later status callbacks. Out-of-order news never moves a status backwards, and
/// every outcome (anything from unknown-outcome on) takes the reply out of the outbox, so it is never
/// dispatched again. Retrying puts the reply's next attempt in the outbox, due when the connector asked.
/// A failure that is permanent for the recipient marks the identity the reply went to unreachable.
/// </summary>
public sealed class DeliveryStatusConsumer(IInboxStore store, IReplyOutbox outbox, ICustomerConsentStore consent, AgentNotifier agents,
    ILogger<DeliveryStatusConsumer> logger)
    : IConsumer<OutboundMessageAccepted>,
      IConsumer<OutboundMessageFailed>,
      IConsumer<OutboundMessageRetrying>,
      IConsumer<OutboundMessageOutcomeUnknown>,
      IConsumer<MessageStatusReported>,
      IConsumer<StatusWatermarkReported>
{
    /// <summary>How far back a watermark reaches: older replies were settled by earlier watermarks (Messenger cannot reach past 7 days anyway).</summary>
    public static readonly TimeSpan WatermarkReach = TimeSpan.FromDays(7);

    /// <summary>At most this many replies move per watermark; the next watermark takes any older ones left.</summary>
    public const int WatermarkBatch = 200;
    public Task Consume(ConsumeContext<OutboundMessageAccepted> context)
    {
        var accepted = context.Message;
        // Accepted is an outcome whatever status word the provider used.
        var status = MessageStatuses.Rank(accepted.Status) >= MessageStatuses.Rank(MessageStatuses.Queued) ? accepted.Status : MessageStatuses.Queued;
        return ApplyAsync(accepted.MessageId, status, null, accepted.ChannelMessageId, accepted.AcceptedAt, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<OutboundMessageFailed> context)
    {
        var failed = context.Message;
        logger.LogWarning("Reply {MessageId} failed: {ErrorCode} {Reason}", failed.MessageId, failed.ErrorCode, failed.Reason);
        await ApplyAsync(failed.MessageId, MessageStatuses.Failed, failed.ErrorCode ?? SendFailures.Refused, null, failed.FailedAt, context.CancellationToken);
        await MarkUnreachableIfPermanentAsync(failed.MessageId, MessageStatuses.Failed, failed.ErrorCode, failed.FailedAt, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<OutboundMessageRetrying> context)
    {
        var retrying = context.Message;
        var updated = await outbox.ScheduleNextAttemptAsync(retrying.MessageId, retrying.Attempt, retrying.NextAttemptAt, retrying.ReportedAt, context.CancellationToken);
        if (updated is null)
        {
            // A repeated report, or one for an attempt already superseded or settled: nothing to do.
            logger.LogInformation("Ignored retrying report for reply {MessageId} attempt {Attempt}", retrying.MessageId, retrying.Attempt);
            return;
        }
        logger.LogInformation("Reply {MessageId} attempt {Attempt} did not reach the provider ({ErrorCode} {Reason}); next attempt at {NextAttemptAt:O}",
            retrying.MessageId, retrying.Attempt, retrying.ErrorCode, retrying.Reason, retrying.NextAttemptAt);
        await agents.MessageStatusChangedAsync(updated);
    }

    public Task Consume(ConsumeContext<OutboundMessageOutcomeUnknown> context)
    {
        var unknown = context.Message;
        logger.LogWarning("Reply {MessageId} may or may not have been sent: {Reason}", unknown.MessageId, unknown.Reason);
        return ApplyAsync(unknown.MessageId, MessageStatuses.UnknownOutcome, null, null, unknown.ReportedAt, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<MessageStatusReported> context)
    {
        var report = context.Message;
        var ct = context.CancellationToken;
        var message = report.MessageId is { } id
            ? await store.GetMessageAsync(id, ct)
            : await store.FindMessageByChannelIdAsync(report.Channel, report.ChannelMessageId, ct);
        if (message is null)
        {
            // Not ours (another system's number), or from before the send's acceptance was recorded; the
            // acceptance carries the status anyway. Retrying it would only hold a consumer slot from real news.
            logger.LogInformation("Dropped {Status} status for unknown {Channel} message {ChannelMessageId}", report.Status, report.Channel, report.ChannelMessageId);
            return;
        }
        if (report.WorkspaceId != Guid.Empty && message.WorkspaceId != report.WorkspaceId)
        {
            // A callback that came in on one workspace's connection never changes another workspace's message.
            logger.LogWarning("Dropped {Status} status for message {MessageId}: it came in on another workspace's connection", report.Status, message.Id);
            return;
        }

        await ApplyAsync(message.Id, report.Status, report.ErrorCode, report.ChannelMessageId, report.ReportedAt, ct);
        await MarkUnreachableIfPermanentAsync(message.Id, report.Status, report.ErrorCode, report.ReportedAt, ct);
    }

    /// <summary>
    /// Only a reason that is about the recipient and will not pass by itself: the customer is not on the channel, blocked the
    /// business or is gone. The window closing, throttling, a template or the business's own credentials are not the
    /// customer's identity failing; <c>refused</c> carries codes Crm does not know, so it proves nothing about them.
    /// </summary>
    public static bool IsPermanentForRecipient(string status, string? reason)
        => MessageStatuses.IsFinal(status) && reason == SendFailures.RecipientUnavailable;

    /// <summary>
    /// Asked on every report, not only when the status changed: a crash after the status was stored must not lose the mark on
    /// the redelivery. The store makes the second mark a no-op.
    /// </summary>
    private async Task MarkUnreachableIfPermanentAsync(Guid messageId, string status, string? reason, DateTimeOffset at, CancellationToken ct)
    {
        if (!IsPermanentForRecipient(status, reason)) return;
        if (await consent.MarkUnreachableAsync(messageId, reason!, at, ct))
            logger.LogInformation("Reply {MessageId} failed with {Reason}: the identity it went to is marked unreachable", messageId, reason);
    }

    /// <summary>
    /// Every reply the provider took (queued or later) in the customer's conversation and created up to the watermark reached
    /// its status. Replies still pending are left alone: until the provider took them, nothing can have been delivered.
    /// </summary>
    public async Task Consume(ConsumeContext<StatusWatermarkReported> context)
    {
        var watermark = context.Message;
        if (!MessageStatuses.IsKnown(watermark.Status)) return;
        var ids = await store.OutboundBelowStatusAsync(watermark.WorkspaceId, watermark.Channel, watermark.CustomerIdentity, watermark.BusinessIdentity,
            watermark.Watermark - WatermarkReach, watermark.Watermark, watermark.Status, WatermarkBatch, context.CancellationToken);
        foreach (var id in ids) await ApplyAsync(id, watermark.Status, null, null, watermark.ReportedAt, context.CancellationToken);
    }

    private async Task<bool> ApplyAsync(Guid messageId, string status, string? errorCode, string? channelMessageId, DateTimeOffset at, CancellationToken ct)
    {
        if (!MessageStatuses.IsKnown(status)) return false;
        var updated = await store.ApplyStatusAsync(messageId, status, errorCode, channelMessageId, at, ct);
        if (updated is null) return false;
        await agents.MessageStatusChangedAsync(updated);
        return true;
    }
}
