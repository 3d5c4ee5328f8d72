using System.Globalization;
using Crm.Benchmarks.Load;
using Crm.Benchmarks.RabbitMq;

namespace Crm.Benchmarks.Measuring;

public static class Report
{
    public static string Megabytes(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " MB";

    public static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString(ms < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms";

    public static void Print(IngestResult result)
    {
        Console.WriteLine($"  accepted       {result.AcceptedPerSecond,10:0} /s   ({result.Acknowledged} acknowledged, {result.NotAcknowledged} not, in {result.LoadTime.TotalSeconds:0.0} s)");
        if (result.Settings.Target == Hosting.Target.Baseline)
        {
            Console.WriteLine($"  peak RSS       {Megabytes(result.PeakResidentBytes)}");
            return;
        }
        Console.WriteLine($"  end to end     {result.EndToEndPerSecond,10:0} /s   ({result.Pushed} pushed; {(result.Drained ? "all" : "NOT all")} acknowledged pushed, drain {result.DrainTime.TotalSeconds:0.0} s)");
        Console.WriteLine($"  webhook->push  p50 {Ms(result.PushP50Ms)}  p95 {Ms(result.PushP95Ms)}  p99 {Ms(result.PushP99Ms)}");
        Console.WriteLine($"  webhook answer p50 {Ms(result.AnswerP50Ms)}  p99 {Ms(result.AnswerP99Ms)}");
        Console.WriteLine($"  peak RSS       {Megabytes(result.PeakResidentBytes)} (largest backlog {result.LargestBacklog} messages acknowledged, not yet pushed)");
        Console.WriteLine($"  exactly once   {(result.ExactlyOnce?.Holds == true ? "yes" : "NO")}: {result.ExactlyOnce}; repeated pushes {result.RepeatedPushes}");
        if (result.FirstFailure is { } failure) Console.WriteLine($"  first failure  {failure}");
    }

    public static void Print(RawRabbitMqResult result)
    {
        Console.WriteLine($"  published      {result.PublishedPerSecond,10:0} /s   ({result.Published} confirmed in {result.PublishTime.TotalSeconds:0.0} s)");
        Console.WriteLine($"  end to end     {result.EndToEndPerSecond,10:0} /s   ({result.Consumed} consumed)");
        Console.WriteLine($"  publish->consume p50 {Ms(result.P50Ms)}  p95 {Ms(result.P95Ms)}  p99 {Ms(result.P99Ms)}");
    }

    public static string Ratio(double part, double whole) => whole > 0 ? (part / whole).ToString("P0", CultureInfo.InvariantCulture) : "-";

    public static string Check(bool met) => met ? "met" : "NOT met";
}
