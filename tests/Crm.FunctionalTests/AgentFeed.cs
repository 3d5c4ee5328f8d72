using Crm.Inbox.Agents;
using Crm.Inbox.Assignment;
using Crm.Inbox.Customers.Import;
using Crm.Inbox.Timelines;
using Microsoft.AspNetCore.SignalR.Client;

namespace Crm.FunctionalTests;

/// <summary>Collects hub pushes so tests can wait for the one they expect.</summary>
public sealed class AgentFeed : IAsyncDisposable
{
    private static readonly TimeSpan PatienceLimit = TimeSpan.FromSeconds(20);
    private readonly HubConnection connection;
    private readonly List<(string Kind, object Payload)> received = [];
    private readonly SemaphoreSlim arrived = new(0);

    public AgentFeed(HubConnection connection)
    {
        this.connection = connection;
        // A batch arrives as one push; tests wait for its messages and conversations one by one.
        connection.On<MessagesAddedPush>("MessagesAdded", push =>
        {
            foreach (var message in push.Messages) Record("MessageAdded", message);
            foreach (var conversation in push.Conversations) Record("ConversationUpdated", conversation);
        });
        connection.On<TimelineMessage>("MessageStatusChanged", m => Record("MessageStatusChanged", m));
        connection.On<ConversationReadPush>("ConversationRead", r => Record("ConversationRead", r));
        connection.On<PresencePush>("AgentViewing", p => Record("AgentViewing", p));
        connection.On<PresencePush>("AgentTyping", p => Record("AgentTyping", p));
        connection.On<MentionPush>("Mentioned", m => Record("Mentioned", m));
        connection.On<AssignmentApi.AvailabilityView>("AvailabilityChanged", a => Record("AvailabilityChanged", a));
        connection.On<CustomerChangedPush>("CustomerChanged", c => Record("CustomerChanged", c));
        connection.On<CustomersMergedPush>("CustomersMerged", m => Record("CustomersMerged", m));
        connection.On<CustomerImportProgressPush>("CustomerImportProgressed", p => Record("CustomerImportProgressed", p));
    }

    public Task<TimelineMessage> MessageAddedAsync(Func<TimelineMessage, bool> match) => WaitForAsync("MessageAdded", match);

    public Task<TimelineMessage> MessageStatusAsync(Func<TimelineMessage, bool> match) => WaitForAsync("MessageStatusChanged", match);

    public Task<Conversation> ConversationUpdatedAsync(Func<Conversation, bool> match) => WaitForAsync("ConversationUpdated", match);

    public Task<ConversationReadPush> ConversationReadAsync(Func<ConversationReadPush, bool> match) => WaitForAsync("ConversationRead", match);

    public Task<MentionPush> WaitForMentionAsync(Func<MentionPush, bool> match) => WaitForAsync("Mentioned", match);

    public Task<AssignmentApi.AvailabilityView> AvailabilityChangedAsync(Func<AssignmentApi.AvailabilityView, bool> match)
        => WaitForAsync("AvailabilityChanged", match);

    public Task<CustomerChangedPush> CustomerChangedAsync(Func<CustomerChangedPush, bool> match) => WaitForAsync("CustomerChanged", match);

    public Task<CustomersMergedPush> CustomersMergedAsync(Func<CustomersMergedPush, bool> match) => WaitForAsync("CustomersMerged", match);

    public Task<CustomerImportProgressPush> ImportProgressedAsync(Func<CustomerImportProgressPush, bool> match) => WaitForAsync("CustomerImportProgressed", match);

    public Task<PresencePush> PresenceAsync(string kind, Func<PresencePush, bool> match) => WaitForAsync(kind, match);

    /// <summary>Calls a hub method as the agent's web app would (viewing, typing).</summary>
    public Task SendAsync(string method, params object?[] arguments) => connection.SendCoreAsync(method, arguments);

    public IReadOnlyList<object> All(string kind)
    {
        lock (received) return received.Where(r => r.Kind == kind).Select(r => r.Payload).ToList();
    }

    private void Record(string kind, object payload)
    {
        lock (received) received.Add((kind, payload));
        arrived.Release();
    }

    private async Task<T> WaitForAsync<T>(string kind, Func<T, bool> match)
    {
        // A guard against hanging, not a speed requirement.
        using var patience = new CancellationTokenSource(PatienceLimit);
        while (true)
        {
            lock (received)
            {
                foreach (var (k, payload) in received)
                    if (k == kind && payload is T typed && match(typed)) return typed;
            }
            try { await arrived.WaitAsync(patience.Token); }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {kind} push matched within {PatienceLimit.TotalSeconds} s. Received: {Summary()}.");
            }
        }
    }

    /// <summary>What did arrive, to tell "nothing came" from "something else came" when a wait fails.</summary>
    private string Summary()
    {
        lock (received)
        {
            return received.Count == 0
                ? "nothing"
                : string.Join(", ", received.Select(r => r.Payload switch
                {
                    TimelineMessage m => $"{r.Kind}({m.ChannelMessageId ?? m.Id.ToString()}, {m.Status})",
                    Conversation c => $"{r.Kind}({c.Id})",
                    _ => r.Kind,
                }));
        }
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
