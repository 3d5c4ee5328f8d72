using Crm.Connectors.Twilio;
using Xunit;

namespace Crm.Connectors.Tests.Twilio;

public sealed class WhatsAppNumbersTests
{
    [Theory]
    [InlineData("whatsapp:+14155238886", "+14155238886")]
    [InlineData("whatsapp:14155238886", "+14155238886")]
    [InlineData("WhatsApp:+14155238886", "+14155238886")]
    [InlineData("+14155238886", "+14155238886")]
    [InlineData("whatsapp:+44 7700 900123", "+447700900123")]
    [InlineData("whatsapp:+1 (415) 523-8886", "+14155238886")]
    public void Addresses_become_e164(string address, string expected)
        => Assert.Equal(expected, WhatsAppNumbers.ToE164(address));

    [Theory]
    [InlineData("")]
    [InlineData("whatsapp:")]
    [InlineData("whatsapp:hello")]
    [InlineData("whatsapp:+1234")]
    [InlineData("whatsapp:+999 12345678")]
    [InlineData("whatsapp:+1415523888612345")]
    public void Anything_but_a_valid_international_number_is_a_format_error(string address)
    {
        var error = Assert.Throws<FormatException>(() => WhatsAppNumbers.ToE164(address));
        Assert.Contains($"'{address}'", error.Message);
    }

    [Fact]
    public void An_e164_number_becomes_a_whatsapp_address()
        => Assert.Equal("whatsapp:+14155238886", WhatsAppNumbers.ToWhatsAppAddress("+14155238886"));
}
