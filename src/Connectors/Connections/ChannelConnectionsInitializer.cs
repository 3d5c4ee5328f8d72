using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Connections;

/// <summary>
/// Creates the connections' tables and writes the configured seed before the bus and the webhooks start
/// (hosted services start in order, and this one is registered before the bus). A store that cannot be reached
/// at start does not stop the process: this keeps trying in the background, as the inbox's store does, and
/// webhooks and sends that need a connection meanwhile fail and are retried by their senders.
/// </summary>
internal sealed class ChannelConnectionsInitializer(
    ChannelConnections connections,
    ChannelConnectionTypeRegistry types,
    IOptions<ChannelConnectionOptions> options,
    ILogger<ChannelConnectionsInitializer> logger) : IHostedService
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource stopping = new();
    private Task retrying = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await TryInitializeAsync(cancellationToken, logFailure: true)) return;
        retrying = RetryUntilInitializedAsync(stopping.Token);
    }

    private async Task RetryUntilInitializedAsync(CancellationToken ct)
    {
        try
        {
            do await Task.Delay(RetryInterval, ct);
            while (!await TryInitializeAsync(ct, logFailure: false));
            logger.LogInformation("The channel connections' store is reachable again and initialized.");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping before the store ever answered.
        }
    }

    private async Task<bool> TryInitializeAsync(CancellationToken ct, bool logFailure)
    {
        try
        {
            await connections.Store.InitializeAsync(ct);
            await SeedAsync(ct);
            return true;
        }
        catch (Exception error) when (!ct.IsCancellationRequested)
        {
            if (logFailure) logger.LogWarning(error, "The channel connections' store cannot be initialized yet; retrying every {Interval}.", RetryInterval);
            return false;
        }
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        foreach (var seed in options.Value.Seed)
        {
            var existing = await connections.Store.FindAsync(seed.Id, cancellationToken);
            if (Compose(seed, existing) is not { } connection) continue;
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

    /// <summary>The seed as a connection to store, through its type's own validation; null (with a warning) when it does not pass.</summary>
    private ChannelConnection? Compose(SeededConnection seed, ChannelConnection? existing)
    {
        var createdAt = existing?.CreatedAt ?? DateTimeOffset.UtcNow;
        if (seed.Type == ChannelConnectionTypes.TwilioWhatsApp && seed.Settings.Count == 0)
            return connections.Twilio(seed.Id, seed.WorkspaceId, seed.DisplayName ?? "Twilio WhatsApp", enabled: true, existing?.RoutingTeamId, createdAt,
                new Twilio.TwilioConnectionSettings(seed.AccountSid, seed.Numbers, seed.ApiBaseUrl), seed.AuthToken) with { Templates = existing?.Templates ?? [] };
        if (types.Find(seed.Type) is not { } type)
        {
            logger.LogWarning("Did not seed channel connection {ConnectionId}: no connection type {Type}", seed.Id, seed.Type);
            return null;
        }
        var errors = new Dictionary<string, string[]>();
        var settings = type.Apply(System.Text.Json.JsonSerializer.SerializeToElement(seed.Settings), existing: null, errors);
        if (settings is null)
        {
            logger.LogWarning("Did not seed channel connection {ConnectionId}: {Errors}", seed.Id, string.Join(" ", errors.SelectMany(e => e.Value)));
            return null;
        }
        return connections.Compose(seed.Id, seed.WorkspaceId, type.Type, seed.DisplayName ?? type.DefaultDisplayName, enabled: true, existing?.RoutingTeamId,
            createdAt, settings) with { Templates = existing?.Templates ?? [] };
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await retrying;
    }
}
