using System.Diagnostics;
using System.Reflection;

namespace Crm.FaultTests.Hosting;

/// <summary>
/// Where the suite finds what it breaks: the built Gateway, RabbitMQ (a virtual host of its own, so purging and
/// filling queues never touches another suite's or a benchmark's) and Redis. CRM_TEST_RABBITMQ_HOST and
/// CRM_TEST_REDIS override the servers' addresses.
/// </summary>
public static class FaultEnvironment
{
    public const string VirtualHost = "crm-faults";

    public static string GatewayDll { get; } = typeof(FaultEnvironment).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "GatewayDll").Value!;

    public static string RabbitMqHost => Environment.GetEnvironmentVariable("CRM_TEST_RABBITMQ_HOST") ?? "localhost:5672";
    public static string RabbitMq => $"amqp://guest:guest@{RabbitMqHost}/{VirtualHost}";
    public static string Redis => Environment.GetEnvironmentVariable("CRM_TEST_REDIS") ?? "localhost:6379";

    /// <summary>
    /// Gives a scenario an empty virtual host: no queue, exchange or message left by an earlier one. This is the
    /// suite's purge. (MassTransit's purge-on-start is no use here: it purges again on every reconnection, seen as
    /// "Purged N messages" after a broker restart, which would drop what the queues held.)
    /// </summary>
    public static async Task ResetVirtualHostAsync()
    {
        if (!File.Exists(GatewayDll))
            throw new FileNotFoundException($"The fault suite runs the built Gateway, and {GatewayDll} is missing: build tests/Crm.FaultTests first.");
        var hosts = await RabbitMqCtlAsync(["list_vhosts", "--quiet"], TimeSpan.FromSeconds(60));
        if (hosts.Split('\n', StringSplitOptions.TrimEntries).Contains(VirtualHost))
            await RabbitMqCtlAsync(["delete_vhost", VirtualHost], TimeSpan.FromSeconds(60));
        await RabbitMqCtlAsync(["add_vhost", VirtualHost], TimeSpan.FromSeconds(60));
        await RabbitMqCtlAsync(["set_permissions", "-p", VirtualHost, "guest", ".*", ".*", ".*"], TimeSpan.FromSeconds(60));
    }

    /// <summary>Messages in the suite's queues (ready + unacknowledged), for the test output.</summary>
    public static async Task<string> QueueDepthsAsync()
    {
        var lines = await RabbitMqCtlAsync(["list_queues", "-p", VirtualHost, "--quiet", "name", "messages"], TimeSpan.FromSeconds(60));
        return string.Join(", ", lines.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith("name", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Runs rabbitmqctl and returns its output; fails saying why when it cannot be used (not installed, not root,
    /// no Erlang cookie), because the suite cannot isolate its queues or restart the broker without it.
    /// </summary>
    public static async Task<string> RabbitMqCtlAsync(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException(
                $"The fault suite needs rabbitmqctl (the RabbitMQ server's own tool, run as root) and could not start it: {error.Message}", error);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var guard = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(guard.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"rabbitmqctl {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s.");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException(
                    $"rabbitmqctl {string.Join(' ', arguments)} failed with exit code {process.ExitCode} (the fault suite must run as root on the RabbitMQ machine): {await errors}{await output}");
            return await output;
        }
    }
}
