using System.Text;
using System.Xml;

namespace Crm.Connectors.WeChat;

/// <summary>
/// Reads WeChat's webhook XML (<c>&lt;xml&gt;&lt;ToUserName&gt;…&lt;/xml&gt;</c>) into its fields, before anyone knows
/// whether WeChat sent it: no DTD (so no entity expansion, no external fetch), no resolver, and a bound on characters,
/// fields and depth. Nested fields (an event's <c>ScanCodeInfo</c>) are named by their path, e.g. <c>ScanCodeInfo.ScanResult</c>.
/// </summary>
public static class WeChatXml
{
    /// <summary>WeChat's messages are a few KB; 64 KB leaves room for long texts and nothing for abuse.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private const int MaxFields = 200;
    private const int MaxDepth = 4;

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxBodyBytes,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };

    /// <exception cref="FormatException">Not WeChat's flat XML, or over a bound; the message is fit for one log line.</exception>
    public static IReadOnlyDictionary<string, string> Parse(ReadOnlySpan<byte> body) => Parse(Encoding.UTF8.GetString(body));

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte})"/>
    public static IReadOnlyDictionary<string, string> Parse(string xml)
    {
        if (xml.Length > MaxBodyBytes) throw new FormatException($"The XML is over {MaxBodyBytes} characters.");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), Settings);
            if (reader.MoveToContent() != XmlNodeType.Element || reader.Name != "xml") throw new FormatException("The root element is not <xml>.");
            if (reader.IsEmptyElement) return fields;
            reader.Read();
            ReadChildren(reader, prefix: "", depth: 1, fields);
            // Anything after the root (a second document) is refused by the reader itself when it is read.
            while (reader.Read()) { }
        }
        catch (XmlException error)
        {
            throw new FormatException($"Unreadable XML: {error.Message}");
        }
        return fields;
    }

    /// <summary>Reads the elements at the reader's level until the parent's end tag, which it consumes.</summary>
    private static void ReadChildren(XmlReader reader, string prefix, int depth, Dictionary<string, string> fields)
    {
        while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                // Text directly inside a parent with elements: not WeChat's shape, and nothing we read.
                reader.Read();
                continue;
            }
            var name = prefix + reader.LocalName;
            if (reader.IsEmptyElement)
            {
                Add(fields, name, "");
                reader.Read();
                continue;
            }
            reader.Read();
            if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace || reader.NodeType == XmlNodeType.EndElement)
            {
                var text = new StringBuilder();
                while (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace)
                {
                    text.Append(reader.Value);
                    reader.Read();
                }
                if (reader.NodeType == XmlNodeType.Element) throw new FormatException($"{name} mixes text and elements.");
                Add(fields, name, text.ToString());
            }
            else
            {
                if (depth >= MaxDepth) throw new FormatException($"The XML is nested deeper than {MaxDepth} levels.");
                ReadChildren(reader, name + ".", depth + 1, fields);
                continue;
            }
            reader.ReadEndElement();
        }
        if (reader.NodeType == XmlNodeType.EndElement) reader.ReadEndElement();
    }

    private static void Add(Dictionary<string, string> fields, string name, string value)
    {
        if (fields.Count >= MaxFields) throw new FormatException($"The XML has more than {MaxFields} fields.");
        // Repeated elements (a list's items) keep the first: no message type Crm reads repeats a field.
        fields.TryAdd(name, value);
    }
}
