using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Crm.Benchmarks.Hosting;

/// <summary>
/// One server the harness started (the baseline or a Crm process), always on 127.0.0.1. Its output goes to a
/// log file, so a failed start can be read afterwards without slowing a run with console writes.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>Servers still running, so an interrupted harness can stop what it started.</summary>
    private static readonly HashSet<Process> Running = [];

    private readonly Process process;
    private readonly StreamWriter log;

    public string Name { get; }
    public Uri BaseUrl { get; }
    public string LogPath { get; }
    public int Id => process.Id;

    private ServerProcess(string name, Uri baseUrl, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        BaseUrl = baseUrl;
        this.process = process;
        this.log = log;
        LogPath = logPath;
    }

    public static async Task<ServerProcess> StartAsync(string name, int port, string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment, string workDirectory, string logDirectory, string healthPath, TimeSpan startTimeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var logPath = Path.Combine(logDirectory, name + ".log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        process.Start();
        lock (Running) Running.Add(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new ServerProcess(name, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"), process, log, logPath);
        await server.WaitUntilHealthyAsync(healthPath, startTimeout);
        return server;
    }

    private async Task WaitUntilHealthyAsync(string healthPath, TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} while starting; see {LogPath}");
            try
            {
                if ((await client.GetAsync(healthPath)).IsSuccessStatusCode) return;
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{Name} did not answer {healthPath} within {timeout.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>The most resident memory the process ever had (VmHWM), in bytes; 0 once it is gone.</summary>
    public long PeakResidentBytes => ReadStatusKilobytes("VmHWM:") * 1024;

    public long ResidentBytes => ReadStatusKilobytes("VmRSS:") * 1024;

    private long ReadStatusKilobytes(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
                var number = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(number, CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            // Exited: nothing left to read.
        }
        return 0;
    }

    /// <summary>Stops every server this harness started and has not stopped yet (on Ctrl+C or SIGTERM).</summary>
    public static void StopAllStarted()
    {
        lock (Running)
        {
            foreach (var process in Running)
            {
                try { if (!process.HasExited) process.Kill(); } catch (InvalidOperationException) { }
            }
            Running.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (Running) Running.Remove(process);
        if (!process.HasExited)
        {
            process.Kill();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await process.WaitForExitAsync(wait.Token); } catch (OperationCanceledException) { }
        }
        process.Dispose();
        lock (log) log.Dispose();
    }

    /// <summary>A port nothing listens on right now, on the loopback address only.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
