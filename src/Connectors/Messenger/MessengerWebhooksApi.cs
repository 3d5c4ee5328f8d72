using Crm.Connectors.Connections;
using Crm.Connectors.Meta;
using Crm.Connectors.Spool;
using Crm.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.Messenger;

/// <summary>
/// Messenger's webhook, one URL per connection: Meta's subscription check (GET) and its signed deliveries (POST). A
/// delivery is checked whole (signature, then every item's shape) before anything is published; Meta gets its 200
/// only once the spool has kept all of it, so a failure makes Meta retry the lot and the inbox drops what it already has.
/// </summary>
public static class MessengerWebhooksApi
{
    public static IEndpointRouteBuilder MapMessengerWebhooks(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("").AllowAnonymous().DisableAntiforgery().WithTags("Messenger");
        webhooks.MapGet(MessengerWebhookPaths.Route, VerifySubscription);
        webhooks.MapPost(MessengerWebhookPaths.Route, ReceiveDelivery);
        return app;
    }

    public static async Task<IResult> VerifySubscription(Guid connectionId, HttpContext context, ChannelConnections connections, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var (account, problem) = await AccountAsync(connectionId, context, connections, loggers, ct);
        if (account is null) return problem!;
        if (MetaWebhooks.VerifySubscription(context.Request.Query, account.Secrets.VerifyToken) is { } challenge)
            return TypedResults.Text(challenge, "text/plain");
        return Refuse(context, loggers, StatusCodes.Status403Forbidden, "Subscription not confirmed",
            "hub.mode is not subscribe, or hub.verify_token is not this connection's verify token.");
    }

    public static async Task<IResult> ReceiveDelivery(Guid connectionId, HttpContext context, ChannelConnections connections, IInboundSpool spool,
        MessengerProfiles profiles, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var (account, problem) = await AccountAsync(connectionId, context, connections, loggers, ct);
        if (account is null) return problem!;
        var read = await MetaWebhooks.ReadSignedAsync(context.Request, account.Secrets.AppSecret, ct);
        if (read.Bytes is not { } body) return Refuse(context, loggers, read.Status, "Refused Messenger webhook", read.Refusal!);

        MessengerDelivery delivery;
        try
        {
            delivery = MessengerWebhook.Normalize(body, account.PageId, clock.GetUtcNow());
        }
        catch (FormatException error)
        {
            return Refuse(context, loggers, StatusCodes.Status400BadRequest, "Unreadable Messenger webhook", error.Message);
        }

        // Every entry for another page: the app's webhook points at the wrong connection. Refused loudly, so it is fixed.
        if (delivery.OwnEntries == 0)
        {
            return Refuse(context, loggers, StatusCodes.Status422UnprocessableEntity, "Not this connection's page",
                $"The delivery is for page {string.Join(", ", delivery.OtherPages.Distinct())}, not page {account.PageId} of channel connection {account.ConnectionId}.");
        }
        // Mixed with this page's: refusing would hold this page's messages back with the rest, and Meta would retry forever.
        if (delivery.OtherPages.Count > 0)
        {
            Logger(loggers).LogWarning("Skipped {Count} entries of a Messenger delivery to {Path}: they are for page {Pages}, not this connection's page {PageId}",
                delivery.OtherPages.Count, context.Request.Path, string.Join(", ", delivery.OtherPages.Distinct()), account.PageId);
        }

        // Only now, for a delivery that will be kept: names cost a Graph API call the first time a customer is seen.
        var names = delivery.Messages.Count == 0
            ? new Dictionary<string, string>()
            : await profiles.NamesAsync(account, delivery.Messages.Select(m => m.CustomerIdentity), ct);
        foreach (var message in delivery.Messages)
        {
            await spool.AcceptAsync(message with
            {
                CustomerName = names.GetValueOrDefault(message.CustomerIdentity),
                WorkspaceId = account.WorkspaceId,
                ConnectionId = account.ConnectionId,
                RoutingTeamId = account.RoutingTeamId,
            }, ct);
        }
        foreach (var status in delivery.Statuses)
            await spool.AcceptAsync(status with { WorkspaceId = account.WorkspaceId, ConnectionId = account.ConnectionId }, ct);
        foreach (var watermark in delivery.Watermarks)
            await spool.AcceptAsync(watermark with { WorkspaceId = account.WorkspaceId, ConnectionId = account.ConnectionId }, ct);

        if (delivery.Ignored.Count > 0)
            Logger(loggers).LogInformation("Ignored {Count} Messenger items for page {PageId}: {Kinds}", delivery.Ignored.Count, account.PageId, string.Join(", ", delivery.Ignored.Distinct()));
        return TypedResults.Text("EVENT_RECEIVED", "text/plain");
    }

    private static async Task<(MessengerAccount? Account, IResult? Problem)> AccountAsync(Guid connectionId, HttpContext context, ChannelConnections connections,
        ILoggerFactory loggers, CancellationToken ct)
    {
        try
        {
            var account = await connections.EnabledAsync(connectionId, ChannelConnectionTypes.Messenger,
                connection => MessengerConnectionType.Open(connection, connections.Secrets), ct);
            return account is null
                ? (null, Refuse(context, loggers, StatusCodes.Status404NotFound, "Unknown channel connection", "No enabled Messenger channel connection has this id."))
                : (account, null);
        }
        catch (Exception error) when (error is System.Security.Cryptography.CryptographicException or System.Text.Json.JsonException)
        {
            // Our fault, not Meta's: the key ring that encrypted the secrets is not this process's.
            Logger(loggers).LogError("Cannot check a Messenger webhook to {Path}: the connection's secrets cannot be decrypted (is the Data Protection key ring shared?)", context.Request.Path);
            return (null, TypedResults.Problem("The connection's credentials cannot be read.", statusCode: StatusCodes.Status503ServiceUnavailable));
        }
    }

    private static IResult Refuse(HttpContext context, ILoggerFactory loggers, int status, string title, string reason)
    {
        Logger(loggers).LogWarning("Refused a Messenger webhook to {Path} with {Status}: {Reason}", context.Request.Path, status, reason);
        return TypedResults.Problem(reason, statusCode: status, title: title);
    }

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(MessengerWebhooksApi));
}
