using Crm.Connectors.Connections;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.WeChat;

/// <summary>
/// A customer's image, voice or video, fetched from WeChat (<c>/cgi-bin/media/get</c>) when an agent opens it. WeChat keeps
/// received media for 3 days; after that (or for an unknown id) it answers JSON with an errcode, which is "no longer has it".
/// </summary>
public sealed class WeChatMediaSource(WeChatApiClient api, WeChatAccessTokens tokens, ConnectionSecrets secrets, ILogger<WeChatMediaSource> logger)
    : IChannelMediaSource
{
    public string ConnectionType => ChannelConnectionTypes.WeChat;

    public async Task<MediaDownload?> OpenAsync(ChannelConnection connection, string mediaId, CancellationToken ct)
    {
        var account = WeChatAccount.Open(connection, secrets);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var lease = await tokens.GetAsync(account, ct);
            if (lease.Token is not { } token)
            {
                logger.LogWarning("No WeChat access token for media of connection {ConnectionId}: {Reason}", connection.Id, lease.Failure?.Reason);
                return null;
            }
            var response = await api.GetMediaAsync(account, token, mediaId, ct);
            if (IsFile(response)) return await DownloadAsync(response, ct);

            WeChatAnswer answer;
            try
            {
                using (response) answer = await WeChatApiClient.ReadAnswerAsync(response, ct);
            }
            catch (InvalidDataException error)
            {
                logger.LogWarning("WeChat's answer for media of connection {ConnectionId} is unreadable: {Error}", connection.Id, error.Message);
                return null;
            }
            // A video is answered with where to fetch it, not with its bytes.
            if (answer.Ok && Uri.TryCreate(WeChatApiClient.Text(answer.Body, "video_url"), UriKind.Absolute, out var video) && video.Scheme is "http" or "https")
            {
                var file = await api.GetFileAsync(video, ct);
                if (IsFile(file)) return await DownloadAsync(file, ct);
                file.Dispose();
                return null;
            }
            if (attempt == 1 && answer.HttpOk && WeChatErrors.IsStaleToken(answer.ErrCode))
            {
                await tokens.ForgetAsync(account, token, ct);
                continue;
            }
            if (!answer.HttpOk && answer.HttpStatus >= 500) throw new HttpRequestException($"WeChat answered HTTP {answer.HttpStatus} for media.");
            logger.LogInformation("WeChat has no media {MediaId} for connection {ConnectionId}: {Reason}", mediaId, connection.Id, WeChatErrors.Words(answer.ErrCode, answer.ErrMsg));
            return null;
        }
        return null;
    }

    private static bool IsFile(HttpResponseMessage response)
    {
        var type = response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream";
        return response.IsSuccessStatusCode && !type.Contains("json", StringComparison.OrdinalIgnoreCase) && type != "text/plain";
    }

    private static async Task<MediaDownload> DownloadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var headers = response.Content.Headers;
        var name = headers.ContentDisposition?.FileNameStar ?? headers.ContentDisposition?.FileName?.Trim('"');
        return new MediaDownload(await response.Content.ReadAsStreamAsync(ct), headers.ContentType?.MediaType ?? "application/octet-stream", headers.ContentLength, name);
    }
}
