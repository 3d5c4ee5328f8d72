using System.Text.Json.Nodes;
using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>Replies and templates from a WhatsApp Cloud API number (<c>POST /{phone-number-id}/messages</c>).</summary>
public sealed class WhatsAppCloudSender(WhatsAppCloudClient meta, ChannelConnections connections, IOptions<WhatsAppCloudOptions> options) : IChannelSender
{
    public string ConnectionType => ChannelConnectionTypes.WhatsAppCloud;
    public string Provider => "Meta";
    public ProviderSendOptions Options => options.Value;

    public Task<SendResult> SendAsync(ChannelConnection connection, SendOutboundMessage command, CancellationToken ct)
    {
        var account = WhatsAppCloudAccount.Open(connection, connections.Secrets);
        if (RecipientOf(command.To) is not { } to && !IsBusinessScopedUserId(to = command.To))
            return Task.FromResult(SendResult.Refused(SendFailures.RecipientUnavailable,
                $"{command.To} is neither a phone number nor a business-scoped user id; the WhatsApp Cloud API sends to those."));
        if (Message(connection, command, to) is not { } message)
            return Task.FromResult(SendResult.Refused(SendFailures.TemplateRejected,
                $"Template {command.Template!.TemplateId} has no language: name one, or sync the catalog from Meta."));
        return meta.SendAsync(account, message, command.NotAfter, ct);
    }

    /// <summary>The request body; null when a template's language is known neither from the command nor from the catalog.</summary>
    public static JsonObject? Message(ChannelConnection connection, SendOutboundMessage command, string to)
    {
        var message = new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["recipient_type"] = "individual",
        };
        // A phone number goes in "to"; a business-scoped user id (a user known only by it) in "recipient".
        message[IsBusinessScopedUserId(to) ? "recipient" : "to"] = to;
        if (command.Template is not { } template)
        {
            message["type"] = "text";
            message["text"] = new JsonObject { ["preview_url"] = false, ["body"] = command.Text };
            return message;
        }
        var language = template.Language
                       ?? connection.Templates.Where(t => t.Id == template.TemplateId).Select(t => t.Language).FirstOrDefault(l => l is not null);
        if (language is null) return null;
        message["type"] = "template";
        message["template"] = WhatsAppCloudTemplates.Build(template.TemplateId, language, template.Variables);
        return message;
    }

    /// <summary>
    /// Whether <paramref name="identity"/> is a WhatsApp business-scoped user id (BSUID): a two-letter country code, a dot and
    /// up to 128 letters and digits (e.g. <c>US.13491208655302741918</c>); a parent BSUID has <c>ENT.</c> after the country.
    /// </summary>
    public static bool IsBusinessScopedUserId(string identity)
    {
        var parts = identity.Split('.');
        return parts.Length is 2 or 3 && parts[0].Length == 2 && parts[0].All(char.IsAsciiLetterUpper)
               && (parts.Length == 2 || parts[1] == "ENT")
               && parts[^1].Length is > 0 and <= 128 && parts[^1].All(char.IsAsciiLetterOrDigit);
    }

    /// <summary>The wa_id Meta sends to: the identity's digits, without its '+'.</summary>
    public static string? RecipientOf(string identity)
        => identity.Length > 1 && identity[0] == '+' && identity.Skip(1).All(char.IsAsciiDigit) ? identity[1..] : null;
}
