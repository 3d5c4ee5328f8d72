using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Crm.Connectors.Spool;

/// <summary>
/// Makes the webhook backlog visible on /health/ready: how many accepted messages wait for the bus and how
/// old the oldest is. A deep backlog is "degraded" (still accepting, nothing lost), not "unhealthy".
/// </summary>
public sealed class SpoolHealthCheck(SqliteInboundSpool spool, SpoolOptions options, TimeProvider clock) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var depth = spool.Depth;
        var oldest = await spool.OldestAcceptedAtAsync(cancellationToken);
        var data = new Dictionary<string, object>
        {
            ["depth"] = depth,
            ["oldestAgeSeconds"] = oldest is { } at ? Math.Round((clock.GetUtcNow() - at).TotalSeconds, 1) : 0,
        };
        return depth > options.DegradedDepth
            ? HealthCheckResult.Degraded($"{depth} webhook messages wait to be handed to the bus.", data: data)
            : HealthCheckResult.Healthy($"{depth} webhook messages wait to be handed to the bus.", data);
    }
}
