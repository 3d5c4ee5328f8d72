using System.Diagnostics;

namespace Crm.Benchmarks.Hosting;

/// <summary>Where the repository, the built Gateway and the shared servers (RabbitMQ, Redis) are.</summary>
public sealed record BenchEnvironment(string RepoRoot, string GatewayDll, string RabbitMqUrl, string Redis, bool KeepFiles)
{
    public static BenchEnvironment From(BenchArgs args)
    {
        var root = args.Text("repo", FindRepoRoot());
        return new BenchEnvironment(
            root,
            Path.Combine(root, "src", "Gateway", "bin", "Release", "net10.0", "Crm.Gateway.dll"),
            args.Text("rabbitmq", "amqp://guest:guest@localhost:5672/"),
            args.Text("redis", "localhost:6379"),
            args.Flag("keep"));
    }

    /// <summary>
    /// Builds the Gateway in Release (incremental, so quick when nothing changed) unless --no-build: a
    /// benchmark of a stale build measures the wrong code.
    /// </summary>
    public void EnsureGatewayBuilt(BenchArgs args)
    {
        if (args.Flag("no-build"))
        {
            if (!File.Exists(GatewayDll)) throw new FileNotFoundException($"{GatewayDll} is missing: build it (dotnet build src/Gateway -c Release) or drop --no-build.");
            return;
        }
        Console.WriteLine("Building src/Gateway (Release)...");
        var build = Process.Start(new ProcessStartInfo("dotnet", ["build", Path.Combine(RepoRoot, "src", "Gateway"), "-c", "Release", "--nologo", "-v", "q"])
        {
            UseShellExecute = false,
        })!;
        build.WaitForExit();
        if (build.ExitCode != 0) throw new InvalidOperationException("Building src/Gateway failed.");
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Crm.sln"))) return directory.FullName;
            }
        }
        throw new InvalidOperationException("Cannot find the repository (Crm.sln) above the current directory: pass --repo.");
    }
}
