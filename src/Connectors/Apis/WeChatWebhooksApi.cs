using System.Globalization;
using Crm.Connectors.Connections;
using Crm.Connectors.Spool;
using Crm.Connectors.WeChat;
using Crm.Connectors.Webhooks;
using Crm.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Apis;

/// <summary>
/// A WeChat Official Account's server URL: <c>GET</c> is WeChat checking the URL (echo <c>echostr</c> when the signature
/// is made with the connection's token), <c>POST</c> a customer's message or event, in plain mode (<c>signature</c> over
/// token, timestamp and nonce) or safe mode (<c>encrypt_type=aes</c>: <c>msg_signature</c> also over the ciphertext,
/// which only the connection's EncodingAESKey opens, for the connection's AppID only). WeChat waits 5 seconds and tries
/// three times: it gets <c>success</c> as soon as the spool kept the message, and the inbox drops the repeats by id.
/// Anything refused gets a 4xx problem and one warning that says why, never the body or a secret.
/// </summary>
public static class WeChatWebhooksApi
{
    private static readonly ProviderWebhook Webhook = new("WeChat", ChannelConnectionTypes.WeChat, typeof(WeChatWebhooksApi));

    public static IEndpointRouteBuilder MapWeChatWebhooks(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("").AllowAnonymous().AddEndpointFilter(FindAccount).DisableAntiforgery().WithTags("WeChat");
        webhooks.MapGet(WeChatWebhookPaths.Route, VerifyServer);
        webhooks.MapPost(WeChatWebhookPaths.Route, Receive);
        return app;
    }

    public static IResult VerifyServer(HttpContext context)
    {
        var account = AccountOf(context);
        var query = context.Request.Query;
        var echo = query["echostr"].ToString();
        if (echo.Length is 0 or > 512 || echo.Any(char.IsControl))
            return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Not WeChat's server check", "echostr is missing or not what WeChat sends.");
        if (!WeChatSignature.IsValid(query["signature"], account.Token, query["timestamp"].ToString(), query["nonce"].ToString()))
            return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Signature does not match", "the signature is missing or not made with this connection's token.");
        return TypedResults.Text(echo, "text/plain");
    }

    public static async Task<IResult> Receive(HttpContext context, IInboundSpool spool, TimeProvider clock, IOptions<WeChatOptions> options,
        WeChatUnionIds unionIds, CancellationToken ct)
    {
        var account = AccountOf(context);
        var query = context.Request.Query;
        var timestamp = query["timestamp"].ToString();
        var nonce = query["nonce"].ToString();
        var safeMode = string.Equals(query["encrypt_type"], "aes", StringComparison.OrdinalIgnoreCase);

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || nonce.Length is 0 or > 64)
            return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Signature does not match", "timestamp or nonce is missing.");
        if (seconds > 253402300799 || (clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > options.Value.MaxTimestampSkew)
            return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Stale webhook", "the timestamp is too far from now to be a fresh delivery.");
        if (safeMode && account.Crypt is null)
            return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Safe mode is not set up",
                "WeChat sent an encrypted message but this connection has no EncodingAESKey.");
        // Checked before a byte of the body is read. Plain mode has nothing else; safe mode signs the body too (msg_signature,
        // below), and WeChat sends this one beside it, so a wrong one is refused here as cheaply.
        var signature = query["signature"].ToString();
        if ((!safeMode || signature.Length > 0) && !WeChatSignature.IsValid(signature, account.Token, timestamp, nonce))
            return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Signature does not match", "the signature is missing or not made with this connection's token.");

        var read = await BoundedBody.ReadAsync(context.Request, WeChatXml.MaxBodyBytes, ct);
        if (read.Bytes is not { } body) return Webhook.Refuse(context, read.Status, "Unreadable WeChat webhook", read.Refusal!);

        IReadOnlyDictionary<string, string> fields;
        try
        {
            fields = WeChatXml.Parse(body);
            if (safeMode)
            {
                var encrypted = fields.GetValueOrDefault("Encrypt");
                if (string.IsNullOrEmpty(encrypted))
                    return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Unreadable WeChat webhook", "a safe-mode message has no Encrypt.");
                if (!WeChatSignature.IsValid(query["msg_signature"], account.Token, timestamp, nonce, encrypted))
                    return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Signature does not match",
                        "the msg_signature is missing or not made with this connection's token over this message.");
                var (message, appId) = account.Crypt!.Decrypt(encrypted);
                if (!string.Equals(appId, account.AppId, StringComparison.Ordinal))
                    return Webhook.Refuse(context, StatusCodes.Status403Forbidden, "Not for this account", "the message was encrypted for another AppID.");
                fields = WeChatXml.Parse(message);
            }
        }
        catch (FormatException error)
        {
            return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Unreadable WeChat webhook", error.Message);
        }

        WeChatInboundItem item;
        try
        {
            item = WeChatInbound.Normalize(fields, account.ConnectionId, clock.GetUtcNow());
        }
        catch (FormatException error)
        {
            return Webhook.Refuse(context, StatusCodes.Status400BadRequest, "Unreadable WeChat webhook", error.Message);
        }

        if (fields.GetValueOrDefault("ToUserName")?.Trim() != account.OriginalId)
            return Webhook.Refuse(context, StatusCodes.Status422UnprocessableEntity, "Not this connection's account",
                $"ToUserName is not {account.OriginalId}, the original id of channel connection {account.ConnectionId}.");

        switch (item)
        {
            case WeChatInboundItem.Message { Received: var received }:
                // Looked up before the spool, within a short timeout; without it the message is spooled all the same.
                if (account.FetchUnionId && !received.SentByBusiness && await unionIds.FindAsync(account, received.CustomerIdentity, ct) is { } unionId)
                    received = received with { AlsoKnownAs = [new IdentityAlias(IdentityKinds.WeChatUnionId, unionId)] };
                await spool.AcceptAsync(received with
                {
                    WorkspaceId = account.WorkspaceId,
                    ConnectionId = account.ConnectionId,
                    RoutingTeamId = account.RoutingTeamId,
                }, ct);
                break;
            case WeChatInboundItem.Status { Reported: var reported }:
                await spool.AcceptAsync(reported with { WorkspaceId = account.WorkspaceId, ConnectionId = account.ConnectionId }, ct);
                break;
            case WeChatInboundItem.Ignored { Why: var why }:
                Webhook.Logger(context).LogInformation("Acknowledged a WeChat webhook to {Path} and kept nothing: {Why}", context.Request.Path, why);
                break;
        }
        return TypedResults.Text("success", "text/plain");
    }

    /// <summary>Finds the route's connection, decrypted, before anything of the request is read; the handlers get it from the items.</summary>
    private static async ValueTask<object?> FindAccount(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (account, refusal) = await Webhook.AccountAsync<WeChatAccount>(Guid.Parse((string)http.Request.RouteValues["connectionId"]!), http, WeChatAccount.Open);
        if (account is null) return refusal;
        http.Items[typeof(WeChatAccount)] = account;
        return await next(context);
    }

    private static WeChatAccount AccountOf(HttpContext context) => (WeChatAccount)context.Items[typeof(WeChatAccount)]!;
}
