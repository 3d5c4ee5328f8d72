namespace Crm.Benchmarks;

public static class Help
{
    public const string Text = """
        Crm benchmarks: the message path (webhook -> store -> agent push) against a bare-Kestrel baseline and raw RabbitMQ.
        Everything runs as separate processes on 127.0.0.1. Run from the repository, in Release:
          dotnet run -c Release --project benchmarks/Crm.Benchmarks -- <command> [options]

        Commands
          ingest        closed loop: --clients N send webhooks as fast as answered      (--target, --clients 32, --seconds 20)
          open-loop     webhooks fall due at a fixed rate                                (--target, --rate 1000, --seconds 20)
          rabbitmq-raw  durable queue, persistent messages, confirms, publish->consume  (--publishers 32, --seconds 20, --message-bytes 1400)
          reads         list, timeline and search reads at 10k, 100k, 1M stored messages (--sizes 10000,100000,1000000, --repeats 50)
          segments      a 3-condition segment's count + first page over --customers 100000 and --messages 1000000 (--repeats 30)
          all           the table: baseline, embedded, open loop, raw RabbitMQ, distributed (--split adds the two-process variant),
                        medians of --runs 3, with ratios to the baselines and the targets; --reads adds the reads table
          serve-baseline  (used by the harness) the bare-Kestrel baseline server         (--port)

        Options
          --target baseline|embedded|distributed|distributed-split   (default embedded)
          --drain-seconds 300   how long to wait for pushes after the load; --stall-seconds 30 gives up sooner when none come
          --senders 1000        customers the webhooks are spread over; --warmup-seconds 20 of load first (at most --warmup 100000 webhooks), not counted
          --max-webhooks 300000 webhooks built before a closed-loop run (a run also ends when they are used up)
          --rabbitmq amqp://guest:guest@localhost:5672/   --redis localhost:6379   (Distributed targets, rabbitmq-raw)
          --no-build            skip building src/Gateway in Release first;  --keep  keep each run's logs and database
          --json results.jsonl  also append every result to this file, one JSON line each
        """;
}
