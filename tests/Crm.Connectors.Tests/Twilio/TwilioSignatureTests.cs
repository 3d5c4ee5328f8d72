using Crm.Connectors.Twilio;
using Xunit;

namespace Crm.Connectors.Tests.Twilio;

public sealed class TwilioSignatureTests
{
    // Twilio's published example (https://www.twilio.com/docs/usage/security#validating-requests).
    private const string AuthToken = "12345";
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string ExpectedSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    // Deliberately not in sorted order: sorting is the algorithm's job.
    private static List<KeyValuePair<string, string>> Parameters() =>
    [
        new("To", "+18005551212"),
        new("CallSid", "CA1234567890ABCDE"),
        new("From", "+14158675309"),
        new("Digits", "1234"),
        new("Caller", "+14158675309"),
    ];

    [Fact]
    public void Signature_matches_twilios_published_example()
        => Assert.Equal(ExpectedSignature, TwilioSignature.Compute(AuthToken, Url, Parameters()));

    [Fact]
    public void The_published_signature_is_valid()
        => Assert.True(TwilioSignature.IsValid(AuthToken, ExpectedSignature, Url, Parameters()));

    [Fact]
    public void The_url_with_its_default_port_added_is_valid()
        => Assert.True(TwilioSignature.IsValid(AuthToken, ExpectedSignature, "https://mycompany.com:443/myapp.php?foo=1&bar=2", Parameters()));

    [Fact]
    public void A_signature_made_with_the_port_is_valid_for_the_url_without_it()
    {
        var signedWithPort = TwilioSignature.Compute(AuthToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", Parameters());

        Assert.NotEqual(ExpectedSignature, signedWithPort);
        Assert.True(TwilioSignature.IsValid(AuthToken, signedWithPort, Url, Parameters()));
    }

    [Fact]
    public void A_changed_parameter_value_is_invalid()
    {
        var tampered = Parameters();
        tampered[3] = new("Digits", "1235");

        Assert.False(TwilioSignature.IsValid(AuthToken, ExpectedSignature, Url, tampered));
    }

    [Fact]
    public void An_added_parameter_is_invalid()
        => Assert.False(TwilioSignature.IsValid(AuthToken, ExpectedSignature, Url, [.. Parameters(), new("Body", "hi")]));

    [Fact]
    public void A_different_url_is_invalid()
        => Assert.False(TwilioSignature.IsValid(AuthToken, ExpectedSignature, "https://mycompany.com/myapp.php?foo=1&bar=3", Parameters()));

    [Fact]
    public void The_wrong_auth_token_is_invalid()
        => Assert.False(TwilioSignature.IsValid("54321", ExpectedSignature, Url, Parameters()));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void A_missing_signature_is_invalid(string? signature)
        => Assert.False(TwilioSignature.IsValid(AuthToken, signature, Url, Parameters()));

    [Fact]
    public void An_empty_auth_token_accepts_nothing_even_a_signature_made_with_it()
    {
        var signedWithEmptyToken = TwilioSignature.Compute("", Url, Parameters());

        Assert.False(TwilioSignature.IsValid("", signedWithEmptyToken, Url, Parameters()));
    }

    [Fact]
    public void Repeated_keys_keep_every_value_sorted_whatever_order_they_came_in()
    {
        List<KeyValuePair<string, string>> oneOrder = [new("b", "2"), new("a", "y"), new("a", "x")];
        List<KeyValuePair<string, string>> otherOrder = [new("a", "x"), new("a", "y"), new("b", "2")];

        var signature = TwilioSignature.Compute(AuthToken, Url, oneOrder);

        Assert.Equal(signature, TwilioSignature.Compute(AuthToken, Url, otherOrder));
        Assert.Equal(signature, TwilioSignature.Compute(AuthToken, Url + "axayb2", []));
    }

    [Fact]
    public void Keys_are_sorted_ordinally_so_capitals_come_first()
        => Assert.Equal(
            TwilioSignature.Compute(AuthToken, Url + "Zz" + "aa", []),
            TwilioSignature.Compute(AuthToken, Url, [new("aa", ""), new("Z", "z")]));

    [Theory]
    [InlineData("https://example.com/hook", "https://example.com:443/hook")]
    [InlineData("http://example.com/hook?a=1", "http://example.com:80/hook?a=1")]
    [InlineData("https://example.com?a=1", "https://example.com:443?a=1")]
    [InlineData("https://example.com", "https://example.com:443")]
    [InlineData("https://example.com:8443/hook", "https://example.com/hook")]
    [InlineData("https://user:pass@example.com/hook", "https://user:pass@example.com:443/hook")]
    [InlineData("https://[::1]/hook", "https://[::1]:443/hook")]
    [InlineData("https://[::1]:443/hook", "https://[::1]/hook")]
    public void The_port_is_added_when_missing_and_removed_when_present(string url, string otherForm)
        => Assert.Equal([url, otherForm], TwilioSignature.UrlVariants(url));

    [Fact]
    public void The_parameters_are_read_once_even_when_the_second_url_form_is_the_one_that_matches()
    {
        var signedWithPort = TwilioSignature.Compute(AuthToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", Parameters());
        var parameters = new CountingParameters(Parameters());

        Assert.True(TwilioSignature.IsValid(AuthToken, signedWithPort, Url, parameters));
        Assert.Equal(1, parameters.Enumerations);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void A_signature_that_cannot_be_an_hmac_sha1_is_invalid(string signature)
        => Assert.False(TwilioSignature.IsValid(AuthToken, signature, Url, Parameters()));

    /// <summary>Counts how often the form is walked, as a form read from the request would be.</summary>
    private sealed class CountingParameters(List<KeyValuePair<string, string>> inner) : IReadOnlyCollection<KeyValuePair<string, string>>
    {
        public int Enumerations { get; private set; }

        public int Count => inner.Count;

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
        {
            Enumerations++;
            return inner.GetEnumerator();
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
