using MassTransit;

namespace Crm.Gateway.Hosting;

/// <summary>
/// Stops the bus before anything its consumers use is stopped or disposed. Hosted services stop in reverse
/// registration order and the container is disposed right after; MassTransit's own hosted service gives up
/// waiting when the host's stop token fires and lets the container be disposed under consumers still running
/// (their retries then fault with ObjectDisposedException into the error queue). Here the bus stops first,
/// in <see cref="IHostedLifecycleService.StoppingAsync"/>, which runs before every hosted service's StopAsync.
/// </summary>
internal sealed class BusShutdown(IBusControl bus, ILogger<BusShutdown> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Stopping the bus before the services its consumers use.");
        await bus.StopAsync(cancellationToken);
        logger.LogInformation("Bus stopped; in-flight messages finished or were handed back to the broker.");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
