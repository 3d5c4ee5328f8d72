using Crm.Connectors.Spool;
using Crm.Connectors.Twilio;
using Crm.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Apis;

/// <summary>
/// Twilio's webhooks. Nothing is published before the signature checks out; once the spool has kept it, Twilio
/// gets its 200. If the spool cannot keep it Twilio gets a 5xx and retries, and the inbox drops the repeat.
/// </summary>
public static class TwilioWebhooksApi
{
    private const string EmptyTwiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

    public static IEndpointRouteBuilder MapTwilioWebhooks(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("").AllowAnonymous().AddEndpointFilter(VerifySignature).DisableAntiforgery().WithTags("Twilio");
        webhooks.MapPost(TwilioWebhookPaths.WhatsApp, ReceiveWhatsAppMessage);
        webhooks.MapPost(TwilioWebhookPaths.Status, ReceiveStatus);
        return app;
    }

    public static async Task<IResult> ReceiveWhatsAppMessage(HttpRequest request, IInboundSpool spool, TimeProvider clock, CancellationToken ct)
    {
        var form = FormPairs(await request.ReadFormAsync(ct));
        InboundMessageReceived message;
        try
        {
            message = TwilioWhatsAppWebhook.Normalize(form, clock.GetUtcNow());
        }
        catch (FormatException error)
        {
            return TypedResults.Problem(error.Message, statusCode: StatusCodes.Status400BadRequest, title: "Unreadable Twilio webhook");
        }

        await spool.AcceptAsync(message, ct);
        return TypedResults.Text(EmptyTwiml, "text/xml");
    }

    public static async Task<IResult> ReceiveStatus(HttpRequest request, IInboundSpool spool, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var sid = form["MessageSid"].ToString();
        if (string.IsNullOrEmpty(sid))
            return TypedResults.Problem("MessageSid is missing.", statusCode: StatusCodes.Status400BadRequest, title: "Unreadable Twilio status callback");

        var twilioStatus = form["MessageStatus"].ToString();
        if (TwilioStatuses.ToInboxStatus(twilioStatus) is not { } status)
        {
            // Not an outbound delivery status (e.g. "received"): acknowledge so Twilio does not retry.
            loggers.CreateLogger(typeof(TwilioWebhooksApi)).LogInformation("Ignoring Twilio status {Status} for {Sid}", twilioStatus, sid);
            return TypedResults.Text(EmptyTwiml, "text/xml");
        }

        Guid? messageId = Guid.TryParse(request.Query["messageId"], out var id) ? id : null;
        var errorCode = form["ErrorCode"].ToString();
        await spool.AcceptAsync(new MessageStatusReported(messageId, Channels.WhatsApp, sid, status,
            string.IsNullOrEmpty(errorCode) ? null : errorCode, clock.GetUtcNow()), ct);
        return TypedResults.Text(EmptyTwiml, "text/xml");
    }

    private static async ValueTask<object?> VerifySignature(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var settings = context.HttpContext.RequestServices.GetRequiredService<IOptions<TwilioOptions>>().Value;
        if (!request.HasFormContentType)
            return TypedResults.Problem("Twilio webhooks are form posts.", statusCode: StatusCodes.Status415UnsupportedMediaType);

        var form = FormPairs(await request.ReadFormAsync(context.HttpContext.RequestAborted));
        var signature = request.Headers["X-Twilio-Signature"].ToString();
        if (!TwilioSignature.IsValid(settings.AuthToken, signature, PublicUrl(request, settings), form))
        {
            var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TwilioWebhooksApi));
            if (string.IsNullOrEmpty(settings.AuthToken))
                logger.LogWarning("Rejected a Twilio webhook to {Path}: Crm:Twilio:AuthToken is not configured, so no signature can be checked", request.Path);
            else
                logger.LogWarning("Rejected a Twilio webhook to {Path} with a missing or wrong signature (is Crm:Twilio:PublicBaseUrl the URL Twilio calls?)", request.Path);
            return TypedResults.Problem("The X-Twilio-Signature header is missing or does not match.", statusCode: StatusCodes.Status403Forbidden);
        }
        return await next(context);
    }

    /// <summary>The URL Twilio signed: behind a proxy the configured public base, else what this server saw.</summary>
    private static string PublicUrl(HttpRequest request, TwilioOptions settings)
    {
        var pathAndQuery = $"{request.PathBase}{request.Path}{request.QueryString}";
        return settings.PublicBaseUrl is { } publicBase
            ? publicBase.ToString().TrimEnd('/') + pathAndQuery
            : $"{request.Scheme}://{request.Host}{pathAndQuery}";
    }

    private static List<KeyValuePair<string, string>> FormPairs(IFormCollection form)
        => form.SelectMany(field => field.Value.Select(value => new KeyValuePair<string, string>(field.Key, value ?? ""))).ToList();
}
