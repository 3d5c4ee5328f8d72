using Crm.Connectors.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.Apis;

/// <summary>
/// Streams media kept by a provider (<see cref="IChannelMediaSource"/>) to the agents of the connection's workspace.
/// Another workspace's connection, an unknown media id or a provider that no longer has it are all 404.
/// </summary>
public static class MediaApi
{
    public static IEndpointRouteBuilder MapChannelMedia(this IEndpointRouteBuilder app, Func<System.Security.Claims.ClaimsPrincipal, Guid> workspaceOf)
    {
        app.MapGet(MediaPaths.Route, async (Guid connectionId, string mediaId, HttpContext http, ChannelConnections connections,
            IEnumerable<IChannelMediaSource> sources, ILoggerFactory loggers, CancellationToken ct) =>
        {
            if (mediaId.Length is 0 or > 512) return Results.Problem("Unknown media.", statusCode: StatusCodes.Status404NotFound);
            if (await connections.FindAsync(workspaceOf(http.User), connectionId, ct) is not { } connection
                || sources.FirstOrDefault(s => s.ConnectionType == connection.Type) is not { } source)
                return Results.Problem("Unknown media.", statusCode: StatusCodes.Status404NotFound);
            MediaDownload? media;
            try
            {
                media = await source.OpenAsync(connection, mediaId, ct);
            }
            catch (HttpRequestException error)
            {
                loggers.CreateLogger(typeof(MediaApi)).LogWarning("Could not fetch media of connection {ConnectionId}: {Error}", connectionId, error.Message);
                return Results.Problem("The provider could not be reached for this media.", statusCode: StatusCodes.Status502BadGateway);
            }
            if (media is null) return Results.Problem("The provider no longer has this media.", statusCode: StatusCodes.Status404NotFound);
            http.Response.RegisterForDisposeAsync(media);
            // Private: an agent's browser may keep it, shared caches may not.
            http.Response.Headers.CacheControl = "private, max-age=3600";
            return Results.Stream(media.Content, media.ContentType, media.FileName, enableRangeProcessing: false);
        }).RequireAuthorization().WithTags("Media");
        return app;
    }
}
