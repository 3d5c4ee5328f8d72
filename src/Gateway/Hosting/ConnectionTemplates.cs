using Crm.Connectors.Connections;
using Crm.Contracts;
using Crm.Inbox.Replies;

namespace Crm.Gateway.Hosting;

/// <summary>Answers the inbox's template questions from the channel connections: only a connection of the conversation's own workspace.</summary>
public sealed class ConnectionTemplates(ChannelConnections connections) : IConnectionTemplates
{
    public async Task<IReadOnlyList<MessageTemplate>> ForConnectionAsync(Guid workspaceId, Guid connectionId, CancellationToken ct)
        => (await connections.FindAsync(workspaceId, connectionId, ct))?.Templates ?? [];
}
