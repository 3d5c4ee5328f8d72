using Crm.Inbox.Agents;
using Crm.Inbox.Storage;
using Crm.Inbox.Timelines;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Conversations;

public sealed class ConversationOptions
{
    public const string Section = "Crm:Conversations";

    /// <summary>How often snoozed conversations are checked; one wakes at most this late.</summary>
    public TimeSpan SnoozeCheckInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Opens snoozed conversations when their time comes, each with an activity entry, and tells their agents.</summary>
public sealed class SnoozeWaker(IInboxStore store, AgentNotifier agents, Assignment.AssignmentSignal assignment, IOptions<ConversationOptions> options, TimeProvider clock,
    ILogger<SnoozeWaker> logger) : BackgroundService
{
    private const int Batch = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SnoozeCheckInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                IReadOnlyList<ConversationChanged> woken;
                do
                {
                    woken = await store.WakeSnoozedAsync(clock.GetUtcNow(), Batch, stoppingToken);
                    foreach (var changed in woken)
                    {
                        await agents.MessagesAddedAsync(changed.Entries.Select(entry => new StoredInbound(entry, changed.Conversation)).ToList());
                        if (changed.Conversation.QueuedAt is not null) assignment.Wake(changed.Conversation.WorkspaceId);
                    }
                } while (woken.Count == Batch);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The store is unreachable for now: the next tick tries again, nothing is lost meanwhile.
                logger.LogWarning(error, "Could not wake snoozed conversations");
            }
        }
    }
}
