using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Connectors.Connections;
using Crm.Contracts;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>
/// Templates as the Cloud API wants them sent, and its catalog as Crm keeps it. A catalog variable is named as the
/// template's placeholder: <c>1</c>, <c>2</c>… for a positional body, <c>customer_name</c> for a named one
/// (<c>parameter_format: NAMED</c>), and <c>header_1</c> / <c>header_customer_name</c> for a text header's.
/// </summary>
public static class WhatsAppCloudTemplates
{
    public const string HeaderPrefix = "header_";

    /// <summary>
    /// The <c>template</c> object of a send: positional parameters in their number's order, named ones with their
    /// <c>parameter_name</c>, header variables in a <c>header</c> component; no components when there are no variables.
    /// </summary>
    public static JsonObject Build(string name, string language, IReadOnlyDictionary<string, string> variables)
    {
        var template = new JsonObject
        {
            ["name"] = name,
            ["language"] = new JsonObject { ["code"] = language },
        };
        var header = Parameters(variables.Where(v => v.Key.StartsWith(HeaderPrefix, StringComparison.Ordinal))
            .Select(v => KeyValuePair.Create(v.Key[HeaderPrefix.Length..], v.Value)));
        var body = Parameters(variables.Where(v => !v.Key.StartsWith(HeaderPrefix, StringComparison.Ordinal)));
        var components = new JsonArray();
        if (header.Count > 0) components.Add(new JsonObject { ["type"] = "header", ["parameters"] = header });
        if (body.Count > 0) components.Add(new JsonObject { ["type"] = "body", ["parameters"] = body });
        if (components.Count > 0) template["components"] = components;
        return template;
    }

    /// <summary>Numbered variables fill the positions in order; any other name is a named parameter.</summary>
    private static JsonArray Parameters(IEnumerable<KeyValuePair<string, string>> variables)
    {
        var list = variables.ToList();
        var parameters = new JsonArray();
        foreach (var (_, value) in list.Where(v => IsPosition(v.Key)).OrderBy(v => int.Parse(v.Key, CultureInfo.InvariantCulture)))
            parameters.Add(new JsonObject { ["type"] = "text", ["text"] = value });
        foreach (var (key, value) in list.Where(v => !IsPosition(v.Key)).OrderBy(v => v.Key, StringComparer.Ordinal))
            parameters.Add(new JsonObject { ["type"] = "text", ["parameter_name"] = key, ["text"] = value });
        return parameters;
    }

    private static bool IsPosition(string name) => name.Length is > 0 and <= 3 && name.All(char.IsAsciiDigit);

    /// <summary>
    /// The approved templates of one page of <c>GET /{waba-id}/message_templates</c>, as catalog entries. A template Crm
    /// cannot hold (a body longer than the catalog allows, too many variables) is left out and named in <paramref name="left"/>.
    /// </summary>
    public static List<MessageTemplate> ReadPage(JsonElement data, List<string> left)
    {
        var templates = new List<MessageTemplate>();
        if (data.ValueKind != JsonValueKind.Array) return templates;
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || Text(item, "status") != "APPROVED" || Text(item, "name") is not { } name) continue;
            string? body = null, header = null;
            if (item.TryGetProperty("components", out var components) && components.ValueKind == JsonValueKind.Array)
            {
                foreach (var component in components.EnumerateArray())
                {
                    switch (Text(component, "type"))
                    {
                        case "BODY": body = Text(component, "text"); break;
                        case "HEADER" when Text(component, "format") is null or "TEXT": header = Text(component, "text"); break;
                    }
                }
            }
            var variables = Placeholders(header).Select(v => HeaderPrefix + v).Concat(Placeholders(body)).Distinct(StringComparer.Ordinal).ToList();
            var template = new MessageTemplate(name, name, Text(item, "language"), body ?? "", variables) { Category = Text(item, "category") };
            if (TemplateRules.Check([template]).Count > 0)
            {
                left.Add($"{name} ({template.Language})");
                continue;
            }
            templates.Add(template);
        }
        return templates;
    }

    private static IEnumerable<string> Placeholders(string? text) => text is null ? [] : MessageTemplate.PlaceholdersIn(text);

    private static string? Text(JsonElement element, string property)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
