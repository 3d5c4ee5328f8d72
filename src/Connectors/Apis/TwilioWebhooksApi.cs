using Crm.Connectors.Connections;
using Crm.Connectors.Spool;
using Crm.Connectors.Twilio;
using Crm.Connectors.Webhooks;
using Crm.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.Apis;

/// <summary>
/// Twilio's webhooks. Nothing is published before the signature checks out; once the spool has kept it, Twilio
/// gets its 200. If the spool cannot keep it Twilio gets a 5xx and retries, and the inbox drops the repeat.
/// Anything else that is refused gets a 4xx problem and one warning that says why (never the body or a secret).
/// Each channel connection has its own URLs (<see cref="TwilioWebhookPaths"/>): the route names the connection
/// whose auth token the signature is checked with, and whose workspace the message belongs to.
/// </summary>
public static class TwilioWebhooksApi
{
    private static readonly ProviderWebhook Webhook = new("Twilio", ChannelConnectionTypes.TwilioWhatsApp, typeof(TwilioWebhooksApi));

    private const string EmptyTwiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

    public static IEndpointRouteBuilder MapTwilioWebhooks(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("").AllowAnonymous().AddEndpointFilter(ReadSignedForm).DisableAntiforgery().WithTags("Twilio");
        webhooks.MapPost(TwilioWebhookPaths.MessagesRoute, ReceiveWhatsAppMessage);
        webhooks.MapPost(TwilioWebhookPaths.StatusRoute, ReceiveStatus);
        return app;
    }

    public static async Task<IResult> ReceiveWhatsAppMessage(HttpContext context, IInboundSpool spool, TimeProvider clock,
        CancellationToken ct)
    {
        var account = SigningAccount(context);
        InboundMessageReceived message;
        try
        {
            message = TwilioWhatsAppWebhook.Normalize(SignedForm(context), clock.GetUtcNow()) with
            {
                WorkspaceId = account.WorkspaceId,
                ConnectionId = account.ConnectionId,
                RoutingTeamId = account.RoutingTeamId,
            };
        }
        catch (FormatException error)
        {
            return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Unreadable Twilio webhook", error.Message);
        }

        if (!account.Owns(message.BusinessIdentity))
        {
            return Webhook.Refuse(context, StatusCodes.Status422UnprocessableEntity, "Not one of this connection's WhatsApp numbers",
                $"{message.BusinessIdentity} is not a number of channel connection {account.ConnectionId}.");
        }

        await spool.AcceptAsync(message, ct);
        return TypedResults.Text(EmptyTwiml, "text/xml");
    }

    public static async Task<IResult> ReceiveStatus(HttpContext context, IInboundSpool spool, TimeProvider clock, CancellationToken ct)
    {
        var account = SigningAccount(context);
        var form = SignedForm(context);
        var sid = First(form, "MessageSid");
        if (string.IsNullOrEmpty(sid))
            return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Unreadable Twilio status callback", "MessageSid is missing.");
        if (!TwilioWhatsAppWebhook.IsMessageSid(sid))
            return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Unreadable Twilio status callback", "MessageSid is not a Twilio id.");

        var twilioStatus = First(form, "MessageStatus");
        if (TwilioStatuses.ToInboxStatus(twilioStatus) is not { } status)
        {
            // Not an outbound delivery status (e.g. "received"): acknowledge so Twilio does not retry.
            Webhook.Logger(context).LogInformation("Ignoring Twilio status {Status} for {Sid}", twilioStatus, sid);
            return TypedResults.Text(EmptyTwiml, "text/xml");
        }

        Guid? messageId = Guid.TryParse(context.Request.Query["messageId"], out var id) ? id : null;
        var errorCode = First(form, "ErrorCode");
        await spool.AcceptAsync(new MessageStatusReported(messageId, Channels.WhatsApp, sid, status,
            TwilioErrors.ToCrmReason(errorCode), clock.GetUtcNow())
        {
            WorkspaceId = account.WorkspaceId,
            ConnectionId = account.ConnectionId,
        }, ct);
        return TypedResults.Text(EmptyTwiml, "text/xml");
    }

    /// <summary>
    /// Finds the route's connection, reads the form once, within bounds, and checks its signature with that
    /// connection's auth token; the handler gets the same fields and account. No endpoint parameter reads
    /// the body, so this runs before anything of it is read.
    /// </summary>
    private static async ValueTask<object?> ReadSignedForm(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (account, refusal) = await Webhook.AccountAsync<TwilioAccount>(Guid.Parse((string)http.Request.RouteValues["connectionId"]!), http, TwilioAccount.Open);
        if (account is null) return refusal;

        var read = await TwilioWebhookForm.ReadAsync(http.Request, http.RequestAborted);
        if (read.Fields is not { } form)
            return Webhook.Refuse(http, read.Status, "Unreadable Twilio webhook", read.Refusal!);

        var signature = http.Request.Headers["X-Twilio-Signature"].ToString();
        var signedUrl = http.RequestServices.GetRequiredService<WebhookBaseUrl>().RequestUrl(http.Request);
        if (!TwilioSignature.IsValid(account.AuthToken, signature, signedUrl, form))
        {
            Webhook.Logger(http).LogWarning("Refused a Twilio webhook to {Path}: {Reason}", http.Request.Path,
                "the signature is missing or not made with this connection's auth token (is Crm:Twilio:PublicBaseUrl the URL Twilio calls?)");
            return TypedResults.Problem("The X-Twilio-Signature header is missing or does not match.", statusCode: StatusCodes.Status403Forbidden);
        }

        http.Items[typeof(TwilioWebhookForm)] = form;
        http.Items[typeof(TwilioAccount)] = account;
        return await next(context);
    }

    private static TwilioAccount SigningAccount(HttpContext context) => (TwilioAccount)context.Items[typeof(TwilioAccount)]!;

    private static IReadOnlyList<KeyValuePair<string, string>> SignedForm(HttpContext context)
        => (IReadOnlyList<KeyValuePair<string, string>>)context.Items[typeof(TwilioWebhookForm)]!;

    private static string First(IReadOnlyList<KeyValuePair<string, string>> form, string key)
        => form.FirstOrDefault(field => field.Key == key).Value ?? "";
}
