namespace Crm.FaultTests.Hosting;

/// <summary>
/// One scenario's Crm in Distributed mode: a <c>connectors</c> process (Twilio webhooks and sending) and an
/// <c>inbox,agents</c> process (timelines, the reply outbox, the agent API), sharing one SQLite file, RabbitMQ (the
/// suite's virtual host) and Redis. Each process keeps its port and its files across restarts, as a restarted
/// server keeps its address and disk; each scenario starts on an empty RabbitMQ virtual host.
/// </summary>
public sealed class CrmDeployment : IDisposable
{
    public const string AccountSid = "ACfaults00000000000000000000000001";
    public const string AuthToken = "fault-suite-auth-token";
    public const string BusinessNumber = "+14155238886";

    /// <summary>The Twilio channel connection both processes seed from settings (in the demo workspace the dev sign-in uses).</summary>
    public const string ConnectionId = "fa017000-0000-4000-8000-000000000001";
    private const string DemoWorkspaceId = "5eed0000-0000-4000-8000-000000000001";
    private const string Seed = "Crm:ChannelConnections:Seed:0";
    private const string SigningKey = "fault-suite-signing-key-0123456789abcdef0123";

    private readonly IReadOnlyDictionary<string, string> scenarioSettings;
    private readonly bool keepFiles = Environment.GetEnvironmentVariable("CRM_FAULTS_KEEP") == "1";

    public string Directory { get; }
    public string SqlitePath { get; }
    public CrmRole Connectors { get; }
    public CrmRole Inbox { get; }
    public Uri TwilioApi { get; }

    /// <summary>The address Twilio calls and signs: the connectors' own, the same after every restart.</summary>
    public string PublicBaseUrl => $"http://127.0.0.1:{Connectors.Port}";

    public CrmDeployment(Uri twilioApi, IReadOnlyDictionary<string, string>? settings = null)
    {
        TwilioApi = twilioApi;
        scenarioSettings = settings ?? new Dictionary<string, string>();
        Directory = System.IO.Directory.CreateTempSubdirectory("crm-faults-").FullName;
        SqlitePath = Path.Combine(Directory, "crm.db");
        Inbox = new CrmRole(this, "inbox", "inbox,agents");
        Connectors = new CrmRole(this, "connectors", "connectors");
    }

    /// <summary>On an empty virtual host, the inbox first: it declares the inbox's queues before webhooks flow.</summary>
    public async Task StartAsync()
    {
        await FaultEnvironment.ResetVirtualHostAsync();
        await Inbox.StartAsync();
        await Connectors.StartAsync();
    }

    internal IEnumerable<string> SettingsFor(CrmRole role)
    {
        var settings = new Dictionary<string, string>
        {
            ["Crm:Mode"] = "Distributed",
            ["Crm:Roles"] = role.Roles,
            ["Crm:Store"] = "Sqlite",
            // Never true here: it purges on every reconnection, not only on start (see FaultEnvironment.ResetVirtualHostAsync).
            ["ConnectionStrings:Sqlite"] = "Data Source=" + SqlitePath,
            ["ConnectionStrings:RabbitMq"] = FaultEnvironment.RabbitMq,
            ["ConnectionStrings:Redis"] = FaultEnvironment.Redis,
            ["Crm:Spool:Path"] = role.SpoolPath,
            [$"{Seed}:Id"] = ConnectionId,
            [$"{Seed}:WorkspaceId"] = DemoWorkspaceId,
            [$"{Seed}:AccountSid"] = AccountSid,
            [$"{Seed}:AuthToken"] = AuthToken,
            [$"{Seed}:Numbers:0"] = "whatsapp:" + BusinessNumber,
            [$"{Seed}:ApiBaseUrl"] = TwilioApi.ToString(),
            ["Crm:Twilio:PublicBaseUrl"] = PublicBaseUrl,
            // The owner the scenarios' agents sign in as (Traffic/Agent), in the workspace the configured channel delivers to.
            ["Crm:Bootstrap:Email"] = Traffic.Agent.OwnerEmail,
            ["Crm:Bootstrap:Password"] = Traffic.Agent.Password,
            ["Crm:Bootstrap:Workspace"] = "Faults",
            ["Crm:Bootstrap:WorkspaceId"] = Traffic.Agent.WorkspaceId,
            ["Crm:Auth:SigningKey"] = SigningKey,
        };
        foreach (var (key, value) in scenarioSettings) settings[key] = value;
        return settings.Select(setting => $"--{setting.Key}={setting.Value}");
    }

    /// <summary>Every process's recent log lines, for failure messages.</summary>
    public string Logs() => Inbox.LogTail() + "\n" + Connectors.LogTail();

    public void Dispose()
    {
        Connectors.Dispose();
        Inbox.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (keepFiles) return;
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>One role of the deployment: the process running it now, and what it keeps across restarts.</summary>
public sealed class CrmRole(CrmDeployment deployment, string name, string roles) : IDisposable
{
    private CrmProcess? current;

    public string Name { get; } = name;
    public string Roles { get; } = roles;
    public int Port { get; } = CrmProcess.FreeLoopbackPort();
    public string SpoolPath { get; } = Path.Combine(deployment.Directory, name + "-spool.db");
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");
    public CrmProcess Process => current ?? throw new InvalidOperationException($"{Name} was never started.");

    /// <summary>Starts the role's process and waits (bounded) until it is ready: store and bus answer.</summary>
    public async Task StartAsync()
    {
        if (current is { HasExited: false }) throw new InvalidOperationException($"{Name} is still running.");
        current?.Dispose();
        var contentRoot = System.IO.Directory.CreateDirectory(Path.Combine(deployment.Directory, Name)).FullName;
        var settingsFile = Path.Combine(Path.GetDirectoryName(FaultEnvironment.GatewayDll)!, "appsettings.json");
        File.Copy(settingsFile, Path.Combine(contentRoot, "appsettings.json"), overwrite: true);
        current = CrmProcess.Start(Name, Port, deployment.SettingsFor(this), contentRoot,
            Path.Combine(deployment.Directory, Name + ".log"));
        await current.WaitUntilHealthyAsync("/health/ready", TimeSpan.FromSeconds(120));
    }

    /// <summary>kill -9, then the same process again on the same port with the same files.</summary>
    public void KillHard() => Process.KillHard();

    /// <summary>SIGTERM, waiting until the process has exited.</summary>
    public void StopGracefully() => Process.StopGracefully();

    public string LogTail() => current?.LogTail() ?? $"({Name} never started)";

    public void Dispose() => current?.Dispose();
}
