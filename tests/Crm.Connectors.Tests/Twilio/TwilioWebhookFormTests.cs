using Crm.Connectors.Twilio;
using Xunit;

namespace Crm.Connectors.Tests.Twilio;

public sealed class TwilioWebhookFormTests
{
    [Fact]
    public void Fields_are_percent_decoded_with_plus_as_space_and_repeats_kept_in_order()
    {
        var read = TwilioWebhookForm.Parse("Body=Hi+there%21+%F0%9F%98%80&From=whatsapp%3A%2B14155550100&Tag=a&Tag=b");

        Assert.Equal(
            [new("Body", "Hi there! \U0001F600"), new("From", "whatsapp:+14155550100"), new("Tag", "a"), new("Tag", "b")],
            read.Fields);
    }

    [Fact]
    public void A_percent_encoded_nul_is_decoded_not_refused()
        => Assert.Equal([new("Body", "a\0b")], TwilioWebhookForm.Parse("Body=a%00b").Fields);

    [Fact]
    public void Empty_pairs_are_skipped_and_a_name_without_a_value_is_empty()
        => Assert.Equal([new("Body", ""), new("Flag", "")], TwilioWebhookForm.Parse("&Body=&&Flag&").Fields);

    [Theory]
    [InlineData("fields")]
    [InlineData("key")]
    [InlineData("value")]
    public void A_form_beyond_the_limits_is_refused_with_400(string limit)
    {
        var body = limit switch
        {
            "fields" => string.Join('&', Enumerable.Range(0, TwilioWebhookForm.MaxFields + 1).Select(i => $"F{i}=x")),
            "key" => new string('K', TwilioWebhookForm.MaxKeyLength + 1) + "=x",
            _ => "Body=" + new string('v', TwilioWebhookForm.MaxValueLength + 1),
        };

        var read = TwilioWebhookForm.Parse(body);

        Assert.Null(read.Fields);
        Assert.Equal(400, read.Status);
        Assert.Contains(limit == "fields" ? "fields" : limit == "key" ? "name" : "value", read.Refusal);
    }

    [Fact]
    public void A_form_exactly_at_the_limits_is_read()
    {
        var body = string.Join('&', Enumerable.Range(0, TwilioWebhookForm.MaxFields - 2).Select(i => $"F{i}=x"))
                   + "&" + new string('K', TwilioWebhookForm.MaxKeyLength) + "=x"
                   + "&Body=" + new string('v', TwilioWebhookForm.MaxValueLength);

        Assert.Equal(TwilioWebhookForm.MaxFields, TwilioWebhookForm.Parse(body).Fields!.Count);
    }
}
