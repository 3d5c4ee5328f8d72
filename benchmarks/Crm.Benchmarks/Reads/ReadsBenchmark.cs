using Crm.Benchmarks.Hosting;

namespace Crm.Benchmarks.Reads;

public static class ReadsBenchmark
{
    public static Task RunAsync(BenchArgs args, BenchEnvironment environment) => throw new NotImplementedException();
}
