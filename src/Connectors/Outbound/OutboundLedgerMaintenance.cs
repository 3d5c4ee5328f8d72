using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Outbound;

/// <summary>
/// Creates the ledger's table before the bus starts consuming (hosted services start in order, and this
/// one is registered before the bus), then prunes old entries now and then so the ledger stays bounded.
/// </summary>
internal sealed class OutboundLedgerMaintenance(
    IOutboundLedger ledger,
    IOptions<OutboundLedgerOptions> options,
    TimeProvider clock,
    ILogger<OutboundLedgerMaintenance> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ledger.InitializeAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pruned = await ledger.PruneAsync(clock.GetUtcNow() - settings.Retention, stoppingToken);
                if (pruned > 0) logger.LogInformation("Pruned {Count} outbound ledger entries older than {Retention}", pruned, settings.Retention);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The store may be briefly down; the next round prunes what this one could not.
                logger.LogWarning(error, "Pruning the outbound ledger failed");
            }

            try
            {
                await Task.Delay(settings.PruneInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
