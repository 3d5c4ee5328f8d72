using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Crm.Inbox.Storage;

/// <summary>
/// Where a keyset page ends: the sort key (a time) and the id that breaks ties within one tick. Pages
/// continue strictly after it in (time, id) descending order, so the next page is an index seek, not a
/// scan past the rows already seen, and rows written between two requests never shift a page.
/// </summary>
public readonly record struct PageCursor(DateTimeOffset At, Guid Id)
{
    private const int EncodedBytes = sizeof(long) + 16;

    /// <summary>Opaque to clients: 8 bytes of UTC ticks and the 16 bytes of the id, base64url.</summary>
    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[EncodedBytes];
        BinaryPrimitives.WriteInt64BigEndian(bytes, At.UtcTicks);
        Id.TryWriteBytes(bytes[sizeof(long)..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out PageCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length != 32) return false;
        Span<byte> bytes = stackalloc byte[EncodedBytes];
        var base64 = text.Replace('-', '+').Replace('_', '/');
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != EncodedBytes) return false;
        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks) return false;
        cursor = new PageCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[sizeof(long)..], bigEndian: true));
        return true;
    }
}
