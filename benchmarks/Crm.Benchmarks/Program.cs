using Crm.Benchmarks;
using Crm.Benchmarks.Hosting;
using Crm.Benchmarks.Load;
using Crm.Benchmarks.RabbitMq;
using Crm.Benchmarks.Reads;
using System.Runtime.InteropServices;

var options = BenchArgs.Parse(args);
Crm.Benchmarks.Measuring.ResultsFile.Configure(options.Text("json", ""));
// Interrupted, the harness still stops the servers it started; the signal then ends it as usual.
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => ServerProcess.StopAllStarted());
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => ServerProcess.StopAllStarted());
switch (options.Command)
{
    case "serve-baseline":
        return await BaselineServer.RunAsync(options);
    case "ingest":
    case "open-loop":
    {
        var environment = Prepare(options);
        var result = await IngestBenchmark.RunAsync(IngestSettings.From(options, openLoop: options.Command == "open-loop"), environment);
        return result.ExactlyOnce is { Holds: false } ? 2 : 0;
    }
    case "rabbitmq-raw":
        await RawRabbitMqBenchmark.RunAsync(RawRabbitMqSettings.From(options, BenchEnvironment.From(options).RabbitMqUrl));
        return 0;
    case "reads":
        await ReadsBenchmark.RunAsync(options, Prepare(options));
        return 0;
    case "segments":
        await Crm.Benchmarks.Segments.SegmentsBenchmark.RunAsync(options, Prepare(options));
        return 0;
    case "all":
        return await AllBenchmarks.RunAsync(options, Prepare(options));
    default:
        Console.WriteLine(Help.Text);
        return options.Command == "help" ? 0 : 1;
}

static BenchEnvironment Prepare(BenchArgs args)
{
    var environment = BenchEnvironment.From(args);
    environment.EnsureGatewayBuilt(args);
    return environment;
}
