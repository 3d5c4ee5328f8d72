using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Storage;

/// <summary>
/// Start-up work against a store (tables, indexes, seeds) that must not keep the process from starting when the
/// store cannot be reached: it is tried once at start, then every <see cref="RetryInterval"/> in the background
/// until it succeeds, with one warning when it first fails. Readiness reports the state meanwhile.
/// </summary>
public abstract class SetUpUntilReachable(ILogger logger) : IHostedService
{
    protected static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource stopping = new();
    private Task retrying = Task.CompletedTask;

    /// <summary>What to set up; throws while the store cannot be reached. Must be safe to repeat.</summary>
    protected abstract Task SetUpAsync(CancellationToken ct);

    /// <summary>What is being set up, for the log ("the store", "workspaces and agents").</summary>
    protected abstract string What { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Usually the store answers at once, and the bus then starts with everything in place.
        if (await TrySetUpAsync(cancellationToken, logFailure: true)) return;
        retrying = RetryAsync(stopping.Token);
    }

    private async Task RetryAsync(CancellationToken ct)
    {
        try
        {
            do await Task.Delay(RetryInterval, ct);
            while (!await TrySetUpAsync(ct, logFailure: false));
            logger.LogInformation("{What}: set up once the store could be reached.", What);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping before the store ever answered.
        }
    }

    private async Task<bool> TrySetUpAsync(CancellationToken ct, bool logFailure)
    {
        try
        {
            await SetUpAsync(ct);
            return true;
        }
        catch (Exception error) when (!ct.IsCancellationRequested)
        {
            if (logFailure) logger.LogWarning(error, "{What} cannot be set up yet; retrying every {Interval}.", What, RetryInterval);
            return false;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await retrying;
    }
}
