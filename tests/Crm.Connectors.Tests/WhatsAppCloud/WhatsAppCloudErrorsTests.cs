using System.Text.Json;
using Crm.Connectors.WhatsAppCloud;
using Crm.Contracts;
using Xunit;

namespace Crm.Connectors.Tests.WhatsAppCloud;

public sealed class WhatsAppCloudErrorsTests
{
    [Theory]
    [InlineData("131047", SendFailures.OutsideReplyWindow)]
    [InlineData("130429", SendFailures.RateLimited)]
    [InlineData("131056", SendFailures.RateLimited)]
    [InlineData("131026", SendFailures.RecipientUnavailable)]
    [InlineData("190", SendFailures.CredentialsRejected)]
    [InlineData("10", SendFailures.NotPermitted)]
    [InlineData("200", SendFailures.NotPermitted)]
    [InlineData("132000", SendFailures.TemplateRejected)]
    [InlineData("132001", SendFailures.TemplateRejected)]
    [InlineData("132012", SendFailures.TemplateRejected)]
    [InlineData("131000", "131000")]
    [InlineData("100", "100")]
    public void Metas_codes_map_to_crms_reasons_and_others_stay_metas(string code, string reason)
    {
        Assert.Equal(reason, WhatsAppCloudErrors.ToCrmReason(code));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("2", true)]
    [InlineData("131000", true)]
    [InlineData("130429", true)]
    [InlineData("131056", true)]
    [InlineData("131047", false)]
    [InlineData("132001", false)]
    [InlineData("190", false)]
    public void Only_metas_busy_and_rate_limit_codes_are_worth_trying_again(string code, bool temporary)
    {
        Assert.Equal(temporary, WhatsAppCloudErrors.IsTemporary(code));
    }

    [Fact]
    public void A_send_errors_reason_keeps_metas_code_and_words_once()
    {
        using var answer = JsonDocument.Parse("""
            {"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,
              "error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
              "fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}
            """);

        Assert.Equal(("131047", "Meta error 131047: Re-engagement message"), WhatsAppCloudErrors.Describe(answer.RootElement.GetProperty("error"), "fallback"));
    }
}
