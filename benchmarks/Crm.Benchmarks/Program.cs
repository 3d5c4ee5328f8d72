using Crm.Benchmarks;
using Crm.Benchmarks.Hosting;
using Crm.Benchmarks.Load;
using Crm.Benchmarks.RabbitMq;
using Crm.Benchmarks.Reads;

var options = BenchArgs.Parse(args);
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
