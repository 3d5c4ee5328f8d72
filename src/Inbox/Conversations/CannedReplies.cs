using System.Text.RegularExpressions;
using Fluid;

namespace Crm.Inbox.Conversations;

/// <summary>A reply the workspace keeps ready: agents type <c>/shortcut</c>; Liquid variables are filled per conversation.</summary>
public sealed record CannedReply(Guid Id, Guid WorkspaceId, string Shortcut, string Content, DateTimeOffset CreatedAt);

/// <summary>The workspace's canned replies. Shortcuts are unique within a workspace, whatever their case.</summary>
public interface ICannedReplyStore
{
    /// <summary>Adds it; null when the workspace already has that shortcut.</summary>
    Task<CannedReply?> AddCannedReplyAsync(CannedReply reply, CancellationToken ct = default);

    /// <summary>The workspace's canned replies whose shortcut starts with <paramref name="prefix"/> (all when null), by shortcut.</summary>
    Task<IReadOnlyList<CannedReply>> ListCannedRepliesAsync(Guid workspaceId, string? prefix, CancellationToken ct = default);

    Task<CannedReply?> GetCannedReplyAsync(Guid workspaceId, Guid id, CancellationToken ct = default);

    /// <summary>Null when it does not exist, or the new shortcut is another's.</summary>
    Task<CannedReply?> UpdateCannedReplyAsync(Guid workspaceId, Guid id, string shortcut, string content, CancellationToken ct = default);

    Task<bool> DeleteCannedReplyAsync(Guid workspaceId, Guid id, CancellationToken ct = default);
}

/// <summary>Checks and renders canned replies' Liquid templates (Fluid), with only the values an agent may see.</summary>
public static partial class CannedReplyTemplates
{
    public const int MaxContentLength = 1600;

    private static readonly FluidParser Parser = new();

    /// <summary>A problem with the shortcut or the template, in words; null when both are fine.</summary>
    public static string? Problem(string? shortcut, string? content)
    {
        if (shortcut is null || !Shortcut().IsMatch(shortcut)) return "shortcut must be 1 to 32 letters, digits, '-' or '_'.";
        if (string.IsNullOrWhiteSpace(content) || content.Length > MaxContentLength) return $"content must be 1 to {MaxContentLength} characters.";
        return Parser.TryParse(content, out _, out var error) ? null : $"content is not a valid Liquid template: {error}";
    }

    /// <summary>
    /// Fills the variables: <c>customer.name</c>, <c>customer.identity</c>, <c>agent.name</c>, <c>business.number</c>.
    /// Unknown variables render empty. The result is plain text: nothing is HTML-encoded, the reply is not HTML.
    /// </summary>
    public static async Task<string> RenderAsync(string content, Dictionary<string, object?> customer, Dictionary<string, object?> agent,
        Dictionary<string, object?> business)
    {
        var template = Parser.Parse(content);
        var options = new TemplateOptions();
        var context = new TemplateContext(options);
        context.SetValue("customer", customer);
        context.SetValue("agent", agent);
        context.SetValue("business", business);
        return await template.RenderAsync(context, NullEncoder.Default);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex Shortcut();
}
