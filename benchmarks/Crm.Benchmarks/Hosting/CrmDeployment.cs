using Crm.Contracts;
using System.Globalization;

namespace Crm.Benchmarks.Hosting;

public enum Target { Baseline, Embedded, Distributed, DistributedSplit }

/// <summary>
/// What a run drives: the bare-Kestrel baseline or Crm from the built Gateway, as one process (Embedded, or
/// Distributed with every role) or two (Distributed: <c>connectors,inbox</c> and <c>agents</c>) sharing one
/// SQLite file, RabbitMQ and Redis. Each run gets a fresh temp directory and database.
/// </summary>
public sealed class CrmDeployment : IAsyncDisposable
{
    public const string SigningKey = "benchmark-signing-key-0123456789abcdef0123";

    private readonly List<ServerProcess> processes;
    private readonly bool keepFiles;

    public Target Target { get; }
    /// <summary>Where Twilio's webhooks go.</summary>
    public ServerProcess Webhooks { get; }
    /// <summary>Where agents sign in and connect; null for the baseline.</summary>
    public ServerProcess? Agents { get; }
    public string? SqlitePath { get; }
    /// <summary>This run's folder: server logs, the database, each Crm process's content root.</summary>
    public string RunDirectory { get; }
    public IReadOnlyList<ServerProcess> Processes => processes;

    private CrmDeployment(Target target, List<ServerProcess> processes, ServerProcess webhooks, ServerProcess? agents, string? sqlitePath, string directory, bool keepFiles)
    {
        this.keepFiles = keepFiles;
        Target = target;
        this.processes = processes;
        Webhooks = webhooks;
        Agents = agents;
        SqlitePath = sqlitePath;
        RunDirectory = directory;
    }

    public Uri SignedWebhookUrl => new(Webhooks.BaseUrl, TwilioWebhookForms.WhatsAppPath.TrimStart('/'));

    /// <summary>Peak RSS summed over the deployment's processes (each one's VmHWM).</summary>
    public long PeakResidentBytes => processes.Sum(p => p.PeakResidentBytes);

    public long ResidentBytes => processes.Sum(p => p.ResidentBytes);

    public static Target ParseTarget(string name) => name.ToLowerInvariant() switch
    {
        "baseline" or "kestrel" => Target.Baseline,
        "embedded" => Target.Embedded,
        "distributed" => Target.Distributed,
        "distributed-split" or "split" => Target.DistributedSplit,
        _ => throw new ArgumentException($"Unknown --target '{name}': use baseline, embedded, distributed or distributed-split."),
    };

    public static async Task<CrmDeployment> StartAsync(Target target, BenchEnvironment environment, string? existingSqlitePath = null)
    {
        var directory = Directory.CreateTempSubdirectory("crm-bench-").FullName;
        var processes = new List<ServerProcess>();
        try
        {
            if (target == Target.Baseline)
            {
                var port = ServerProcess.FreeLoopbackPort();
                var baseline = await ServerProcess.StartAsync("baseline", port, "dotnet",
                    [typeof(CrmDeployment).Assembly.Location, "serve-baseline", "--port", port.ToString(CultureInfo.InvariantCulture)],
                    ServerEnvironment, AppContext.BaseDirectory, directory, "/health", TimeSpan.FromSeconds(60));
                processes.Add(baseline);
                return new CrmDeployment(target, processes, baseline, null, null, directory, environment.KeepFiles);
            }

            var sqlitePath = existingSqlitePath ?? Path.Combine(directory, "crm.db");
            // A run starts from empty queues, so nothing left by an earlier run is counted.
            if (target != Target.Embedded) await EmptyCrmQueuesAsync(environment.RabbitMqUrl);
            if (target == Target.DistributedSplit)
            {
                var workers = await StartGatewayAsync("crm-workers", "connectors,inbox", target, environment, sqlitePath, directory);
                processes.Add(workers);
                var agents = await StartGatewayAsync("crm-agents", "agents", target, environment, sqlitePath, directory);
                processes.Add(agents);
                return new CrmDeployment(target, processes, workers, agents, sqlitePath, directory, environment.KeepFiles);
            }

            var crm = await StartGatewayAsync("crm", "all", target, environment, sqlitePath, directory);
            processes.Add(crm);
            return new CrmDeployment(target, processes, crm, crm, sqlitePath, directory, environment.KeepFiles);
        }
        catch
        {
            foreach (var process in processes) await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Production settings, quiet logs: a benchmark measures work, not console output.</summary>
    private static Dictionary<string, string> ServerEnvironment => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__MassTransit"] = "Warning",
    };

    /// <summary>Crm purges nothing itself (a purge on start would run again on every reconnection and drop messages).</summary>
    private static async Task EmptyCrmQueuesAsync(string rabbitMqUrl)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(rabbitMqUrl) };
        await using var connection = await factory.CreateConnectionAsync();
        foreach (var queue in new[] { InboxQueues.InboundMessages, InboxQueues.DeliveryStatuses, CommandQueues.WhatsAppOutbound })
        {
            // A channel per queue: purging a queue that does not exist yet closes the channel.
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                await channel.QueuePurgeAsync(queue);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not declared yet: nothing to empty.
            }
        }
    }

    private static Task<ServerProcess> StartGatewayAsync(string name, string roles, Target target, BenchEnvironment environment, string sqlitePath, string directory)
    {
        var port = ServerProcess.FreeLoopbackPort();
        var baseUrl = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        List<string> arguments =
        [
            environment.GatewayDll,
            "--urls", baseUrl,
            "--ConnectionStrings:Sqlite=Data Source=" + sqlitePath,
            "--Crm:ChannelConnections:Seed:0:Id=" + TwilioWebhookForms.ConnectionId,
            "--Crm:ChannelConnections:Seed:0:WorkspaceId=" + TwilioWebhookForms.WorkspaceId,
            "--Crm:ChannelConnections:Seed:0:AccountSid=" + TwilioWebhookForms.AccountSid,
            "--Crm:ChannelConnections:Seed:0:AuthToken=" + TwilioWebhookForms.AuthToken,
            "--Crm:ChannelConnections:Seed:0:Numbers:0=whatsapp:" + TwilioWebhookForms.BusinessNumber,
            // Nothing is sent in these runs; were it, it would go nowhere but the loopback discard port.
            "--Crm:ChannelConnections:Seed:0:ApiBaseUrl=http://127.0.0.1:9",
            "--Crm:Twilio:PublicBaseUrl=" + baseUrl,
            // The agent the measurements sign in as (Measuring/AgentFeed), in the workspace the configured channel delivers to.
            "--Crm:Bootstrap:Email=" + Measuring.AgentFeed.BenchEmail,
            "--Crm:Bootstrap:Password=" + Measuring.AgentFeed.BenchPassword,
            "--Crm:Bootstrap:Workspace=Bench",
            "--Crm:Bootstrap:WorkspaceId=" + Measuring.AgentFeed.BenchWorkspaceId,
            "--Crm:Auth:SigningKey=" + SigningKey,
        ];
        if (target == Target.Embedded)
        {
            arguments.Add("--Crm:Mode=Embedded");
        }
        else
        {
            arguments.AddRange([
                "--Crm:Mode=Distributed",
                "--Crm:Roles=" + roles,
                "--Crm:Store=Sqlite",
                "--ConnectionStrings:RabbitMq=" + environment.RabbitMqUrl,
                "--ConnectionStrings:Redis=" + environment.Redis,
            ]);
        }
        return ServerProcess.StartAsync(name, port, "dotnet", arguments, ServerEnvironment,
            ContentRoot(name, environment, directory), directory, "/health", TimeSpan.FromSeconds(90));
    }

    /// <summary>
    /// Each Crm process runs in its own folder of the run's directory, holding the Gateway's appsettings and a link to
    /// its wwwroot: settings as in production, while anything Crm keeps under its content root (./data) starts empty
    /// and is not shared with another run or process.
    /// </summary>
    private static string ContentRoot(string name, BenchEnvironment environment, string directory)
    {
        var gatewayDirectory = Path.GetDirectoryName(environment.GatewayDll)!;
        var contentRoot = Directory.CreateDirectory(Path.Combine(directory, name)).FullName;
        foreach (var settings in Directory.EnumerateFiles(gatewayDirectory, "appsettings*.json"))
            File.Copy(settings, Path.Combine(contentRoot, Path.GetFileName(settings)));
        // A build's output has no wwwroot (a publish would): the project's own is what it would copy.
        var webRoot = new[] { Path.Combine(gatewayDirectory, "wwwroot"), Path.Combine(environment.RepoRoot, "src", "Gateway", "wwwroot") }
            .FirstOrDefault(Directory.Exists);
        if (webRoot is not null) Directory.CreateSymbolicLink(Path.Combine(contentRoot, "wwwroot"), webRoot);
        return contentRoot;
    }

    public async ValueTask DisposeAsync()
    {
        // The agents' edge first, so nothing is left pushing to a stopped worker's backplane.
        for (var i = processes.Count - 1; i >= 0; i--) await processes[i].DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (keepFiles) Console.WriteLine($"  kept {RunDirectory} (logs, database)");
        else try { Directory.Delete(RunDirectory, recursive: true); } catch (IOException) { }
    }
}
