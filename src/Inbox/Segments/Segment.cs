using Crm.Inbox.Customers;

namespace Crm.Inbox.Segments;

/// <summary>
/// A saved filter of a workspace. <see cref="FilterJson"/> is the filter as the API accepted it (validated then); it is read
/// again on every use, so a segment is always evaluated against the workspace's current attribute definitions.
/// </summary>
public sealed record Segment(Guid Id, Guid WorkspaceId, string Name, string FilterJson, bool BuiltIn, Guid? CreatedBy, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>What a bulk action does to each matching customer.</summary>
public sealed record BulkAction(string Kind, Guid? LabelId = null, Guid? OwnerAgentId = null, string? AttributeKey = null,
    System.Text.Json.JsonElement? AttributeValue = null)
{
    public const string AddLabel = "addLabel";
    public const string RemoveLabel = "removeLabel";
    public const string SetOwner = "setOwner";
    public const string SetAttribute = "setAttribute";
}

/// <summary>
/// Segments of a workspace: saved filters, and the customers a filter matches, evaluated in the store (SQL on SQLite,
/// a filter document on MongoDB) the same way. Merged-away customers never match.
/// </summary>
public interface ISegmentStore
{
    Task<long> CountSegmentAsync(Guid workspaceId, SegmentGroup filter, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>The matching customers by name then id (as the customer list), strictly after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<CustomerProfile>> ListSegmentAsync(Guid workspaceId, SegmentGroup filter, DateTimeOffset now, CustomerPageCursor? after, int take,
        CancellationToken ct = default);

    /// <summary>The workspace's saved segments (built-ins only when the workspace saved its own version of one), by name.</summary>
    Task<IReadOnlyList<Segment>> ListSegmentsAsync(Guid workspaceId, CancellationToken ct = default);

    Task<Segment?> GetSegmentAsync(Guid workspaceId, Guid id, CancellationToken ct = default);

    /// <summary>Adds the segment, or replaces the workspace's segment of that id (keeping its creator and creation time).</summary>
    Task<Segment> SaveSegmentAsync(Segment segment, CancellationToken ct = default);

    Task<bool> DeleteSegmentAsync(Guid workspaceId, Guid id, CancellationToken ct = default);

    /// <summary>
    /// Applies <paramref name="action"/> to these customers of the workspace in one transaction, with an audit entry per
    /// customer it changed; a customer it would not change is left as it is (so repeating a batch changes nothing).
    /// Returns how many it changed.
    /// </summary>
    Task<int> ApplyBulkActionAsync(Guid workspaceId, IReadOnlyList<Guid> customerIds, BulkAction action, Guid? changedBy, DateTimeOffset now,
        CancellationToken ct = default);

    /// <summary>
    /// The profiles (of a page this store listed) with their behaviour and consents filled in, as one profile read shows them:
    /// what an export writes beyond the list's fields.
    /// </summary>
    Task<IReadOnlyList<CustomerProfile>> WithBehaviourAndConsentsAsync(IReadOnlyList<CustomerProfile> profiles, CancellationToken ct = default);
}
