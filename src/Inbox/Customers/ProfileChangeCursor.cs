using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Crm.Inbox.Customers;

/// <summary>
/// Where a page of a profile's history ends: an entry's version and field, unique per customer (one entry per field per
/// version), so paging by them never skips or repeats an entry however many were written since.
/// </summary>
public readonly record struct ProfileChangeCursor(long Version, string Field)
{
    public static ProfileChangeCursor Of(CustomerProfileChange change) => new(change.Version, change.Field);

    /// <summary>Opaque to clients: the version's 8 bytes then the field's UTF-8, base64url.</summary>
    public string Encode()
    {
        var bytes = new byte[8 + Encoding.UTF8.GetByteCount(Field)];
        BinaryPrimitives.WriteInt64BigEndian(bytes, Version);
        Encoding.UTF8.GetBytes(Field, bytes.AsSpan(8));
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out ProfileChangeCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length > 1024) return false;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }
        if (bytes.Length < 8) return false;
        var version = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (version < 0) return false;
        try
        {
            cursor = new ProfileChangeCursor(version, new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 8, bytes.Length - 8));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        return true;
    }
}
