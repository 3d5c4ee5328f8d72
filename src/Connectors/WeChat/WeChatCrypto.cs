using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Crm.Connectors.WeChat;

/// <summary>
/// WeChat's webhook signature: the SHA-1 (lowercase hex) of the parts sorted by ordinal and concatenated. Plain mode
/// signs (token, timestamp, nonce) as <c>signature</c>; safe mode also signs the ciphertext, as <c>msg_signature</c>.
/// Pinned to WeChat's published WXBizMsgCrypt sample (tests/Crm.Connectors.Tests/WeChat/WeChatCryptoTests.cs).
/// </summary>
public static class WeChatSignature
{
    public static string Compute(params string[] parts)
    {
        var sorted = parts.Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted))));
    }

    /// <summary>Compared in constant time: the token is a secret, and a timing leak would let a caller guess signatures.</summary>
    public static bool IsValid(string? given, params string[] parts)
    {
        if (given is not { Length: 40 }) return false;
        var expected = Compute(parts);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given.ToLowerInvariant()), Encoding.ASCII.GetBytes(expected));
    }
}

/// <summary>
/// WeChat's safe mode (WXBizMsgCrypt): AES-256-CBC with the key Base64(EncodingAESKey + "="), the IV the key's first
/// 16 bytes, PKCS#7 padding to 32-byte blocks; the plaintext is 16 random bytes, the message's length (4 bytes, big-endian),
/// the message (UTF-8) and the AppId it is for. Pinned to WeChat's published vectors in the connector tests.
/// </summary>
public sealed class WeChatMessageCrypt
{
    private const int BlockSize = 32;
    private readonly byte[] key;

    public WeChatMessageCrypt(string encodingAesKey)
    {
        if (!IsEncodingAesKey(encodingAesKey)) throw new FormatException("The EncodingAESKey must be 43 letters or digits.");
        key = Convert.FromBase64String(encodingAesKey + "=");
    }

    /// <summary>Whether <paramref name="value"/> is an EncodingAESKey: 43 letters or digits that decode to a 32-byte key.</summary>
    public static bool IsEncodingAesKey(string? value)
    {
        if (value is not { Length: 43 } || !value.All(char.IsAsciiLetterOrDigit)) return false;
        Span<byte> decoded = stackalloc byte[33];
        return Convert.TryFromBase64String(value + "=", decoded, out var written) && written == 32;
    }

    /// <summary>The message and the AppId it was encrypted for.</summary>
    /// <exception cref="FormatException">Not Base64, not decryptable with this key, or not WeChat's layout.</exception>
    public (string Message, string AppId) Decrypt(string encrypted)
    {
        byte[] cipher;
        try { cipher = Convert.FromBase64String(encrypted); }
        catch (FormatException) { throw new FormatException("Encrypt is not Base64."); }
        if (cipher.Length == 0 || cipher.Length % 16 != 0) throw new FormatException("Encrypt is not a whole number of AES blocks.");

        using var aes = Aes.Create();
        aes.Key = key;
        var plain = aes.DecryptCbc(cipher, key.AsSpan(0, 16), PaddingMode.None);
        var pad = plain[^1];
        if (pad is < 1 or > BlockSize || pad > plain.Length) throw new FormatException("Encrypt does not decrypt with this EncodingAESKey (bad padding).");
        var content = plain.AsSpan(0, plain.Length - pad);
        if (content.Length < 20) throw new FormatException("Encrypt is too short to hold a message.");
        var length = BinaryPrimitives.ReadInt32BigEndian(content.Slice(16, 4));
        if (length < 0 || length > content.Length - 20) throw new FormatException("Encrypt does not decrypt with this EncodingAESKey (bad length).");
        try
        {
            var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
            return (strict.GetString(content.Slice(20, length)), strict.GetString(content[(20 + length)..]));
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException("Encrypt does not decrypt to UTF-8 text.");
        }
    }

    /// <summary>Encrypts <paramref name="message"/> for <paramref name="appId"/>; <paramref name="random"/> (16 bytes) only for reproducing WeChat's vectors.</summary>
    public string Encrypt(string message, string appId, ReadOnlySpan<byte> random = default)
    {
        var body = Encoding.UTF8.GetBytes(message);
        var app = Encoding.UTF8.GetBytes(appId);
        var length = 20 + body.Length + app.Length;
        var pad = BlockSize - length % BlockSize;
        var plain = new byte[length + pad];
        if (random.IsEmpty) RandomNumberGenerator.Fill(plain.AsSpan(0, 16));
        else random[..16].CopyTo(plain);
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(16, 4), body.Length);
        body.CopyTo(plain, 20);
        app.CopyTo(plain, 20 + body.Length);
        plain.AsSpan(length).Fill((byte)pad);

        using var aes = Aes.Create();
        aes.Key = key;
        return Convert.ToBase64String(aes.EncryptCbc(plain, key.AsSpan(0, 16), PaddingMode.None));
    }

    /// <summary>A safe-mode reply or webhook body: the ciphertext, its msg_signature, the timestamp and nonce, as WeChat lays them out.</summary>
    public string EncryptedXml(string message, string appId, string token, string timestamp, string nonce)
    {
        var encrypted = Encrypt(message, appId);
        var signature = WeChatSignature.Compute(token, timestamp, nonce, encrypted);
        return $"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature>"
               + $"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>";
    }
}
