using Crm.Connectors.WeChat;
using Xunit;

namespace Crm.Connectors.Tests.WeChat;

/// <summary>
/// Pinned to WeChat's (Tencent's) own published WXBizMsgCrypt samples:
/// - the message and URL-check vectors are those of the official sample programs (Sample.cs / Sample.php / Sample.py of
///   the "消息加解密" download, repeated in the WeCom docs): token "QDG6eK", EncodingAESKey "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
///   AppId/CorpId "wx5823bf96d3bd56c7", POST ?msg_signature=477715d1…&amp;timestamp=1409659813&amp;nonce=1372623149;
/// - the encryption vectors (a fixed random "aaaabbbbccccdddd") are those of the official Java sample's WXBizMsgCryptTest.
/// </summary>
public sealed class WeChatCryptoTests
{
    private const string Token = "QDG6eK";
    private const string EncodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    private const string AppId = "wx5823bf96d3bd56c7";

    private const string PublishedEncrypt =
        "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

    private const string PublishedEchoStr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";

    [Fact]
    public void The_message_signature_is_the_one_in_WeChats_sample()
        => Assert.Equal("477715d11cdb4164915debcba66cb864d751f3e6", WeChatSignature.Compute(Token, "1409659813", "1372623149", PublishedEncrypt));

    [Fact]
    public void The_url_check_signature_is_the_one_in_WeChats_sample()
        => Assert.Equal("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", WeChatSignature.Compute(Token, "1409659589", "263014780", PublishedEchoStr));

    [Fact]
    public void The_plain_mode_signature_is_the_sha1_of_the_sorted_token_timestamp_and_nonce()
        // sha1("1372623149" + "1409659813" + "QDG6eK"), computed with sha1sum, not with the code under test.
        => Assert.Equal("d2157f2f9079f4d6257b45edf665c43c62e60a0a", WeChatSignature.Compute(Token, "1409659813", "1372623149"));

    [Fact]
    public void A_signature_is_valid_only_for_the_same_parts()
    {
        Assert.True(WeChatSignature.IsValid("477715D11CDB4164915DEBCBA66CB864D751F3E6", Token, "1409659813", "1372623149", PublishedEncrypt));
        Assert.False(WeChatSignature.IsValid("477715d11cdb4164915debcba66cb864d751f3e6", Token, "1409659814", "1372623149", PublishedEncrypt));
        Assert.False(WeChatSignature.IsValid("477715d11cdb4164915debcba66cb864d751f3e6", "another", "1409659813", "1372623149", PublishedEncrypt));
        Assert.False(WeChatSignature.IsValid(null, Token, "1409659813", "1372623149", PublishedEncrypt));
        Assert.False(WeChatSignature.IsValid("477715d1", Token, "1409659813", "1372623149", PublishedEncrypt));
    }

    [Fact]
    public void The_published_message_decrypts_to_its_xml_for_its_app_id()
    {
        var (message, appId) = new WeChatMessageCrypt(EncodingAesKey).Decrypt(PublishedEncrypt);

        Assert.Equal(AppId, appId);
        var fields = WeChatXml.Parse(message);
        Assert.Equal("mycreate", fields["FromUserName"]);
        Assert.Equal("text", fields["MsgType"]);
        Assert.Equal("hello", fields["Content"]);
        Assert.Equal("4561255354251345929", fields["MsgId"]);
    }

    [Fact]
    public void The_published_url_check_echo_decrypts_for_its_app_id()
    {
        var (echo, appId) = new WeChatMessageCrypt(EncodingAesKey).Decrypt(PublishedEchoStr);

        Assert.Equal(AppId, appId);
        Assert.Matches("^[0-9]+$", echo);
    }

    [Theory]
    [InlineData("我是中文abcd123", "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==")]
    [InlineData(
        "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>",
        "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb")]
    public void Encrypting_with_the_samples_random_bytes_gives_the_samples_ciphertext(string message, string expected)
    {
        var crypt = new WeChatMessageCrypt("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");

        Assert.Equal(expected, crypt.Encrypt(message, "wxb11529c136998cb6", "aaaabbbbccccdddd"u8));
        Assert.Equal((message, "wxb11529c136998cb6"), crypt.Decrypt(expected));
    }

    [Fact]
    public void An_encrypted_reply_carries_its_own_valid_msg_signature()
    {
        var crypt = new WeChatMessageCrypt(EncodingAesKey);

        var xml = WeChatXml.Parse(crypt.EncryptedXml("<xml><Content><![CDATA[hi]]></Content></xml>", AppId, Token, "1409659813", "1372623149"));

        Assert.True(WeChatSignature.IsValid(xml["MsgSignature"], Token, xml["TimeStamp"], xml["Nonce"], xml["Encrypt"]));
        Assert.Equal("hi", WeChatXml.Parse(crypt.Decrypt(xml["Encrypt"]).Message)["Content"]);
    }

    [Fact]
    public void A_message_encrypted_with_another_key_is_refused()
    {
        var crypt = new WeChatMessageCrypt(EncodingAesKey);

        // The Java sample's ciphertext, made with its key, not this one.
        Assert.Throws<FormatException>(() => crypt.Decrypt("jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="));
        Assert.Throws<FormatException>(() => crypt.Decrypt("not base64!"));
        Assert.Throws<FormatException>(() => crypt.Decrypt(Convert.ToBase64String(new byte[15])));
    }

    [Theory]
    [InlineData("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", true)]
    [InlineData("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2", false)]
    [InlineData("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C=", false)]
    [InlineData("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B+C", false)]
    public void Only_43_letters_or_digits_are_an_encoding_aes_key(string key, bool valid) => Assert.Equal(valid, WeChatMessageCrypt.IsEncodingAesKey(key));
}
