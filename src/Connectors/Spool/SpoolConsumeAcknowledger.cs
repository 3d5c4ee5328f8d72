using System.Collections.Concurrent;
using System.Globalization;
using MassTransit;

namespace Crm.Connectors.Spool;

/// <summary>
/// With the in-memory bus, a spooled message is forgotten only once the inbox has consumed it without
/// fault: the bus itself would lose it in a crash. Faulted messages stay spooled and are handed over again.
/// It only collects what was consumed; the <see cref="SpoolForwarder"/> forgets those rows.
/// </summary>
public sealed class SpoolConsumeAcknowledger : IReceiveObserver
{
    public const string SeqHeader = "Crm-Spool-Seq";

    private readonly ConcurrentQueue<long> consumed = new();

    /// <summary>Consumed messages the spool has not forgotten yet.</summary>
    public int Pending => consumed.Count;

    public bool TryTake(out long seq) => consumed.TryDequeue(out seq);

    public Task PostReceive(ReceiveContext context)
    {
        if (!context.IsFaulted
            && context.TransportHeaders.TryGetHeader(SeqHeader, out var value)
            && long.TryParse(value?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            consumed.Enqueue(seq);
        }
        return Task.CompletedTask;
    }

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;
}
