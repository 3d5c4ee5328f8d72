using Crm.Connectors.WeChat;
using Xunit;

namespace Crm.Connectors.Tests.WeChat;

public sealed class WeChatXmlTests
{
    [Fact]
    public void Fields_are_read_from_cdata_and_plain_text_alike()
    {
        var fields = WeChatXml.Parse("""
            <xml>
              <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
              <CreateTime>1348831860</CreateTime>
              <Content><![CDATA[a < b & "c"]]></Content>
              <Empty></Empty>
              <SelfClosed/>
            </xml>
            """);

        Assert.Equal("gh_0123456789ab", fields["ToUserName"]);
        Assert.Equal("1348831860", fields["CreateTime"]);
        Assert.Equal("a < b & \"c\"", fields["Content"]);
        Assert.Equal("", fields["Empty"]);
        Assert.Equal("", fields["SelfClosed"]);
    }

    [Fact]
    public void Nested_fields_are_named_by_their_path()
    {
        var fields = WeChatXml.Parse("<xml><Event><![CDATA[scancode_push]]></Event><ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>1</ScanResult></ScanCodeInfo></xml>");

        Assert.Equal("qrcode", fields["ScanCodeInfo.ScanType"]);
        Assert.Equal("1", fields["ScanCodeInfo.ScanResult"]);
    }

    [Fact]
    public void A_document_type_declaration_is_refused_so_no_entity_is_ever_expanded()
    {
        const string billionLaughs = """
            <?xml version="1.0"?>
            <!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <xml><Content>&b;</Content></xml>
            """;

        var error = Assert.Throws<FormatException>(() => WeChatXml.Parse(billionLaughs));
        Assert.Contains("DTD", error.Message);
    }

    [Fact]
    public void An_external_entity_is_refused()
    {
        const string external = """<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>""";

        Assert.Throws<FormatException>(() => WeChatXml.Parse(external));
    }

    [Fact]
    public void An_undeclared_entity_is_refused()
        => Assert.Throws<FormatException>(() => WeChatXml.Parse("<xml><Content>&x;</Content></xml>"));

    [Fact]
    public void A_document_over_the_bound_is_refused()
    {
        var huge = "<xml><Content>" + new string('a', WeChatXml.MaxBodyBytes) + "</Content></xml>";

        Assert.Throws<FormatException>(() => WeChatXml.Parse(huge));
    }

    [Fact]
    public void Too_many_fields_are_refused()
    {
        var many = "<xml>" + string.Concat(Enumerable.Range(0, 201).Select(i => $"<F{i}>x</F{i}>")) + "</xml>";

        Assert.Throws<FormatException>(() => WeChatXml.Parse(many));
    }

    [Fact]
    public void Deep_nesting_is_refused()
        => Assert.Throws<FormatException>(() => WeChatXml.Parse("<xml><a><b><c><d><e>x</e></d></c></b></a></xml>"));

    [Theory]
    [InlineData("")]
    [InlineData("not xml")]
    [InlineData("<root><Content>x</Content></root>")]
    [InlineData("<xml><Content>x</Content>")]
    [InlineData("<xml><Content>x</Content></xml><xml/>")]
    public void Anything_but_one_xml_document_is_refused(string body) => Assert.Throws<FormatException>(() => WeChatXml.Parse(body));
}
