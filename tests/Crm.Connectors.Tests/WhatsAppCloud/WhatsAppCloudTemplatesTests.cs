using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Connectors.Connections;
using Crm.Connectors.WhatsAppCloud;
using Crm.Contracts;
using Xunit;

namespace Crm.Connectors.Tests.WhatsAppCloud;

public sealed class WhatsAppCloudTemplatesTests
{
    private static readonly ChannelConnection Connection = new(Guid.NewGuid(), Guid.NewGuid(), ChannelConnectionTypes.WhatsAppCloud, "Cloud", true, null,
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, ["+15550783881"], "{}", "")
    {
        Templates = [new MessageTemplate("order_update", "order_update", "en_US", "Hi {{1}}, order {{2}} shipped.", ["1", "2"])],
    };

    private static SendOutboundMessage Command(string text, OutboundTemplate? template = null)
        => new(Guid.NewGuid(), Guid.NewGuid(), Channels.WhatsApp, "+16505551234", text, "+15550783881", 1, DateTimeOffset.MaxValue) { Template = template };

    private static JsonNode Parse(string json) => JsonNode.Parse(json)!;

    [Fact]
    public void A_reply_is_the_text_message_meta_documents()
    {
        var body = WhatsAppCloudSender.Message(Connection, Command("Hello there"), "16505551234")!;

        Assert.True(JsonNode.DeepEquals(Parse("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"text","text":{"preview_url":false,"body":"Hello there"}}
            """), body));
    }

    [Fact]
    public void Numbered_variables_fill_the_body_in_order_and_the_language_comes_from_the_catalog()
    {
        var template = new OutboundTemplate("order_update", null, new Dictionary<string, string> { ["2"] = "#1234", ["10"] = "late", ["1"] = "Ada" });

        var body = WhatsAppCloudSender.Message(Connection, Command("Hi Ada", template), "16505551234")!;

        Assert.True(JsonNode.DeepEquals(Parse("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"template",
             "template":{"name":"order_update","language":{"code":"en_US"},
               "components":[{"type":"body","parameters":[{"type":"text","text":"Ada"},{"type":"text","text":"#1234"},{"type":"text","text":"late"}]}]}}
            """), body), body.ToJsonString());
    }

    [Fact]
    public void Named_and_header_variables_are_sent_as_meta_names_them()
    {
        var template = WhatsAppCloudTemplates.Build("welcome", "es", new Dictionary<string, string>
        {
            ["customer_name"] = "Lucía", ["header_1"] = "Hola", ["order_id"] = "A-9",
        });

        Assert.True(JsonNode.DeepEquals(Parse("""
            {"name":"welcome","language":{"code":"es"},"components":[
              {"type":"header","parameters":[{"type":"text","text":"Hola"}]},
              {"type":"body","parameters":[{"type":"text","parameter_name":"customer_name","text":"Lucía"},{"type":"text","parameter_name":"order_id","text":"A-9"}]}]}
            """), template), template.ToJsonString());
    }

    [Fact]
    public void A_template_without_variables_has_no_components()
    {
        Assert.False(WhatsAppCloudTemplates.Build("hello_world", "en_US", new Dictionary<string, string>()).ContainsKey("components"));
    }

    [Fact]
    public void A_template_whose_language_nobody_knows_is_not_sent()
    {
        Assert.Null(WhatsAppCloudSender.Message(Connection, Command("x", new OutboundTemplate("unknown", null, new Dictionary<string, string>())), "16505551234"));
    }

    [Fact]
    public void Only_numbers_are_recipients()
    {
        Assert.Equal("16505551234", WhatsAppCloudSender.RecipientOf("+16505551234"));
        Assert.Null(WhatsAppCloudSender.RecipientOf("bsuid:US.13491208655302741918"));
    }

    [Fact]
    public void The_catalog_keeps_approved_templates_with_their_body_placeholders_and_header_ones()
    {
        using var page = JsonDocument.Parse("""
            {"data":[
              {"name":"order_update","language":"en_US","status":"APPROVED","category":"UTILITY","id":"1",
               "components":[{"type":"HEADER","format":"TEXT","text":"Order {{1}}"},{"type":"BODY","text":"Hi {{1}}, order {{2}} shipped."},{"type":"FOOTER","text":"Shop"}]},
              {"name":"welcome","language":"es","status":"APPROVED","category":"MARKETING","parameter_format":"NAMED","id":"2",
               "components":[{"type":"BODY","text":"Hola {{customer_name}}"}]},
              {"name":"draft","language":"en_US","status":"PENDING","category":"MARKETING","id":"3","components":[{"type":"BODY","text":"Soon"}]}
            ]}
            """);
        var left = new List<string>();

        var templates = WhatsAppCloudTemplates.ReadPage(page.RootElement.GetProperty("data"), left);

        Assert.Equal(2, templates.Count);
        var order = templates[0];
        Assert.Equal(("order_update", "order_update", "en_US", "Hi {{1}}, order {{2}} shipped.", "UTILITY"), (order.Id, order.Name, order.Language, order.Body, order.Category));
        Assert.Equal(["header_1", "1", "2"], order.Variables);
        Assert.Equal(["customer_name"], templates[1].Variables);
        Assert.Empty(left);
    }

    [Fact]
    public void A_reply_to_a_bsuid_goes_in_recipient_and_has_no_to()
    {
        var body = WhatsAppCloudSender.Message(Connection, Command("Hello there"), "US.13491208655302741918")!;

        Assert.Equal("US.13491208655302741918", (string?)body["recipient"]);
        Assert.False(body.ContainsKey("to"));
        Assert.Equal("16505551234", (string?)WhatsAppCloudSender.Message(Connection, Command("Hello there"), "16505551234")!["to"]);
    }

    [Theory]
    [InlineData("US.13491208655302741918", true)]
    [InlineData("BR.1502576394655843", true)]
    [InlineData("US.ENT.11815799212886844830", true)]
    [InlineData("+16505551234", false)]
    [InlineData("us.123", false)]
    [InlineData("US.", false)]
    [InlineData("US.12/34", false)]
    public void A_bsuid_is_a_country_code_a_dot_and_letters_and_digits(string identity, bool expected)
    {
        Assert.Equal(expected, WhatsAppCloudSender.IsBusinessScopedUserId(identity));
    }
}
