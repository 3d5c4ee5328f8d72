using System.Collections.Concurrent;

namespace Crm.Inbox.Agents;

/// <summary>
/// Which conversations each hub connection of this process has open, so a connection that drops stops viewing
/// them. Each process knows its own connections; with the backplane their pushes reach every process's agents.
/// </summary>
public sealed class ConversationPresence
{
    private readonly ConcurrentDictionary<string, HashSet<Guid>> viewing = new();

    /// <summary>Records it; false when nothing changed (a repeated "viewing"), so nothing is pushed.</summary>
    public bool SetViewing(string connectionId, Guid conversationId, bool active)
    {
        var open = viewing.GetOrAdd(connectionId, _ => []);
        lock (open) return active ? open.Add(conversationId) : open.Remove(conversationId);
    }

    public IReadOnlyList<Guid> Forget(string connectionId)
    {
        if (!viewing.TryRemove(connectionId, out var open)) return [];
        lock (open) return [.. open];
    }
}
