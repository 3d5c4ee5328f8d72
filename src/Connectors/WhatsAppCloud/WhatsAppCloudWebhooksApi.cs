using System.Security.Cryptography;
using Crm.Connectors.Connections;
using Crm.Connectors.Meta;
using Crm.Connectors.Spool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>
/// Meta's webhooks for a WhatsApp Cloud number, one URL per connection: <c>GET</c> is the subscription check (echo the
/// challenge when the verify token is the connection's), <c>POST</c> a signed delivery. Nothing is parsed before the
/// signature over the raw bytes checks out; Meta gets its 200 only once the spool has kept every message and status
/// of the delivery. If the spool cannot keep them Meta gets a 5xx and retries, and the inbox drops the repeats by wamid.
/// Refusals are a 4xx problem and one warning that says why (never the body or a secret).
/// </summary>
public static class WhatsAppCloudWebhooksApi
{
    public const string Route = "/webhooks/whatsapp-cloud/{connectionId:guid}";

    public static string PathOf(Guid connectionId) => $"/webhooks/whatsapp-cloud/{connectionId}";

    public static IEndpointRouteBuilder MapWhatsAppCloudWebhooks(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("").AllowAnonymous().DisableAntiforgery().WithTags("WhatsApp Cloud API");
        webhooks.MapGet(Route, VerifySubscription);
        webhooks.MapPost(Route, Receive);
        return app;
    }

    public static async Task<IResult> VerifySubscription(Guid connectionId, HttpContext context, ChannelConnections connections, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var (account, refusal) = await AccountAsync(connectionId, context, connections, loggers, ct);
        if (account is null) return refusal!;
        if (MetaWebhooks.VerifySubscription(context.Request.Query, account.VerifyToken) is { } challenge)
        {
            Logger(loggers).LogInformation("Meta confirmed the webhook subscription of channel connection {ConnectionId}", connectionId);
            return TypedResults.Text(challenge, "text/plain");
        }
        return Refuse(context, loggers, StatusCodes.Status403Forbidden, "Subscription not confirmed",
            "hub.mode is not subscribe, the challenge is missing, or hub.verify_token is not this connection's verify token.");
    }

    public static async Task<IResult> Receive(Guid connectionId, HttpContext context, ChannelConnections connections, IInboundSpool spool,
        TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var (account, refusal) = await AccountAsync(connectionId, context, connections, loggers, ct);
        if (account is null) return refusal!;

        var read = await MetaWebhooks.ReadSignedAsync(context.Request, account.AppSecret, ct);
        if (read.Bytes is not { } body) return Refuse(context, loggers, read.Status, "Unreadable WhatsApp Cloud API webhook", read.Refusal!);

        WhatsAppCloudDelivery delivery;
        try
        {
            delivery = WhatsAppCloudWebhook.Read(body, account, clock.GetUtcNow());
        }
        catch (FormatException error)
        {
            return Refuse(context, loggers, StatusCodes.Status400BadRequest, "Unreadable WhatsApp Cloud API webhook", error.Message);
        }

        if (delivery.Skipped.Count > 0)
        {
            Logger(loggers).LogWarning("Skipped {Count} parts of a WhatsApp Cloud API webhook to {Path}: {Reasons}", delivery.Skipped.Count,
                context.Request.Path, string.Join(" ", delivery.Skipped.Take(5)));
        }
        foreach (var message in delivery.Messages) await spool.AcceptAsync(message, ct);
        foreach (var status in delivery.Statuses) await spool.AcceptAsync(status, ct);
        return TypedResults.Ok();
    }

    private static async Task<(WhatsAppCloudAccount? Account, IResult? Refusal)> AccountAsync(Guid connectionId, HttpContext context,
        ChannelConnections connections, ILoggerFactory loggers, CancellationToken ct)
    {
        WhatsAppCloudAccount? account;
        try
        {
            account = await connections.EnabledAsync(connectionId, ChannelConnectionTypes.WhatsAppCloud,
                connection => WhatsAppCloudAccount.Open(connection, connections.Secrets), ct);
        }
        catch (Exception error) when (error is CryptographicException or FormatException)
        {
            // Our fault, not Meta's: the key ring that encrypted the secrets is not this process's.
            Logger(loggers).LogError("Cannot check a webhook to {Path}: the connection's secrets cannot be decrypted (is the Data Protection key ring shared?)",
                context.Request.Path);
            return (null, TypedResults.Problem("The connection's credentials cannot be read.", statusCode: StatusCodes.Status503ServiceUnavailable));
        }
        return account is null
            ? (null, Refuse(context, loggers, StatusCodes.Status404NotFound, "Unknown channel connection", "No enabled WhatsApp Cloud API connection has this id."))
            : (account, null);
    }

    private static IResult Refuse(HttpContext context, ILoggerFactory loggers, int status, string title, string reason)
    {
        Logger(loggers).LogWarning("Refused a WhatsApp Cloud API webhook to {Path} with {Status}: {Reason}", context.Request.Path, status, reason);
        return TypedResults.Problem(reason, statusCode: status, title: title);
    }

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(WhatsAppCloudWebhooksApi));
}
