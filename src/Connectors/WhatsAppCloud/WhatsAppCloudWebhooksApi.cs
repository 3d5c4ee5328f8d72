using Crm.Connectors.Connections;
using Crm.Connectors.Meta;
using Crm.Connectors.Spool;
using Crm.Connectors.Webhooks;
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
    private static readonly ProviderWebhook Webhook = new("WhatsApp Cloud API", ChannelConnectionTypes.WhatsAppCloud, typeof(WhatsAppCloudWebhooksApi));

    public const string Route = "/webhooks/whatsapp-cloud/{connectionId:guid}";

    public static string PathOf(Guid connectionId) => $"/webhooks/whatsapp-cloud/{connectionId}";

    public static IEndpointRouteBuilder MapWhatsAppCloudWebhooks(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("").AllowAnonymous().DisableAntiforgery().WithTags("WhatsApp Cloud API");
        webhooks.MapGet(Route, VerifySubscription);
        webhooks.MapPost(Route, Receive);
        return app;
    }

    public static async Task<IResult> VerifySubscription(Guid connectionId, HttpContext context)
    {
        var (account, refusal) = await Webhook.AccountAsync<WhatsAppCloudAccount>(connectionId, context, WhatsAppCloudAccount.Open);
        if (account is null) return refusal!;
        if (MetaWebhooks.VerifySubscription(context.Request.Query, account.VerifyToken) is { } challenge)
        {
            Webhook.Logger(context).LogInformation("Meta confirmed the webhook subscription of channel connection {ConnectionId}", connectionId);
            return TypedResults.Text(challenge, "text/plain");
        }
        return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Subscription not confirmed",
            "hub.mode is not subscribe, the challenge is missing, or hub.verify_token is not this connection's verify token.");
    }

    public static async Task<IResult> Receive(Guid connectionId, HttpContext context, IInboundSpool spool,
        TimeProvider clock, CancellationToken ct)
    {
        var (account, refusal) = await Webhook.AccountAsync<WhatsAppCloudAccount>(connectionId, context, WhatsAppCloudAccount.Open);
        if (account is null) return refusal!;

        var read = await MetaWebhooks.ReadSignedAsync(context.Request, account.AppSecret, ct);
        if (read.Bytes is not { } body) return Webhook.Refuse(context, read.Status, "Unreadable WhatsApp Cloud API webhook", read.Refusal!);

        WhatsAppCloudDelivery delivery;
        try
        {
            delivery = WhatsAppCloudWebhook.Read(body, account, clock.GetUtcNow());
        }
        catch (FormatException error)
        {
            return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Unreadable WhatsApp Cloud API webhook", error.Message);
        }

        if (delivery.Skipped.Count > 0)
        {
            Webhook.Logger(context).LogWarning("Skipped {Count} parts of a WhatsApp Cloud API webhook to {Path}: {Reasons}", delivery.Skipped.Count,
                context.Request.Path, string.Join(" ", delivery.Skipped.Take(5)));
        }
        foreach (var message in delivery.Messages) await spool.AcceptAsync(message, ct);
        foreach (var status in delivery.Statuses) await spool.AcceptAsync(status, ct);
        return TypedResults.Ok();
    }
}
