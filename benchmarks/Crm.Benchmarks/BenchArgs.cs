using System.Globalization;

namespace Crm.Benchmarks;

/// <summary>The command line: a command, then <c>--name value</c> pairs (or bare <c>--flag</c>s).</summary>
public sealed class BenchArgs
{
    private readonly Dictionary<string, string> values = new(StringComparer.OrdinalIgnoreCase);

    public string Command { get; }

    private BenchArgs(string command) => Command = command;

    public static BenchArgs Parse(string[] args)
    {
        var hasCommand = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal);
        var parsed = new BenchArgs(hasCommand ? args[0] : "help");
        for (var i = hasCommand ? 1 : 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"Unexpected argument '{args[i]}': options are --name value.");
            var name = args[i][2..];
            var separator = name.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0) parsed.values[name[..separator]] = name[(separator + 1)..];
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) parsed.values[name] = args[++i];
            else parsed.values[name] = "true";
        }
        return parsed;
    }

    public string Text(string name, string fallback) => values.TryGetValue(name, out var value) ? value : fallback;

    public int Int(string name, int fallback) => values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public double Number(string name, double fallback) => values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => values.TryGetValue(name, out var value) && value != "false";
}
