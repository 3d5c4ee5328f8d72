using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Crm.Connectors.Webhooks;

/// <summary>
/// Reads a webhook's raw body once, within a bound set before a byte of it is read, because it is read before anyone
/// knows whether the provider sent it. Too long is a refusal (413) fit for one log line, not an exception.
/// </summary>
public static class BoundedBody
{
    public sealed record Result(byte[]? Bytes, int Status, string? Refusal)
    {
        public static Result Refused(int status, string reason) => new(null, status, reason);
    }

    public static async Task<Result> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        // First, so the server neither waits for nor drains an oversized body after the answer, and cuts off
        // bodies without a length (chunked) at the same limit as they stream in.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;
        if (request.ContentLength > maxBytes)
            return Result.Refused(StatusCodes.Status413PayloadTooLarge, $"The body is {request.ContentLength} bytes; webhooks are at most {maxBytes}.");

        byte[] body;
        try
        {
            body = await ReadAtMostAsync(request.Body, maxBytes, ct);
        }
        catch (BadHttpRequestException error)
        {
            // The server's own refusal, e.g. 413 once a chunked body passed the limit.
            return Result.Refused(error.StatusCode, error.Message);
        }
        return body.Length > maxBytes
            ? Result.Refused(StatusCodes.Status413PayloadTooLarge, $"The body is over {maxBytes} bytes.")
            : new Result(body, StatusCodes.Status200OK, null);
    }

    /// <summary>The body, or <paramref name="maxBytes"/> + 1 bytes of it when it is longer: enough to know it is too long.</summary>
    private static async Task<byte[]> ReadAtMostAsync(Stream body, long maxBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (buffer.Length <= maxBytes)
        {
            var wanted = (int)Math.Min(chunk.Length, maxBytes + 1 - buffer.Length);
            var read = await body.ReadAsync(chunk.AsMemory(0, wanted), ct);
            if (read == 0) break;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
