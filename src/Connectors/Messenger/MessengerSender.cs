using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Messenger;

/// <summary>
/// Replies through a page's Send API. The message carries <c>crm:{messageId}</c> as metadata, so its echo is known as
/// Crm's own. It is tagged only when the inbox says so (HUMAN_AGENT for a person's reply past 24 hours): automation
/// must never be tagged, so this never adds a tag itself.
/// </summary>
public sealed class MessengerSender(MessengerClient messenger, ChannelConnections connections, IOptions<MessengerOptions> options) : IChannelSender
{
    public const string NoTemplates = "Messenger has no message templates; reply with text within 24 h, or within 7 days as a human agent";

    public string ConnectionType => ChannelConnectionTypes.Messenger;
    public string Provider => "Messenger";
    public ProviderSendOptions Options => options.Value;

    public Task<SendResult> SendAsync(ChannelConnection connection, SendOutboundMessage command, CancellationToken ct)
    {
        if (command.Template is not null) return Task.FromResult(SendResult.Refused(SendFailures.TemplateRejected, NoTemplates));
        var account = MessengerConnectionType.Open(connection, connections.Secrets);
        return messenger.SendAsync(account, MessengerClient.SendBody(command.To, command.Text, command.MessageId, command.Tag), command.NotAfter, ct);
    }
}
