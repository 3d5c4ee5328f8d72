using System.Text.RegularExpressions;
using Crm.Inbox.Workspaces;

namespace Crm.Inbox.Conversations;

/// <summary>Who a note @mentions: an active agent of the workspace, by the name part of their email or their name without spaces.</summary>
public static partial class Mentions
{
    public static IReadOnlyList<Guid> In(string text, IReadOnlyList<Agent> workspaceAgents)
    {
        var handles = Handle().Matches(text).Select(match => match.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (handles.Count == 0) return [];
        return workspaceAgents
            .Where(agent => agent.IsActive
                            && (handles.Contains(agent.Email.Split('@')[0]) || handles.Contains(agent.Name.Replace(" ", "", StringComparison.Ordinal))))
            .Select(agent => agent.Id)
            .ToList();
    }

    // "@ann" or "@ann.lee" (a sentence's final dot is not part of it), but not inside an email address like "x@ann.com".
    [GeneratedRegex(@"(?<![\w.@])@([A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?)")]
    private static partial Regex Handle();
}
