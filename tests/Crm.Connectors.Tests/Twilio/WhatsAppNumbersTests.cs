using Crm.Connectors.Twilio;
using PhoneNumbers;
using Xunit;

namespace Crm.Connectors.Tests.Twilio;

public sealed class WhatsAppNumbersTests
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    [Theory]
    [InlineData("whatsapp:+14155238886", "+14155238886")]
    [InlineData("whatsapp:14155238886", "+14155238886")]
    [InlineData("WhatsApp:+14155238886", "+14155238886")]
    [InlineData("+14155238886", "+14155238886")]
    [InlineData("whatsapp:+44 7700 900123", "+447700900123")]
    [InlineData("whatsapp:+1 (415) 523-8886", "+14155238886")]
    public void Addresses_become_e164(string address, string expected)
        => Assert.Equal(expected, WhatsAppNumbers.Identity(address));

    // What libphonenumber says about each spelling WhatsApp really sends: the reason these are folded here.
    [Theory]
    [InlineData("+5215512345678", PhoneNumberUtil.ValidationResult.TOO_LONG, false)]
    [InlineData("+525512345678", PhoneNumberUtil.ValidationResult.IS_POSSIBLE, true)]
    [InlineData("+5491123456789", PhoneNumberUtil.ValidationResult.IS_POSSIBLE, true)]
    [InlineData("+541123456789", PhoneNumberUtil.ValidationResult.IS_POSSIBLE, true)]
    [InlineData("+553187654321", PhoneNumberUtil.ValidationResult.IS_POSSIBLE, false)]
    [InlineData("+5531987654321", PhoneNumberUtil.ValidationResult.IS_POSSIBLE, true)]
    public void Libphonenumber_judges_whatsapps_spellings_as_pinned(string number, PhoneNumberUtil.ValidationResult possible, bool valid)
    {
        var parsed = Phones.Parse(number, null);

        Assert.Equal(possible, Phones.IsPossibleNumberWithReason(parsed));
        Assert.Equal(valid, Phones.IsValidNumber(parsed));
    }

    [Theory]
    // Mexico: WhatsApp's "+52 1" mobile token, which libphonenumber calls too long, is dropped.
    [InlineData("whatsapp:+5215512345678", "+525512345678")]
    [InlineData("whatsapp:+525512345678", "+525512345678")]
    // Argentina: with or without the international mobile 9, the same subscriber.
    [InlineData("whatsapp:+5491123456789", "+541123456789")]
    [InlineData("whatsapp:+541123456789", "+541123456789")]
    // Brazil: a mobile registered before the ninth digit gets it; one that has it keeps it.
    [InlineData("whatsapp:+553187654321", "+5531987654321")]
    [InlineData("whatsapp:+5531987654321", "+5531987654321")]
    [InlineData("whatsapp:+551187654321", "+5511987654321")]
    public void WhatsApps_national_variants_fold_to_one_customer(string address, string expected)
        => Assert.Equal(expected, WhatsAppNumbers.Identity(address));

    [Theory]
    // Brazilian landlines (first digit 2 to 5) have no ninth digit to add.
    [InlineData("whatsapp:+551132654321", "+551132654321")]
    // Other countries are only made E.164.
    [InlineData("whatsapp:+5411234567", "+5411234567")]
    [InlineData("whatsapp:+12125551234", "+12125551234")]
    public void Numbers_that_are_not_a_known_variant_are_left_alone(string address, string expected)
        => Assert.Equal(expected, WhatsAppNumbers.Identity(address));

    [Theory]
    [InlineData("whatsapp:+1415523888612345", "+1415523888612345")]
    [InlineData("whatsapp:+999 12345678", "+99912345678")]
    [InlineData("whatsapp:+1234", "+1234")]
    public void A_number_libphonenumber_refuses_is_kept_as_given(string address, string expected)
        => Assert.Equal(expected, WhatsAppNumbers.Identity(address));

    [Theory]
    [InlineData("whatsapp:US.13491208655302741918", "bsuid:US.13491208655302741918")]
    [InlineData("whatsapp:IN.2081648738043044942", "bsuid:IN.2081648738043044942")]
    [InlineData("whatsapp:US.ENT.11815799212886844830", "bsuid:US.ENT.11815799212886844830")]
    [InlineData("whatsapp:BR.1502576394655843aB", "bsuid:BR.1502576394655843aB")]
    public void A_business_scoped_user_id_is_its_own_kind_of_identity(string address, string expected)
        => Assert.Equal(expected, WhatsAppNumbers.Identity(address));

    [Fact]
    public void A_business_scoped_user_id_never_equals_a_phone_number_with_the_same_digits()
        => Assert.NotEqual(WhatsAppNumbers.Identity("whatsapp:+13491208655"), WhatsAppNumbers.Identity("whatsapp:US.13491208655"));

    [Fact]
    public void An_address_of_no_known_shape_is_kept_exactly_and_answered_at_the_same_address()
    {
        var identity = WhatsAppNumbers.Identity("whatsapp:someone-new");

        Assert.Equal("address:whatsapp:someone-new", identity);
        Assert.Equal("whatsapp:someone-new", WhatsAppNumbers.ToWhatsAppAddress(identity));
    }

    [Theory]
    [InlineData("")]
    [InlineData("whatsapp:")]
    [InlineData("whatsapp:  ")]
    [InlineData("whatsapp:+1415\0")]
    [InlineData("whatsapp:+1415\u001b5238886")]
    public void Empty_addresses_and_control_characters_are_a_format_error(string address)
        => Assert.Throws<FormatException>(() => WhatsAppNumbers.Identity(address));

    [Fact]
    public void An_address_longer_than_any_twilio_sends_is_a_format_error()
        => Assert.Throws<FormatException>(() => WhatsAppNumbers.Identity("whatsapp:US." + new string('1', WhatsAppNumbers.MaxAddressLength)));

    [Theory]
    [InlineData("+14155238886", "whatsapp:+14155238886")]
    [InlineData("bsuid:US.13491208655302741918", "whatsapp:US.13491208655302741918")]
    public void An_identity_becomes_the_whatsapp_address_that_reaches_it(string identity, string expected)
        => Assert.Equal(expected, WhatsAppNumbers.ToWhatsAppAddress(identity));
}
