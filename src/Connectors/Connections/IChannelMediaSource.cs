namespace Crm.Connectors.Connections;

/// <summary>
/// Media a provider keeps behind the connection's credentials (WhatsApp Cloud and WeChat give a media id, not a
/// public URL). Inbound attachments then carry <see cref="MediaPaths.Of"/> as their URL; an agent's app fetches it
/// from Crm, which asks the provider only then (lazily) and streams the bytes through.
/// </summary>
public interface IChannelMediaSource
{
    /// <summary>A <see cref="ChannelConnectionTypes"/> value.</summary>
    string ConnectionType { get; }

    /// <summary>The media's bytes, or null when the provider no longer has it (media ids expire) or never did.</summary>
    Task<MediaDownload?> OpenAsync(ChannelConnection connection, string mediaId, CancellationToken ct);
}

/// <summary>An open download; the endpoint disposes it once streamed.</summary>
public sealed record MediaDownload(Stream Content, string ContentType, long? Length, string? FileName) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

public static class MediaPaths
{
    public const string Route = "/api/media/{connectionId:guid}/{mediaId}";

    /// <summary>The URL, relative to Crm, that an inbound attachment with a provider media id is read from.</summary>
    public static string Of(Guid connectionId, string mediaId) => $"/api/media/{connectionId}/{Uri.EscapeDataString(mediaId)}";
}
