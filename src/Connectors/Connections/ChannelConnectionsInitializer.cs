using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Connections;

/// <summary>
/// Creates the connections' tables and writes the configured seed before the bus and the webhooks start
/// (hosted services start in order, and this one is registered before the bus).
/// </summary>
internal sealed class ChannelConnectionsInitializer(
    ChannelConnections connections,
    IOptions<ChannelConnectionOptions> options,
    ILogger<ChannelConnectionsInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await connections.Store.InitializeAsync(cancellationToken);
        foreach (var seed in options.Value.Seed)
        {
            var existing = await connections.Store.FindAsync(seed.Id, cancellationToken);
            var connection = connections.Twilio(seed.Id, seed.WorkspaceId, seed.DisplayName, enabled: true, existing?.RoutingTeamId,
                existing?.CreatedAt ?? DateTimeOffset.UtcNow, new Twilio.TwilioConnectionSettings(seed.AccountSid, seed.Numbers, seed.ApiBaseUrl), seed.AuthToken);
            try
            {
                // Two processes of one deployment may seed at once: whichever adds first, the other updates.
                if (!await connections.AddAsync(connection, cancellationToken)) await connections.UpdateAsync(connection, cancellationToken);
                logger.LogInformation("Seeded channel connection {ConnectionId} ({Name}) for workspace {WorkspaceId}", seed.Id, seed.DisplayName, seed.WorkspaceId);
            }
            catch (SenderTakenException error)
            {
                logger.LogWarning("Did not seed channel connection {ConnectionId}: {Reason}", seed.Id, error.Message);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
