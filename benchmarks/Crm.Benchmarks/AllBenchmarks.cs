using System.Globalization;
using Crm.Benchmarks.Hosting;
using Crm.Benchmarks.Load;
using Crm.Benchmarks.Measuring;
using Crm.Benchmarks.RabbitMq;

namespace Crm.Benchmarks;

/// <summary>
/// The whole table in one command: every measurement --runs times (3), medians, the ratios to the baselines
/// measured in the same run, and whether each target is met.
/// </summary>
public static class AllBenchmarks
{
    public static async Task<int> RunAsync(BenchArgs args, BenchEnvironment environment)
    {
        var runs = args.Int("runs", 3);
        var closed = IngestSettings.From(args, openLoop: false);
        var open = IngestSettings.From(args, openLoop: true);
        var rabbit = RawRabbitMqSettings.From(args, environment.RabbitMqUrl);
        var withSplit = args.Flag("split");

        var baseline = new List<IngestResult>();
        var embedded = new List<IngestResult>();
        var openLoop = new List<IngestResult>();
        var distributed = new List<IngestResult>();
        var split = new List<IngestResult>();
        var raw = new List<RawRabbitMqResult>();
        for (var run = 1; run <= runs; run++)
        {
            Console.WriteLine($"######## run {run} of {runs}  (load: {Load()})");
            baseline.Add(await IngestBenchmark.RunAsync(closed with { Target = Target.Baseline }, environment));
            embedded.Add(await IngestBenchmark.RunAsync(closed with { Target = Target.Embedded }, environment));
            openLoop.Add(await IngestBenchmark.RunAsync(open with { Target = Target.Embedded }, environment));
            raw.Add(await RawRabbitMqBenchmark.RunAsync(rabbit));
            distributed.Add(await IngestBenchmark.RunAsync(closed with { Target = Target.Distributed }, environment));
            if (withSplit) split.Add(await IngestBenchmark.RunAsync(closed with { Target = Target.DistributedSplit }, environment));
        }

        static double Median<T>(List<T> results, Func<T, double> value) => Percentiles.Median(results.Select(value));
        var kestrel = Median(baseline, r => r.AcceptedPerSecond);
        var rawRabbit = Median(raw, r => r.EndToEndPerSecond);
        var embeddedEndToEnd = Median(embedded, r => r.EndToEndPerSecond);
        var distributedEndToEnd = Median(distributed, r => r.EndToEndPerSecond);
        var openP99 = Median(openLoop, r => r.PushP99Ms);
        // The target is per process at max rate: Embedded's one process, and Distributed's all-roles one.
        var peakRss = embedded.Concat(distributed).Max(r => r.PeakResidentBytes);
        var exactlyOnce = embedded.Concat(openLoop).Concat(distributed).Concat(split).All(r => r.ExactlyOnce?.Holds == true);

        Console.WriteLine();
        Console.WriteLine($"Medians of {runs} ({Environment.ProcessorCount} cores, load at the end: {Load()}); {closed.Clients} clients, {closed.Duration.TotalSeconds:0} s; open loop {open.Rate:0}/s");
        Console.WriteLine("| Measurement | accepted/s | end-to-end msgs/s | webhook→push p50 / p95 / p99 | peak RSS | exactly once |");
        Console.WriteLine("| --- | ---: | ---: | --- | ---: | --- |");
        Row("Bare Kestrel baseline", baseline);
        Row("Crm Embedded", embedded);
        Row($"Crm Embedded, open loop {open.Rate:0}/s", openLoop);
        Row("Crm Distributed (one process, all roles)", distributed);
        if (withSplit) Row("Crm Distributed (connectors,inbox + agents; RSS summed)", split);
        Console.WriteLine($"| Raw RabbitMQ publish→consume | {Median(raw, r => r.PublishedPerSecond):0} | {rawRabbit:0} | {Report.Ms(Median(raw, r => r.P50Ms))} / {Report.Ms(Median(raw, r => r.P95Ms))} / {Report.Ms(Median(raw, r => r.P99Ms))} | | |");
        Console.WriteLine();
        Console.WriteLine("| Target | measured | |");
        Console.WriteLine("| --- | --- | --- |");
        Console.WriteLine($"| Embedded accepted / bare Kestrel (no target) | {Report.Ratio(Median(embedded, r => r.AcceptedPerSecond), kestrel)} | |");
        Console.WriteLine($"| Embedded end-to-end ≥ 25% of bare Kestrel | {Report.Ratio(embeddedEndToEnd, kestrel)} | {Report.Check(embeddedEndToEnd >= 0.25 * kestrel)} |");
        Console.WriteLine($"| Distributed end-to-end ≥ 40% of raw RabbitMQ | {Report.Ratio(distributedEndToEnd, rawRabbit)} | {Report.Check(distributedEndToEnd >= 0.40 * rawRabbit)} |");
        if (withSplit)
        {
            var splitEndToEnd = Median(split, r => r.EndToEndPerSecond);
            Console.WriteLine($"| Distributed (split) end-to-end ≥ 40% of raw RabbitMQ | {Report.Ratio(splitEndToEnd, rawRabbit)} | {Report.Check(splitEndToEnd >= 0.40 * rawRabbit)} |");
        }
        Console.WriteLine($"| webhook→push p99 ≤ 50 ms at open loop {open.Rate:0}/s Embedded | {Report.Ms(openP99)} | {Report.Check(openP99 <= 50)} |");
        Console.WriteLine($"| Peak RSS < 400 MB at max rate | {Report.Megabytes(peakRss)} | {Report.Check(peakRss < 400L * 1024 * 1024)} |");
        Console.WriteLine($"| Every acknowledged webhook stored exactly once | {(exactlyOnce ? "yes" : "no")} | {Report.Check(exactlyOnce)} |");
        if (args.Flag("reads"))
        {
            Console.WriteLine();
            await Reads.ReadsBenchmark.RunAsync(args, environment);
        }
        return exactlyOnce ? 0 : 2;

        static void Row(string name, List<IngestResult> results)
        {
            var endToEnd = results[0].Settings.Target == Target.Baseline ? "" : Median(results, r => r.EndToEndPerSecond).ToString("0", CultureInfo.InvariantCulture);
            var latency = results[0].Settings.Target == Target.Baseline ? ""
                : $"{Report.Ms(Median(results, r => r.PushP50Ms))} / {Report.Ms(Median(results, r => r.PushP95Ms))} / {Report.Ms(Median(results, r => r.PushP99Ms))}";
            var once = results[0].Settings.Target == Target.Baseline ? ""
                : results.All(r => r.ExactlyOnce?.Holds == true) ? "yes" : "NO: " + results.First(r => r.ExactlyOnce?.Holds != true).ExactlyOnce;
            Console.WriteLine($"| {name} | {Median(results, r => r.AcceptedPerSecond):0} | {endToEnd} | {latency} | {Report.Megabytes((long)Median(results, r => r.PeakResidentBytes))} | {once} |");
        }
    }

    /// <summary>The machine's load averages: figures from a busy machine are only indicative.</summary>
    public static string Load()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }
}
