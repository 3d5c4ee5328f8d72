using System.Text.Json;
using Crm.Connectors.Outbound;
using Crm.Connectors.WeChat;
using Crm.Contracts;
using Xunit;

namespace Crm.Connectors.Tests.WeChat;

public sealed class WeChatErrorsTests
{
    [Theory]
    [InlineData(45015, SendFailures.OutsideReplyWindow)]
    [InlineData(45047, SendFailures.ReplyLimitReached)]
    [InlineData(48001, SendFailures.NotPermitted)]
    [InlineData(40003, SendFailures.RecipientUnavailable)]
    [InlineData(43004, SendFailures.RecipientUnavailable)]
    [InlineData(45009, SendFailures.RateLimited)]
    [InlineData(45011, SendFailures.RateLimited)]
    [InlineData(40001, SendFailures.CredentialsRejected)]
    [InlineData(40125, SendFailures.CredentialsRejected)]
    [InlineData(40037, SendFailures.TemplateRejected)]
    [InlineData(-1, "-1")]
    [InlineData(61451, "61451")]
    public void WeChat_codes_map_to_crms_reasons_and_unknown_ones_stay_wechats(int errcode, string reason)
        => Assert.Equal(reason, WeChatErrors.ToCrmReason(errcode));

    [Theory]
    [InlineData(-1, SendOutcome.Unavailable)]
    [InlineData(45009, SendOutcome.Unavailable)]
    [InlineData(45011, SendOutcome.Unavailable)]
    [InlineData(45015, SendOutcome.Refused)]
    [InlineData(40003, SendOutcome.Refused)]
    public void Busy_and_throttled_are_unavailable_and_everything_else_is_a_refusal(int errcode, SendOutcome outcome)
    {
        var answer = new WeChatAnswer(200, errcode, "words", JsonDocument.Parse("{}").RootElement);

        var failure = answer.Failure();

        Assert.Equal(outcome, failure.Outcome);
        Assert.Equal($"WeChat errcode {errcode}: words", failure.Reason);
    }

    [Theory]
    [InlineData(503, SendOutcome.Unavailable)]
    [InlineData(429, SendOutcome.Unavailable)]
    [InlineData(404, SendOutcome.Refused)]
    public void A_failing_gateway_is_judged_by_its_http_status(int status, SendOutcome outcome)
        => Assert.Equal(outcome, new WeChatAnswer(status, 0, null, JsonDocument.Parse("{}").RootElement).Failure().Outcome);

    [Fact]
    public void A_reply_is_the_customer_service_text_body_wechat_documents()
        => Assert.Equal("""{"touser":"OPENID","msgtype":"text","text":{"content":"Hello World 你好"}}""", WeChatSender.TextBody("OPENID", "Hello World 你好"));

    [Fact]
    public void An_image_is_sent_by_its_media_id()
        => Assert.Equal("""{"touser":"OPENID","msgtype":"image","image":{"media_id":"MEDIA_ID"}}""", WeChatSender.ImageBody("OPENID", "MEDIA_ID"));

    [Fact]
    public void A_template_variable_is_a_data_field_with_its_value()
        => Assert.Equal("""{"touser":"OPENID","template_id":"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY","data":{"first":{"value":"恭喜你购买成功！"},"keyword1":{"value":"巧克力"}}}""",
            WeChatSender.TemplateBody("OPENID", new OutboundTemplate("ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY", null,
                new Dictionary<string, string> { ["first"] = "恭喜你购买成功！", ["keyword1"] = "巧克力" })));

    [Fact]
    public void A_templates_variables_are_the_names_of_its_data_fields_in_order()
        => Assert.Equal(["first", "keyword1", "keyword2", "remark"],
            MessageTemplate.PlaceholdersIn("{{first.DATA}}\n商品名称：{{keyword1.DATA}}\n价格：{{keyword2.DATA}}\n{{ remark.DATA }} {{first.DATA}}"));
}
