namespace Crm.Inbox.Customers;

/// <summary>The lifecycle stages a workspace puts its customers in, in order.</summary>
public static class LifecycleStages
{
    /// <summary>What a workspace that never chose its own stages uses.</summary>
    public static readonly IReadOnlyList<string> Default = ["lead", "customer", "vip", "churned"];

    /// <summary>The stage as the workspace spells it, matched case-insensitively; null when it is not one of them.</summary>
    public static string? Canonical(IReadOnlyList<string> stages, string stage)
        => stages.FirstOrDefault(s => string.Equals(s, stage, StringComparison.OrdinalIgnoreCase));
}

/// <summary>What replacing a workspace's stages did: the stages now, or (refused) how many customers hold each stage it would remove.</summary>
public sealed record LifecycleStagesChange(bool Changed, IReadOnlyList<string> Stages, IReadOnlyDictionary<string, long> HeldBy);

/// <summary>A workspace's lifecycle stages (one list per workspace).</summary>
public interface ILifecycleStageStore
{
    /// <summary>The workspace's stages, or <see cref="LifecycleStages.Default"/> when it never set any.</summary>
    Task<IReadOnlyList<string>> GetLifecycleStagesAsync(Guid workspaceId, CancellationToken ct = default);

    /// <summary>
    /// Replaces the list. Refused (nothing changes) when a stage it drops (compared case-insensitively) is still a customer's
    /// stage: counted in the same transaction, so a profile never points at a stage the workspace no longer has because of it.
    /// </summary>
    Task<LifecycleStagesChange> SetLifecycleStagesAsync(Guid workspaceId, IReadOnlyList<string> stages, DateTimeOffset now, CancellationToken ct = default);
}
