using System.Collections.Concurrent;

namespace Crm.Inbox.Workspaces;

/// <summary>
/// Whether a token's session is still current: its agent exists, is active and still has the token's session
/// stamp. Every authenticated request asks, so the answer is kept for a moment; changes made in this process
/// forget it at once, changes made by another process are seen within <see cref="CacheFor"/>.
/// </summary>
public sealed class AgentSessionCheck(IAgentStore agents, TimeProvider clock)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, (bool Active, string Stamp, DateTimeOffset CheckedAt)> recent = new();

    public async Task<bool> IsCurrentAsync(Guid agentId, string? sessionStamp, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        if (!recent.TryGetValue(agentId, out var known) || now - known.CheckedAt > CacheFor)
        {
            var agent = await agents.GetAsync(agentId, ct);
            known = (agent?.IsActive == true, agent?.SessionStamp ?? "", now);
            recent[agentId] = known;
        }
        return known.Active && known.Stamp.Length > 0 && known.Stamp == sessionStamp;
    }

    public void Forget(Guid agentId) => recent.TryRemove(agentId, out _);
}
