using System.Text.Json;
using Crm.Inbox;
using Crm.Inbox.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Crm.Gateway.Hosting;

/// <summary>
/// <c>/health/live</c>: the process runs (restart it if not). <c>/health/ready</c>: it can do its work — the
/// bus and the store answer — with the backlog (spool depth) in the answer. <c>/health</c> is ready's alias.
/// </summary>
public static class CrmHealth
{
    public const string Ready = "ready";

    public static IEndpointRouteBuilder MapCrmHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        var ready = new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = WriteReportAsync };
        app.MapHealthChecks("/health/ready", ready);
        app.MapHealthChecks("/health", ready);
        return app;
    }

    private static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(entry => entry.Key, entry => new
            {
                status = entry.Value.Status.ToString(),
                description = entry.Value.Description,
                data = entry.Value.Data,
            }),
        }));
    }
}

/// <summary>The store answers a trivial read within the health check's time.</summary>
public sealed class StoreHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // Roles without the inbox (connectors only) have no store to check.
        if (services.GetService<IInboxStore>() is not { } store) return HealthCheckResult.Healthy("No store in this process.");
        if (services.GetService<StoreInitialization>() is { IsCompleted: false })
            return HealthCheckResult.Unhealthy("The store's tables and indexes are not created yet (the store was unreachable at start).");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await store.GetConversationAsync(Guid.Empty, timeout.Token);
            return HealthCheckResult.Healthy("The store answers.");
        }
        catch (Exception error)
        {
            return HealthCheckResult.Unhealthy("The store does not answer.", error);
        }
    }
}
