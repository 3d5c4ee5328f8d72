using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Storage;
using MassTransit;

namespace Crm.Inbox.Timelines;

/// <summary>
/// Keeps an outbound message's status current, whichever way the news arrives: the provider's answer
/// to the send, or its later status callbacks. Out-of-order news never moves a status backwards.
/// </summary>
public sealed class DeliveryStatusConsumer(IInboxStore store, AgentNotifier agents)
    : IConsumer<OutboundMessageAccepted>, IConsumer<OutboundMessageFailed>, IConsumer<MessageStatusReported>
{
    public Task Consume(ConsumeContext<OutboundMessageAccepted> context)
    {
        var accepted = context.Message;
        return ApplyAsync(accepted.MessageId, accepted.Status, null, accepted.ChannelMessageId, accepted.AcceptedAt, context.CancellationToken);
    }

    public Task Consume(ConsumeContext<OutboundMessageFailed> context)
    {
        var failed = context.Message;
        return ApplyAsync(failed.MessageId, MessageStatuses.Failed, failed.ErrorCode ?? "send-failed", null, failed.FailedAt, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<MessageStatusReported> context)
    {
        var report = context.Message;
        var messageId = report.MessageId
            ?? (await store.FindMessageByChannelIdAsync(report.Channel, report.ChannelMessageId, context.CancellationToken))?.Id
            // The send's acceptance may not be recorded yet; throwing lets the retry policy try again later.
            ?? throw new UnknownMessageException(report.Channel, report.ChannelMessageId);
        await ApplyAsync(messageId, report.Status, report.ErrorCode, report.ChannelMessageId, report.ReportedAt, context.CancellationToken);
    }

    private async Task ApplyAsync(Guid messageId, string status, string? errorCode, string? channelMessageId, DateTimeOffset at, CancellationToken ct)
    {
        if (!MessageStatuses.IsKnown(status)) return;
        var updated = await store.ApplyStatusAsync(messageId, status, errorCode, channelMessageId, at, ct);
        if (updated is not null) await agents.MessageStatusChangedAsync(updated);
    }
}

public sealed class UnknownMessageException(string channel, string channelMessageId)
    : Exception($"No {channel} message with id {channelMessageId} is stored yet.");
