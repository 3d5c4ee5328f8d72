using System.Text.RegularExpressions;

namespace Crm.Contracts;

/// <summary>
/// A template of a channel connection's catalog: what an agent or a campaign may send when the reply window is
/// closed. <see cref="Id"/> is what the provider sends it by (a Twilio Content SID, a WhatsApp Cloud template's
/// name, a WeChat template id); <see cref="Variables"/> are the names its placeholders use in <see cref="Body"/>
/// (<c>{{1}}</c>, <c>{{customer_name}}</c>, WeChat's <c>{{first.DATA}}</c>), each to be given a value when sending.
/// </summary>
public sealed partial record MessageTemplate(string Id, string Name, string? Language, string Body, IReadOnlyList<string> Variables)
{
    /// <summary>The provider's category (MARKETING, UTILITY…), when it says.</summary>
    public string? Category { get; init; }

    /// <summary>The body with each placeholder replaced by its value, as the customer will read it (for the timeline).</summary>
    public string Render(IReadOnlyDictionary<string, string> values)
        => Placeholder().Replace(Body, match => values.TryGetValue(match.Groups["name"].Value, out var value) ? value : match.Value);

    /// <summary>The variables <paramref name="values"/> leaves without a value (blank counts as none).</summary>
    public IReadOnlyList<string> Missing(IReadOnlyDictionary<string, string> values)
        => Variables.Where(name => !values.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value)).ToList();

    /// <summary>The variable names <paramref name="body"/>'s placeholders use, in order of first use.</summary>
    public static IReadOnlyList<string> PlaceholdersIn(string body)
        => Placeholder().Matches(body).Select(match => match.Groups["name"].Value).Distinct(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"\{\{\s*(?<name>[A-Za-z0-9_]+)(\.DATA)?\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
