using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Storage;
using MassTransit;

namespace Crm.Inbox.Timelines;

/// <summary>
/// Merges a customer's message into their timeline. Providers retry webhooks and the bus delivers at
/// least once, so a channel message id that is already stored is acknowledged and otherwise ignored.
/// </summary>
public sealed class InboundMessageReceivedConsumer(IInboxStore store, AgentNotifier agents)
    : IConsumer<InboundMessageReceived>
{
    public async Task Consume(ConsumeContext<InboundMessageReceived> context)
    {
        var inbound = context.Message;
        var ct = context.CancellationToken;
        if (await store.FindMessageByChannelIdAsync(inbound.Channel, inbound.ChannelMessageId, ct) is not null) return;

        var identity = new ChannelIdentity(inbound.Channel, inbound.CustomerIdentity);
        // Stamped with the time the message arrived, not now: a conversation opened after the message's
        // timestamp would look newer than its own first message and keep no preview of it.
        var customer = await store.ResolveCustomerAsync(identity, inbound.CustomerName, inbound.ReceivedAt, ct);
        var conversation = await store.OpenConversationAsync(customer, identity, inbound.ReceivedAt, ct);

        var message = new TimelineMessage(
            Id: NewId.NextGuid(),
            ConversationId: conversation.Id,
            CustomerId: customer.Id,
            Channel: inbound.Channel,
            Direction: Directions.Inbound,
            ChannelMessageId: inbound.ChannelMessageId,
            Text: inbound.Text,
            Media: inbound.Media,
            Location: inbound.Location,
            Button: inbound.Button,
            RawFields: inbound.RawFields,
            Status: MessageStatuses.Received,
            ErrorCode: null,
            Agent: null,
            CreatedAt: inbound.ReceivedAt,
            StatusUpdatedAt: inbound.ReceivedAt);

        // Two deliveries racing past the check above still store one entry: the store's unique index decides.
        if (!await store.AppendMessageAsync(message, ct)) return;

        await agents.MessageAddedAsync(message, await store.GetConversationAsync(conversation.Id, ct));
    }
}
