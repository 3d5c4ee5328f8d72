using System.Text;
using Crm.Inbox.Customers.Import;

namespace Crm.Inbox.Tests.Customers.Import;

/// <summary>How an uploaded CSV is read: encoding, separator, headers, preview and rows.</summary>
public sealed class CustomerImportCsvTests
{
    private static byte[] Utf8(string text, bool bom = false) => [.. bom ? (byte[])[0xEF, 0xBB, 0xBF] : [], .. Encoding.UTF8.GetBytes(text)];

    [Theory]
    [InlineData("Name,Phone,Email\nAnn,1,a", ',')]
    [InlineData("Name;Phone;Email\nAnn;1,5;a", ';')]
    [InlineData("Name\tPhone\tEmail\nAnn\t1\ta", '\t')]
    [InlineData("Name\nAnn", ',')]
    [InlineData("\"Last, First\";Phone\nAnn;1", ';')]
    public void The_separator_is_the_one_the_header_line_uses_outside_quotes(string file, char expected)
        => Assert.Equal(expected, CustomerImportCsv.SniffDelimiter(Utf8(file)));

    [Fact]
    public void A_file_with_a_byte_order_mark_reads_its_first_header_without_it()
    {
        var (inspection, problem) = CustomerImportCsv.Inspect(Utf8("姓名;电话\n张三;13800138000\n", bom: true));

        Assert.Null(problem);
        Assert.Equal(";", inspection!.Delimiter);
        Assert.Equal(["姓名", "电话"], inspection.Headers);
        Assert.Equal([["张三", "13800138000"]], inspection.Preview);
        Assert.Equal(1, inspection.Total);
    }

    [Fact]
    public void Inspection_counts_every_row_and_previews_the_first_five_with_quoted_cells_unescaped()
    {
        var rows = string.Join("\n", Enumerable.Range(1, 8).Select(i => $"\"Name {i}, Jr\",\"say \"\"hi\"\"\""));
        var (inspection, _) = CustomerImportCsv.Inspect(Utf8("Name,Notes\n" + rows + "\n\n"));

        Assert.Equal(8, inspection!.Total);
        Assert.Equal(5, inspection.Preview.Count);
        Assert.Equal(["Name 1, Jr", "say \"hi\""], inspection.Preview[0]);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Name,Phone\n", "no rows")]
    [InlineData("Name,,Phone\nAnn,,1", "needs a name")]
    [InlineData("Name,name\nAnn,Bob", "twice")]
    public void A_file_that_cannot_be_imported_says_why(string file, string expected)
    {
        var (inspection, problem) = CustomerImportCsv.Inspect(Utf8(file));

        Assert.Null(inspection);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_refused_rather_than_imported_garbled()
    {
        // "张三" in GB18030.
        byte[] gb18030 = [.. "Name\n"u8.ToArray(), 0xD5, 0xC5, 0xC8, 0xFD, (byte)'\n'];

        var (inspection, problem) = CustomerImportCsv.Inspect(gb18030);

        Assert.Null(inspection);
        Assert.Contains("UTF-8", problem);
    }

    [Fact]
    public void Rows_are_read_from_a_checkpoint_with_their_numbers_counting_from_the_first_data_row()
    {
        var file = Utf8("Name,Phone\nAnn,1\n\nBob,2\nCy,3\n");

        var rows = CustomerImportCsv.ReadRows(file, ",", 2).ToList();

        Assert.Equal([2, 3], rows.Select(r => r.RowNumber));
        Assert.Equal(["Bob", "2"], rows[0].Cells);
    }
}
