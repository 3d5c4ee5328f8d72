using System.Globalization;
using CsvHelper;

namespace Crm.Inbox.Customers;

/// <summary>
/// How Crm writes every CSV an agent downloads (segment exports, an import's rejected rows): UTF-8 with a byte order mark,
/// so Excel reads names in any script, and cells starting with = + - @ (or a tab or CR) get a leading ' so a spreadsheet
/// never runs a customer's text as a formula (CsvHelper's injection escaping).
/// </summary>
public static class SpreadsheetCsv
{
    public static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        Injection = CsvInjection.Escape, WriteByteOrderMark = true, FormatProvider = CultureInfo.InvariantCulture,
    };
}
