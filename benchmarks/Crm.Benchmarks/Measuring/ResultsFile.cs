using System.Text.Json;
using System.Text.Json.Serialization;

namespace Crm.Benchmarks.Measuring;

/// <summary>With <c>--json path</c>, every result is also appended to that file as one JSON line, for tables and comparisons.</summary>
public static class ResultsFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static string? path;

    public static void Configure(string? jsonPath) => path = string.IsNullOrEmpty(jsonPath) ? null : Path.GetFullPath(jsonPath);

    public static void Append(string measurement, object result)
    {
        if (path is null) return;
        var line = JsonSerializer.Serialize(new { measurement, at = DateTimeOffset.UtcNow, load = AllBenchmarks.Load(), result }, Json);
        File.AppendAllText(path, line + Environment.NewLine);
    }
}
