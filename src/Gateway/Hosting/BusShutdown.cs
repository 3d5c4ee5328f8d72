using MassTransit;

namespace Crm.Gateway.Hosting;

/// <summary>
/// Stops the bus before anything its consumers use is stopped or disposed. Left to MassTransit's own hosted
/// service, the host went on to dispose the container (the store, its writer, the scope factory) while a batch
/// was still being consumed; the batch's retries then faulted with ObjectDisposedException into the error
/// queue, which nothing drains (GracefulShutdownTests). Here the bus stops in
/// <see cref="IHostedLifecycleService.StoppingAsync"/>, which the host awaits before any hosted service's
/// StopAsync: consumes in flight finish, or are canceled when the grace period ends and stay un-acked for the
/// broker to redeliver to a live process.
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
        logger.LogInformation("Bus stopped.");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
