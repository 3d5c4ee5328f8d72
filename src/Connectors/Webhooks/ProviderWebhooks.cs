using Crm.Connectors.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.Webhooks;

/// <summary>
/// What every provider's webhook endpoints share. Each connection has its own URL, <c>…/{connectionId}</c>: the
/// connection it names is found (enabled, of the provider's type, its secrets decrypted) before anything of the request
/// is read. Refusals are a problem with a 4xx and one warning line that says why, never the body or a secret; a
/// connection whose secrets cannot be decrypted is our fault, a 503 and an error line.
/// </summary>
/// <param name="Api">The endpoints' class: its name is the log category, so each provider's refusals are its own.</param>
public sealed record ProviderWebhook(string Provider, string ConnectionType, Type Api)
{
    /// <summary>The route's connection opened with <paramref name="open"/>; else the refusal to answer with (404, or 503 when undecryptable).</summary>
    public async Task<(TAccount? Account, IResult? Refusal)> AccountAsync<TAccount>(Guid connectionId, HttpContext context,
        Func<ChannelConnection, ConnectionSecrets, TAccount> open) where TAccount : class
    {
        var connections = context.RequestServices.GetRequiredService<ChannelConnections>();
        TAccount? account;
        try
        {
            account = await connections.EnabledAsync(connectionId, ConnectionType, connection => open(connection, connections.Secrets), context.RequestAborted);
        }
        catch (Exception error) when (error is System.Security.Cryptography.CryptographicException or FormatException or System.Text.Json.JsonException)
        {
            // Our fault, not the provider's: the key ring that encrypted the secrets is not this process's.
            Logger(context).LogError("Cannot check a {Provider} webhook to {Path}: the connection's secrets cannot be decrypted (is the Data Protection key ring shared?)",
                Provider, context.Request.Path);
            return (null, TypedResults.Problem("The connection's credentials cannot be read.", statusCode: StatusCodes.Status503ServiceUnavailable));
        }
        return account is null
            ? (null, Refuse(context, StatusCodes.Status404NotFound, "Unknown channel connection", $"No enabled {Provider} channel connection has this id."))
            : (account, null);
    }

    /// <summary>A 4xx problem with one warning line: which URL, which status, and why.</summary>
    public IResult Refuse(HttpContext context, int status, string title, string reason)
    {
        Logger(context).LogWarning("Refused a {Provider} webhook to {Path} with {Status}: {Reason}", Provider, context.Request.Path, status, reason);
        return TypedResults.Problem(reason, statusCode: status, title: title);
    }

    public ILogger Logger(HttpContext context) => context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(Api);
}
