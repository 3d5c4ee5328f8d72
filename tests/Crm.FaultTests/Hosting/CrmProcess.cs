using System.Runtime.InteropServices;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Crm.FaultTests.Hosting;

/// <summary>
/// One Crm process started from the built Gateway on 127.0.0.1, its output in a log file. <see cref="KillHard"/> is
/// kill -9 (SIGKILL: no shutdown hooks, nothing flushed); Dispose kills it too, so a failing test leaves nothing running.
/// </summary>
public sealed class CrmProcess : IDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;

    public string Name { get; }
    public Uri BaseUrl { get; }
    public string LogPath { get; }

    private CrmProcess(string name, Uri baseUrl, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        BaseUrl = baseUrl;
        this.process = process;
        this.log = log;
        LogPath = logPath;
    }

    public bool HasExited => process.HasExited;

    public static CrmProcess Start(string name, int port, IEnumerable<string> settings, string workDirectory, string logPath)
    {
        var baseUrl = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        start.ArgumentList.Add(FaultEnvironment.GatewayDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseUrl);
        foreach (var setting in settings) start.ArgumentList.Add(setting);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Warnings and errors are what a failed scenario is explained by; per-request noise only slows a 2-core machine.
        start.Environment["Logging__LogLevel__Default"] = "Warning";

        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"--- {name} starting at {DateTime.UtcNow:HH:mm:ss.fff} on {baseUrl}");
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new CrmProcess(name, new Uri(baseUrl + "/"), process, log, logPath);
    }

    /// <summary>Waits (bounded: a guard against hanging) until the process answers <paramref name="healthPath"/> with 2xx.</summary>
    public async Task WaitUntilHealthyAsync(string healthPath, TimeSpan guard)
    {
        using var client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        string lastAnswer = "no answer";
        while (waited.Elapsed < guard)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} while starting.\n{LogTail()}");
            try
            {
                using var response = await client.GetAsync(healthPath);
                if (response.IsSuccessStatusCode) return;
                lastAnswer = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                lastAnswer = error.Message;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{Name} did not answer {healthPath} with 2xx within {guard.TotalSeconds:0} s (last: {lastAnswer}).\n{LogTail()}");
    }

    /// <summary>kill -9: the process gets no chance to finish anything.</summary>
    public void KillHard()
    {
        lock (log) log.WriteLine($"--- {Name} killed with SIGKILL at {DateTime.UtcNow:HH:mm:ss.fff}");
        if (!process.HasExited) process.Kill(); // Process.Kill sends SIGKILL on Unix.
        process.WaitForExit(15_000);
    }

    /// <summary>SIGTERM, as a deploy or `systemctl stop` sends: the host stops gracefully, then the process exits.</summary>
    public void StopGracefully()
    {
        lock (log) log.WriteLine($"--- {Name} sent SIGTERM at {DateTime.UtcNow:HH:mm:ss.fff}");
        if (!process.HasExited && SendSignal(process.Id, SigTerm) != 0)
            throw new InvalidOperationException($"Could not send SIGTERM to {Name} (errno {Marshal.GetLastPInvokeError()}).");
        // ASP.NET Core's default shutdown grace period is 30 s; beyond that something hangs.
        if (!process.WaitForExit(60_000)) throw new TimeoutException($"{Name} did not exit within 60 s of SIGTERM.\n{LogTail()}");
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>The end of the log, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            string[] all;
            lock (log) all = File.ReadAllLines(LogPath);
            return $"--- last lines of {LogPath}:\n" + string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return $"(no log at {LogPath})";
        }
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(15_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        process.Dispose();
        lock (log) log.Dispose();
    }

    /// <summary>A loopback port nothing listens on now; a scenario keeps it for the restarts of one process.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
