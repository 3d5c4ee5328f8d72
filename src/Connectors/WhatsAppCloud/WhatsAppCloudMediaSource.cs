using Crm.Connectors.Connections;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>Media customers sent to a WhatsApp Cloud number, fetched from Meta only when an agent opens it.</summary>
public sealed class WhatsAppCloudMediaSource(WhatsAppCloudClient meta, ChannelConnections connections) : IChannelMediaSource
{
    public string ConnectionType => Connections.ChannelConnectionTypes.WhatsAppCloud;

    public Task<MediaDownload?> OpenAsync(ChannelConnection connection, string mediaId, CancellationToken ct)
        // Meta's media ids are digits; anything else was never one of ours, and is not put into a Graph API path.
        => mediaId.Length is > 0 and <= 64 && mediaId.All(char.IsAsciiDigit)
            ? meta.OpenMediaAsync(WhatsAppCloudAccount.Open(connection, connections.Secrets), mediaId, ct)
            : Task.FromResult<MediaDownload?>(null);
}
