using System.Text;
using Crm.Connectors.Meta;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Xunit;

namespace Crm.Connectors.Tests.Meta;

public sealed class MetaWebhooksTests
{
    // The published X-Hub-Signature-256 example of x-hub.js (github.com/therootcompany/x-hub.js, README "How to Verify a
    // Webhook Header"; a library for "GitHub, Facebook, and many other services"): secret "It's a secret to everybody!",
    // body JSON.stringify({ foo: "bar" }). No Meta page or SDK test publishing a secret, body and signature was found.
    private const string PublishedSecret = "It's a secret to everybody!";
    private const string PublishedBody = """{"foo":"bar"}""";
    private const string PublishedSignature = "sha256=2d9425c2ae617d90196c5d22f48370822036174914268970cc864a7095b065dd";

    [Fact]
    public void The_published_example_is_signed_by_its_secret()
        => Assert.True(MetaWebhooks.IsSignedBy(PublishedSecret, Encoding.UTF8.GetBytes(PublishedBody), PublishedSignature));

    [Fact]
    public void Signing_the_published_body_gives_the_published_header()
        => Assert.Equal(PublishedSignature, MetaWebhooks.Sign(PublishedSecret, Encoding.UTF8.GetBytes(PublishedBody)));

    [Fact]
    public void The_header_is_read_in_either_case_of_hex_digits()
        => Assert.True(MetaWebhooks.IsSignedBy(PublishedSecret, Encoding.UTF8.GetBytes(PublishedBody), PublishedSignature.ToUpperInvariant().Replace("SHA256=", "sha256=")));

    [Fact]
    public void Another_secret_does_not_sign_the_published_body()
        => Assert.False(MetaWebhooks.IsSignedBy("It's a secret to nobody!", Encoding.UTF8.GetBytes(PublishedBody), PublishedSignature));

    [Fact]
    public void A_changed_body_is_not_signed()
        => Assert.False(MetaWebhooks.IsSignedBy(PublishedSecret, Encoding.UTF8.GetBytes("""{"foo":"baz"}"""), PublishedSignature));

    [Fact]
    public void The_same_json_written_differently_is_not_signed()
        => Assert.False(MetaWebhooks.IsSignedBy(PublishedSecret, Encoding.UTF8.GetBytes("""{"foo": "bar"}"""), PublishedSignature));

    [Fact]
    public void Meta_s_escaped_non_ascii_is_signed_as_escaped_not_as_the_characters_it_stands_for()
    {
        // Meta signs "\u00e9" as those six bytes; re-serializing it as "é" would break the signature.
        var escaped = Encoding.UTF8.GetBytes("""{"text":"caf\u00e9"}""");
        var unescaped = Encoding.UTF8.GetBytes("{\"text\":\"café\"}");
        var header = MetaWebhooks.Sign(PublishedSecret, escaped);

        Assert.True(MetaWebhooks.IsSignedBy(PublishedSecret, escaped, header));
        Assert.False(MetaWebhooks.IsSignedBy(PublishedSecret, unescaped, header));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("2d9425c2ae617d90196c5d22f48370822036174914268970cc864a7095b065dd")]
    [InlineData("sha1=2d9425c2ae617d90196c5d22f48370822036174914268970cc864a7095b065dd")]
    [InlineData("sha256=2d9425c2ae617d90196c5d22f48370822036174914268970cc864a7095b065")]
    [InlineData("sha256=zz9425c2ae617d90196c5d22f48370822036174914268970cc864a7095b065dd")]
    public void A_missing_or_malformed_header_is_not_a_signature(string? header)
        => Assert.False(MetaWebhooks.IsSignedBy(PublishedSecret, Encoding.UTF8.GetBytes(PublishedBody), header));

    [Fact]
    public void The_subscription_check_echoes_the_challenge_for_the_right_token()
        => Assert.Equal("1158201444", MetaWebhooks.VerifySubscription(Query("subscribe", "meatyhamhock", "1158201444"), "meatyhamhock"));

    [Theory]
    [InlineData("subscribe", "wrong-token", "1158201444")]
    [InlineData("unsubscribe", "meatyhamhock", "1158201444")]
    [InlineData("subscribe", "meatyhamhock", "")]
    public void The_subscription_check_refuses_anything_else(string mode, string token, string challenge)
        => Assert.Null(MetaWebhooks.VerifySubscription(Query(mode, token, challenge), "meatyhamhock"));

    private static QueryCollection Query(string mode, string token, string challenge) => new(new Dictionary<string, StringValues>
    {
        ["hub.mode"] = mode,
        ["hub.verify_token"] = token,
        ["hub.challenge"] = challenge,
    });
}
