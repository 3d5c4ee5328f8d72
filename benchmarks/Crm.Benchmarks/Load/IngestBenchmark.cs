using System.Diagnostics;
using System.Globalization;
using Crm.Benchmarks.Hosting;
using Crm.Benchmarks.Measuring;

namespace Crm.Benchmarks.Load;

/// <summary>What one ingest run asks for: closed loop with <see cref="Clients"/>, or open loop at <see cref="Rate"/>.</summary>
public sealed record IngestSettings(Target Target, int Clients, double? Rate, TimeSpan Duration, TimeSpan DrainTimeout,
    TimeSpan StallTimeout, int Senders, int MaxWebhooks, int Warmup, TimeSpan WarmupTime)
{
    public static IngestSettings From(BenchArgs args, bool openLoop) => new(
        CrmDeployment.ParseTarget(args.Text("target", "embedded")),
        args.Int("clients", 32),
        openLoop ? args.Number("rate", 1000) : null,
        TimeSpan.FromSeconds(args.Number("seconds", 20)),
        TimeSpan.FromSeconds(args.Number("drain-seconds", 300)),
        TimeSpan.FromSeconds(args.Number("stall-seconds", 30)),
        args.Int("senders", 1000),
        args.Int("max-webhooks", 300_000),
        args.Int("warmup", 100_000),
        TimeSpan.FromSeconds(args.Number("warmup-seconds", 20)));

    public string Describe => Rate is { } rate
        ? $"{Target} open loop {rate.ToString("0", CultureInfo.InvariantCulture)}/s for {Duration.TotalSeconds:0} s"
        : $"{Target} closed loop, {Clients} clients for {Duration.TotalSeconds:0} s";
}

public sealed record IngestResult(
    IngestSettings Settings,
    long Acknowledged,
    long NotAcknowledged,
    double AcceptedPerSecond,
    long Pushed,
    double EndToEndPerSecond,
    bool Drained,
    TimeSpan LoadTime,
    TimeSpan DrainTime,
    double PushP50Ms,
    double PushP95Ms,
    double PushP99Ms,
    double AnswerP50Ms,
    double AnswerP99Ms,
    long RepeatedPushes,
    long PeakResidentBytes,
    long LargestBacklog,
    ExactlyOnceResult? ExactlyOnce,
    string? FirstFailure);

/// <summary>
/// One measurement of the message path: start the target, connect an agent, warm up, drive webhooks, wait until
/// every acknowledged one was pushed (or the drain gives up), then check the store and read the peak RSS.
/// </summary>
public static class IngestBenchmark
{
    public static async Task<IngestResult> RunAsync(IngestSettings settings, BenchEnvironment environment)
    {
        Console.WriteLine($"== {settings.Describe}");
        await using var deployment = await CrmDeployment.StartAsync(settings.Target, environment);
        var baseline = settings.Target == Target.Baseline;
        var signedUrl = deployment.SignedWebhookUrl.ToString();

        var count = settings.Rate is { } rate
            ? (int)Math.Min(settings.MaxWebhooks, Math.Round(rate * settings.Duration.TotalSeconds))
            // The baseline stores nothing, so a small set cycled will do.
            : baseline ? 20_000 : settings.MaxWebhooks;
        var warmupForms = TwilioWebhookForms.Create(settings.Warmup, signedUrl, settings.Senders);
        var forms = TwilioWebhookForms.Create(count, signedUrl, settings.Senders);
        var warmupLedger = new WebhookLedger(warmupForms.Count);
        var ledger = new WebhookLedger(forms.Count);

        await using var agent = baseline ? null : await AgentFeed.ConnectAsync(deployment.Agents!.BaseUrl);
        agent?.Track(warmupForms, warmupLedger);
        agent?.Track(forms, ledger);

        var connections = settings.Rate is null ? settings.Clients : Math.Max(settings.Clients, 256);
        using var sender = new WebhookSender(deployment.SignedWebhookUrl, forms, connections);
        using (var warmupSender = new WebhookSender(deployment.SignedWebhookUrl, warmupForms, settings.Clients))
        {
            // JIT (tiered compilation settles only after several seconds under load), connection pools, the first
            // customers: not what a steady run measures. Whichever ends first: the warm-up time or its webhooks.
            await warmupSender.ClosedLoopAsync(settings.Clients, settings.WarmupTime, baseline ? null : warmupLedger, cycle: baseline);
            if (!baseline) await DrainAsync(warmupLedger, TimeSpan.FromSeconds(60), settings.StallTimeout, quiet: true);
        }

        using var progress = new CancellationTokenSource();
        var progressReport = ReportProgressAsync(ledger, deployment, baseline, progress.Token);
        var loadStarted = Stopwatch.GetTimestamp();
        var load = settings.Rate is { } openRate
            ? await sender.OpenLoopAsync(openRate, settings.Duration, ledger)
            : await sender.ClosedLoopAsync(settings.Clients, settings.Duration, baseline ? null : ledger, cycle: baseline);
        Console.WriteLine($"  load done: {load.Acknowledged} acknowledged, {load.NotAcknowledged} not, {load.AcceptedPerSecond:0}/s; draining...");
        if (settings.Rate is null && !baseline && load.Elapsed < settings.Duration * 0.99)
            Console.WriteLine($"  WARNING: all {forms.Count} webhooks were used after {load.Elapsed.TotalSeconds:0.0} s: raise --max-webhooks for a full-length run");

        var drainStarted = Stopwatch.GetTimestamp();
        var drained = baseline || await DrainAsync(ledger, settings.DrainTimeout, settings.StallTimeout, quiet: false);
        var drainTime = Stopwatch.GetElapsedTime(drainStarted);
        await progress.CancelAsync();
        var largestBacklog = await progressReport;
        // Pushes missed because the agent's connection dropped would otherwise look like Crm losing them.
        if (agent is not null && agent.State != Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected)
            Console.WriteLine($"  WARNING: the agent's hub connection is {agent.State}: missing pushes may be the harness's, not Crm's");

        var pushed = baseline ? 0 : ledger.PushedOfAcknowledged();
        var endToEnd = pushed == 0 ? 0 : pushed / Stopwatch.GetElapsedTime(loadStarted, ledger.LastPushAt).TotalSeconds;
        var pushLatencies = ledger.PushLatenciesMs();
        var answerLatencies = ledger.AnswerLatenciesMs();
        var peak = deployment.PeakResidentBytes;
        var exactlyOnce = baseline ? null : ExactlyOnceResult.Check(deployment.SqlitePath!, forms, ledger);

        var result = new IngestResult(settings, load.Acknowledged, load.NotAcknowledged, load.AcceptedPerSecond, pushed, endToEnd, drained,
            load.Elapsed, drainTime,
            Percentiles.Of(pushLatencies, 50), Percentiles.Of(pushLatencies, 95), Percentiles.Of(pushLatencies, 99),
            Percentiles.Of(answerLatencies, 50), Percentiles.Of(answerLatencies, 99),
            ledger.RepeatedPushes, peak, largestBacklog, exactlyOnce, ledger.FirstFailure);
        Report.Print(result);
        ResultsFile.Append(settings.Rate is null ? "ingest" : "open-loop", result);
        return result;
    }

    /// <summary>Waits until every acknowledged webhook was pushed; gives up at the timeout, or when pushes stop coming.</summary>
    private static async Task<bool> DrainAsync(WebhookLedger ledger, TimeSpan timeout, TimeSpan stallTimeout, bool quiet)
    {
        var started = Stopwatch.StartNew();
        var lastProgress = Stopwatch.StartNew();
        var lastPushed = -1L;
        while (true)
        {
            var pushed = ledger.PushedOfAcknowledged();
            if (pushed >= ledger.Acknowledged) return true;
            if (pushed != lastPushed)
            {
                lastPushed = pushed;
                lastProgress.Restart();
            }
            if (started.Elapsed > timeout || lastProgress.Elapsed > stallTimeout)
            {
                if (!quiet) Console.WriteLine($"  drain gave up after {started.Elapsed.TotalSeconds:0} s: {pushed} of {ledger.Acknowledged} acknowledged were pushed");
                return false;
            }
            await Task.Delay(quiet ? 50 : 200);
        }
    }

    /// <summary>Samples the backlog (acknowledged, not yet pushed) every second and prints it every five; returns the largest.</summary>
    private static async Task<long> ReportProgressAsync(WebhookLedger ledger, CrmDeployment deployment, bool baseline, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        var largest = 0L;
        try
        {
            for (var second = 1; ; second++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                largest = Math.Max(largest, ledger.Acknowledged - ledger.Pushed);
                if (second % 5 != 0) continue;
                Console.WriteLine(baseline
                    ? $"  {started.Elapsed.TotalSeconds,4:0} s  rss {Report.Megabytes(deployment.ResidentBytes)}"
                    : $"  {started.Elapsed.TotalSeconds,4:0} s  acknowledged {ledger.Acknowledged,8}  pushed {ledger.Pushed,8}  backlog {ledger.Acknowledged - ledger.Pushed,8}  rss {Report.Megabytes(deployment.ResidentBytes)}");
            }
        }
        catch (OperationCanceledException)
        {
        }
        return largest;
    }
}
