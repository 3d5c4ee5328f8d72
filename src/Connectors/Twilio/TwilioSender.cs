using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Twilio;

/// <summary>Replies and templates through a Twilio connection's WhatsApp sender, with a status callback naming the message.</summary>
public sealed class TwilioSender(TwilioMessagesClient twilio, ChannelConnections connections, WebhookBaseUrl webhooks, IOptions<TwilioOptions> options)
    : IChannelSender
{
    public string ConnectionType => ChannelConnectionTypes.TwilioWhatsApp;
    public string Provider => "Twilio";
    public ProviderSendOptions Options => options.Value;

    public Task<SendResult> SendAsync(ChannelConnection connection, SendOutboundMessage command, CancellationToken ct)
    {
        var account = connections.ToTwilioAccount(connection);
        var from = command.From ?? account.Senders.Order(StringComparer.Ordinal).First();
        return twilio.SendAsync(account, WhatsAppNumbers.ToWhatsAppAddress(from), WhatsAppNumbers.ToWhatsAppAddress(command.To), command.Text,
            StatusCallbackFor(account.ConnectionId, command.MessageId), command.NotAfter, ct, command.Template);
    }

    /// <summary>
    /// The callback names our message id, so a status that arrives before the send's answer is
    /// recorded still finds its message. Twilio can only call back when we know our public URL.
    /// </summary>
    private Uri? StatusCallbackFor(Guid connectionId, Guid messageId)
        => webhooks.Configured is { } publicBase
            ? new Uri($"{publicBase.ToString().TrimEnd('/')}{TwilioWebhookPaths.StatusOf(connectionId)}?messageId={messageId}")
            : null;
}
