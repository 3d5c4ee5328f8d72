using System.Text.RegularExpressions;
using Crm.Contracts;

namespace Crm.Connectors.Connections;

/// <summary>What a template catalog may hold, whoever writes it (an admin by hand, or a provider sync).</summary>
public static partial class TemplateRules
{
    public const int MaxTemplates = 500;
    public const int MaxBodyLength = 2048;
    public const int MaxVariables = 30;

    public static Dictionary<string, string[]> Check(IReadOnlyList<MessageTemplate>? templates)
    {
        var errors = new Dictionary<string, string[]>();
        if (templates is null)
        {
            errors["templates"] = ["templates is required (an empty list clears the catalog)."];
            return errors;
        }
        if (templates.Count > MaxTemplates) errors["templates"] = [$"At most {MaxTemplates} templates per connection."];
        var seen = new HashSet<(string, string?)>();
        for (var i = 0; i < Math.Min(templates.Count, MaxTemplates); i++)
        {
            var template = templates[i];
            var at = $"templates[{i}]";
            if (template is null) { errors[at] = ["A template is required here."]; continue; }
            if (!Plain(template.Id, 200)) errors[$"{at}.id"] = ["id must be the provider's template id or name: 1 to 200 characters."];
            if (!Plain(template.Name, 200)) errors[$"{at}.name"] = ["name must be 1 to 200 characters."];
            if (template.Language is { } language && !Plain(language, 20)) errors[$"{at}.language"] = ["language must be a code such as en_US."];
            if (template.Body is null || template.Body.Length > MaxBodyLength) errors[$"{at}.body"] = [$"body must be at most {MaxBodyLength} characters."];
            if (template.Variables is null || template.Variables.Count > MaxVariables || template.Variables.Any(v => v is null || !VariableName().IsMatch(v)))
                errors[$"{at}.variables"] = [$"variables must be at most {MaxVariables} names of letters, digits and '_'."];
            if (!seen.Add((template.Id ?? "", template.Language))) errors[$"{at}.id"] = ["Two templates have this id and language."];
        }
        return errors;
    }

    /// <summary>Trimmed and without repeated variable names, in the catalog's order.</summary>
    public static IReadOnlyList<MessageTemplate> Normalize(IReadOnlyList<MessageTemplate> templates)
        => templates.Select(t => t with
        {
            Id = t.Id.Trim(), Name = t.Name.Trim(), Language = string.IsNullOrWhiteSpace(t.Language) ? null : t.Language.Trim(),
            Variables = t.Variables.Distinct(StringComparer.Ordinal).ToList(),
        }).ToList();

    private static bool Plain(string? value, int max) => value is { Length: > 0 } && value.Trim().Length > 0 && value.Length <= max && !value.Any(char.IsControl);

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableName();
}
