using Crm.Connectors.Connections;
using Crm.Connectors.Meta;
using Crm.Connectors.Spool;
using Crm.Connectors.Webhooks;
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
    private static readonly ProviderWebhook Webhook = new("Messenger", ChannelConnectionTypes.Messenger, typeof(MessengerWebhooksApi));

    public static IEndpointRouteBuilder MapMessengerWebhooks(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("").AllowAnonymous().DisableAntiforgery().WithTags("Messenger");
        webhooks.MapGet(MessengerWebhookPaths.Route, VerifySubscription);
        webhooks.MapPost(MessengerWebhookPaths.Route, ReceiveDelivery);
        return app;
    }

    public static async Task<IResult> VerifySubscription(Guid connectionId, HttpContext context)
    {
        var (account, problem) = await Webhook.AccountAsync<MessengerAccount>(connectionId, context, MessengerConnectionType.Open);
        if (account is null) return problem!;
        if (MetaWebhooks.VerifySubscription(context.Request.Query, account.Secrets.VerifyToken) is { } challenge)
            return TypedResults.Text(challenge, "text/plain");
        return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Subscription not confirmed",
            "hub.mode is not subscribe, or hub.verify_token is not this connection's verify token.");
    }

    public static async Task<IResult> ReceiveDelivery(Guid connectionId, HttpContext context, IInboundSpool spool,
        MessengerProfiles profiles, TimeProvider clock, CancellationToken ct)
    {
        var (account, problem) = await Webhook.AccountAsync<MessengerAccount>(connectionId, context, MessengerConnectionType.Open);
        if (account is null) return problem!;
        var read = await MetaWebhooks.ReadSignedAsync(context.Request, account.Secrets.AppSecret, ct);
        if (read.Bytes is not { } body) return Webhook.Refuse(context, read.Status, "Refused Messenger webhook", read.Refusal!);

        MessengerDelivery delivery;
        try
        {
            delivery = MessengerWebhook.Normalize(body, account.PageId, clock.GetUtcNow());
        }
        catch (FormatException error)
        {
            return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Unreadable Messenger webhook", error.Message);
        }

        // Every entry for another page: the app's webhook points at the wrong connection. Refused loudly, so it is fixed.
        if (delivery.OwnEntries == 0)
        {
            return Webhook.Refuse(context, StatusCodes.Status422UnprocessableEntity, "Not this connection's page",
                $"The delivery is for page {string.Join(", ", delivery.OtherPages.Distinct())}, not page {account.PageId} of channel connection {account.ConnectionId}.");
        }
        // Mixed with this page's: refusing would hold this page's messages back with the rest, and Meta would retry forever.
        if (delivery.OtherPages.Count > 0)
        {
            Webhook.Logger(context).LogWarning("Skipped {Count} entries of a Messenger delivery to {Path}: they are for page {Pages}, not this connection's page {PageId}",
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
            Webhook.Logger(context).LogInformation("Ignored {Count} Messenger items for page {PageId}: {Kinds}", delivery.Ignored.Count, account.PageId, string.Join(", ", delivery.Ignored.Distinct()));
        return TypedResults.Text("EVENT_RECEIVED", "text/plain");
    }
}
