using Crm.Connectors.Twilio;
using Xunit;

namespace Crm.Connectors.Tests.Twilio;

public sealed class OwnedNumbersTests
{
    [Fact]
    public void The_sender_and_the_listed_numbers_are_owned_as_identities_whatever_their_spelling()
    {
        var settings = new TwilioOptions
        {
            WhatsAppFrom = "whatsapp:+1 (415) 523-8886",
            WhatsAppNumbers = ["whatsapp:+5215512345678", "", "+447700900123"],
        };

        Assert.Equal(["+14155238886", "+447700900123", "+525512345678"], OwnedNumbers.For(settings).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Nothing_is_owned_when_nothing_is_configured()
        => Assert.Empty(OwnedNumbers.For(new TwilioOptions()));
}
