using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.WeChat;

/// <summary>
/// Replies as customer-service messages (within WeChat's 48-hour window, at most 5 per customer message) and templates
/// as template messages. The customer-service API answers with no message id, so a reply's id is made from Crm's own
/// message id (<c>wechat-cs-{MessageId}</c>): unique, and the same however often the send is reported. A template's id
/// is WeChat's <c>msgid</c>, which its TEMPLATESENDJOBFINISH event names when the delivery is settled.
/// </summary>
public sealed class WeChatSender(WeChatApiClient api, WeChatAccessTokens tokens, ConnectionSecrets secrets, IOptions<WeChatOptions> options) : IChannelSender
{
    public const string CustomSendPath = "/cgi-bin/message/custom/send";
    public const string TemplateSendPath = "/cgi-bin/message/template/send";

    public string ConnectionType => ChannelConnectionTypes.WeChat;
    public string Provider => "WeChat";
    public ProviderSendOptions Options => options.Value;

    public async Task<SendResult> SendAsync(ChannelConnection connection, SendOutboundMessage command, CancellationToken ct)
    {
        var account = WeChatAccount.Open(connection, secrets);
        var (path, body) = command.Template is { } template ? (TemplateSendPath, TemplateBody(command.To, template)) : (CustomSendPath, TextBody(command.To, command.Text));
        var call = await tokens.CallAsync(account, token => api.PostJsonAsync(account, path, token, body, command.NotAfter, ct), ct);
        if (call.Failure is { } failure) return failure;
        if (command.Template is null) return SendResult.Accepted($"wechat-cs-{command.MessageId}", MessageStatuses.Sent);
        // A template accepted without its msgid still went out: not a refusal, so it throws (outcome unknown).
        var msgId = call.Answer!.Body.TryGetProperty("msgid", out var id) && id.ValueKind is JsonValueKind.Number or JsonValueKind.String
            ? id.ValueKind == JsonValueKind.Number ? id.GetRawText() : id.GetString()!
            : throw new InvalidDataException("WeChat accepted the template message but its answer had no msgid.");
        return SendResult.Accepted(msgId, MessageStatuses.Sent);
    }

    /// <summary>A customer-service text message, as WeChat documents it.</summary>
    public static string TextBody(string openId, string text)
        => new JsonObject { ["touser"] = openId, ["msgtype"] = "text", ["text"] = new JsonObject { ["content"] = text } }.ToJsonString(Json);

    /// <summary>A customer-service image message by media id (the inbox sends text only for now).</summary>
    public static string ImageBody(string openId, string mediaId)
        => new JsonObject { ["touser"] = openId, ["msgtype"] = "image", ["image"] = new JsonObject { ["media_id"] = mediaId } }.ToJsonString(Json);

    /// <summary>A template message: each variable of the catalog's template is a <c>data</c> field with its value.</summary>
    public static string TemplateBody(string openId, OutboundTemplate template)
    {
        var data = new JsonObject();
        foreach (var (name, value) in template.Variables) data[name] = new JsonObject { ["value"] = value };
        return new JsonObject { ["touser"] = openId, ["template_id"] = template.TemplateId, ["data"] = data }.ToJsonString(Json);
    }

    /// <summary>Chinese as it is, not as \u escapes: WeChat reads either, and its own examples (and the fake's log) read better.</summary>
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

}
