using System.Text.RegularExpressions;

namespace Crm.Inbox.Conversations;

/// <summary>A workspace-defined label agents put on conversations and on customers.</summary>
public sealed record Label(Guid Id, Guid WorkspaceId, string Name, string Color, DateTimeOffset CreatedAt);

/// <summary>The workspace's labels. Names are unique within a workspace, whatever their case.</summary>
public interface ILabelStore
{
    /// <summary>Adds the label; null when the workspace already has one of that name.</summary>
    Task<Label?> AddLabelAsync(Label label, CancellationToken ct = default);

    Task<IReadOnlyList<Label>> ListLabelsAsync(Guid workspaceId, CancellationToken ct = default);

    Task<Label?> GetLabelAsync(Guid workspaceId, Guid id, CancellationToken ct = default);

    /// <summary>Renames or recolours it; null when it does not exist, or the new name is another label's.</summary>
    Task<Label?> UpdateLabelAsync(Guid workspaceId, Guid id, string name, string color, CancellationToken ct = default);

    /// <summary>Deletes the label and takes it off every conversation and every customer. False when it does not exist.</summary>
    Task<bool> DeleteLabelAsync(Guid workspaceId, Guid id, CancellationToken ct = default);
}

public static partial class LabelRules
{
    public const int MaxNameLength = 50;

    /// <summary>A problem with the name or colour, in words; null when both are fine.</summary>
    public static string? Problem(string? name, string? color)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaxNameLength) return $"name must be 1 to {MaxNameLength} characters.";
        if (color is null || !Color().IsMatch(color)) return "color must be a hex colour like #1f6feb.";
        return null;
    }

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex Color();
}
