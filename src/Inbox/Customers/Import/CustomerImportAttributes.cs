using System.Globalization;
using System.Text.Json;

namespace Crm.Inbox.Customers.Import;

/// <summary>
/// Reads a CSV cell as a custom attribute's typed value (<see cref="CustomerProfileFields.Attributes"/>): spreadsheets hold
/// text, so a number, a date, a yes/no or a choice is recognised from how people type it.
/// </summary>
public static class CustomerImportAttributes
{
    public const int MaxText = 1000;

    private static readonly HashSet<string> TrueValues = new(StringComparer.OrdinalIgnoreCase) { "true", "yes", "y", "1", "是", "对" };
    private static readonly HashSet<string> FalseValues = new(StringComparer.OrdinalIgnoreCase) { "false", "no", "n", "0", "否", "不" };

    /// <summary>Year-first dates only: 03/04/1990 is March or April depending on the country.</summary>
    public static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy-M-d", "yyyy/MM/dd", "yyyy/M/d", "yyyy.MM.dd", "yyyy.M.d", "yyyy年M月d日"];

    public static CustomerImportRows.AttributeReader ReaderFor(CustomerAttributeDefinition definition) => cell => definition.Type switch
    {
        AttributeTypes.Number => decimal.TryParse(cell, NumberStyles.Number, CultureInfo.InvariantCulture, out var number)
            ? (JsonSerializer.SerializeToElement(number), null) : (null, "Must be a number, e.g. 1234.5."),
        AttributeTypes.Date => DateOnly.TryParseExact(cell, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? (JsonSerializer.SerializeToElement(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), null) : (null, "Must be a date, year first: 2024-03-04."),
        AttributeTypes.Boolean => TrueValues.Contains(cell) ? (JsonSerializer.SerializeToElement(true), null)
            : FalseValues.Contains(cell) ? (JsonSerializer.SerializeToElement(false), null) : (null, "Must be yes or no (true/false, 1/0)."),
        AttributeTypes.Choice => Option(definition, cell) is { } option
            ? (JsonSerializer.SerializeToElement(option), null) : (null, $"Must be one of: {string.Join(", ", definition.Options)}."),
        AttributeTypes.MultiChoice => MultiChoice(definition, cell),
        AttributeTypes.Url => Uri.TryCreate(cell, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && cell.Length <= MaxText
            ? (JsonSerializer.SerializeToElement(cell), null) : (null, "Must be a web address starting with http:// or https://."),
        _ => cell.Length <= MaxText ? (JsonSerializer.SerializeToElement(cell), null) : (null, $"Must be at most {MaxText} characters."),
    };

    private static (JsonElement?, string?) MultiChoice(CustomerAttributeDefinition definition, string cell)
    {
        var chosen = new List<string>();
        foreach (var part in cell.Split([',', ';', '|', '，', '；'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (Option(definition, part) is not { } option) return (null, $"\"{part}\" is not one of: {string.Join(", ", definition.Options)}.");
            if (!chosen.Contains(option)) chosen.Add(option);
        }
        return (JsonSerializer.SerializeToElement(chosen), null);
    }

    /// <summary>The option as the definition spells it, matched ignoring case.</summary>
    private static string? Option(CustomerAttributeDefinition definition, string cell)
        => definition.Options.FirstOrDefault(o => o.Equals(cell, StringComparison.OrdinalIgnoreCase));
}
