using System.Text;
using CsvHelper;

namespace Crm.Inbox.Customers.Import;

/// <summary>
/// Reading an uploaded CSV: UTF-8 (a byte order mark or not), the separator sniffed from the header line, the first line
/// the headers. Rows are numbered from 1, the first data row (the header is not counted).
/// </summary>
public static class CustomerImportCsv
{
    public const int MaxColumns = 200;
    public const int MaxHeaderLength = 200;
    public const int PreviewRows = 5;

    /// <summary>Larger than any real customer record; a stray quote cannot make one row swallow the whole file.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>What a file holds, or why it cannot be imported.</summary>
    public sealed record Inspection(string Delimiter, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Preview, int Total);

    /// <summary>
    /// The separator of the header line: whichever of comma, semicolon (Excel in much of Europe) and tab appears most outside
    /// quotes; a comma when none does (a file of one column).
    /// </summary>
    public static char SniffDelimiter(ReadOnlySpan<byte> file)
    {
        if (file.StartsWith(Bom)) file = file[Bom.Length..];
        int commas = 0, semicolons = 0, tabs = 0;
        var quoted = false;
        foreach (var b in file)
        {
            if (b == (byte)'"') quoted = !quoted;
            else if (quoted) continue;
            else if (b is (byte)'\n' or (byte)'\r') break;
            else if (b == (byte)',') commas++;
            else if (b == (byte)';') semicolons++;
            else if (b == (byte)'\t') tabs++;
        }
        if (semicolons > commas && semicolons >= tabs) return ';';
        if (tabs > commas && tabs > semicolons) return '\t';
        return ',';
    }

    /// <summary>The file's headers, first rows and row count; or the problem, in words for the agent.</summary>
    public static (Inspection? Inspection, string? Problem) Inspect(byte[] file)
    {
        if (file.Length == 0 || (file.Length == Bom.Length && file.AsSpan().StartsWith(Bom))) return (null, "The file is empty.");
        try
        {
            // Strictly UTF-8: a file saved in GB18030 or Latin-1 would otherwise import as garbled names.
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(file);
        }
        catch (DecoderFallbackException)
        {
            return (null, "The file must be UTF-8 text (in Excel: Save As → CSV UTF-8).");
        }
        var delimiter = SniffDelimiter(file);
        using var reader = Open(file, delimiter);
        reader.ReadHeader();
        var headers = reader.Headers.Select(h => h.Trim()).ToList();
        if (headers.Count == 0 || headers.All(h => h.Length == 0)) return (null, "The first line must name the columns.");
        if (headers.Count > MaxColumns) return (null, $"At most {MaxColumns} columns.");
        if (headers.FirstOrDefault(h => h.Length == 0) is not null) return (null, "Every column needs a name in the first line.");
        if (headers.FirstOrDefault(h => h.Length > MaxHeaderLength) is not null) return (null, $"Column names must be at most {MaxHeaderLength} characters.");
        var twice = headers.GroupBy(h => h, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) return (null, $"The column \"{twice.Key}\" appears twice.");

        var preview = new List<IReadOnlyList<string>>();
        var total = 0;
        try
        {
            while (reader.Read())
            {
                total++;
                if (preview.Count < PreviewRows) preview.Add(Cells(reader));
            }
        }
        catch (CsvFormatException)
        {
            return (null, $"Row {total + 1} is longer than {MaxRecordBytes / 1024} KB: is a quote left open?");
        }
        if (total == 0) return (null, "The file has no rows under its header line.");
        return (new Inspection(delimiter == '\t' ? "\t" : delimiter.ToString(), headers, preview, total), null);
    }

    /// <summary>The data rows from <paramref name="fromRow"/> on, each with its number.</summary>
    public static IEnumerable<(int RowNumber, string[] Cells)> ReadRows(byte[] file, string delimiter, int fromRow)
    {
        using var reader = Open(file, delimiter[0]);
        reader.ReadHeader();
        var row = 0;
        while (reader.Read())
        {
            row++;
            if (row < fromRow) continue;
            yield return (row, Cells(reader));
        }
    }

    private static string[] Cells(CsvReader reader)
    {
        var cells = new string[reader.FieldCount];
        for (var i = 0; i < cells.Length; i++) cells[i] = reader.GetString(i) ?? "";
        return cells;
    }

    private static CsvReader Open(byte[] file, char delimiter)
        => CsvReader.Create(file, CsvReaderOptions.Default with
        {
            Separator = delimiter,
            HasHeader = true,
            SkipEmptyLines = true,
            MaxRecordSize = MaxRecordBytes,
            // Cells are personal data: parse errors must not carry them into logs.
            IncludeValuesInExceptions = false,
        });
}
