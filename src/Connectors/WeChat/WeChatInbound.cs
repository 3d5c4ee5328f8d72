using System.Globalization;
using Crm.Connectors.Connections;
using Crm.Contracts;

namespace Crm.Connectors.WeChat;

/// <summary>What one WeChat webhook is for Crm: a customer's message or event, a template's delivery report, or nothing to keep.</summary>
public abstract record WeChatInboundItem
{
    public sealed record Message(InboundMessageReceived Received) : WeChatInboundItem;

    public sealed record Status(MessageStatusReported Reported) : WeChatInboundItem;

    /// <summary>Acknowledged and dropped (e.g. the periodic LOCATION report); <see cref="Why"/> for the log.</summary>
    public sealed record Ignored(string Why) : WeChatInboundItem;
}

/// <summary>
/// Turns a WeChat Official Account webhook's fields into Crm's messages. The customer is the OpenID
/// (<c>FromUserName</c>); the business is the account's original id (<c>ToUserName</c>, gh_…). WeChat retries a webhook
/// it got no answer to within 5 seconds (three times), repeating <c>MsgId</c>; events have none, and WeChat's own advice is
/// to tell them apart by sender and <c>CreateTime</c>, so that (and the event's name) is their id.
/// </summary>
public static class WeChatInbound
{
    /// <exception cref="FormatException">A field every webhook has is missing or unreadable.</exception>
    public static WeChatInboundItem Normalize(IReadOnlyDictionary<string, string> fields, Guid connectionId, DateTimeOffset receivedAt)
    {
        var customer = Required(fields, "FromUserName");
        var business = Required(fields, "ToUserName");
        var createTime = Required(fields, "CreateTime");
        if (!long.TryParse(createTime, NumberStyles.None, CultureInfo.InvariantCulture, out _)) throw new FormatException("CreateTime is not a number.");
        var type = Required(fields, "MsgType").ToLowerInvariant();

        if (type == "event") return Event(fields, customer, business, createTime, receivedAt);

        var msgId = Field(fields, "MsgId") ?? Field(fields, "MsgID");
        if (string.IsNullOrEmpty(msgId)) throw new FormatException($"A {type} message has no MsgId.");
        if (msgId.Length > 64 || !msgId.All(char.IsAsciiLetterOrDigit)) throw new FormatException("MsgId is not an id WeChat gives.");
        string? text = null;
        var media = new List<MediaAttachment>();
        SharedLocation? location = null;
        switch (type)
        {
            case "text":
                text = Field(fields, "Content");
                break;
            case "image":
                AddMedia(media, connectionId, Field(fields, "MediaId"), "image/jpeg");
                break;
            case "voice":
                AddMedia(media, connectionId, Field(fields, "MediaId"), VoiceContentType(Field(fields, "Format")));
                // Speech recognition, when the account turned it on: the words agents can read without playing it.
                text = NullIfEmpty(Field(fields, "Recognition"));
                break;
            case "video" or "shortvideo":
                AddMedia(media, connectionId, Field(fields, "MediaId"), "video/mp4");
                AddMedia(media, connectionId, Field(fields, "ThumbMediaId"), "image/jpeg");
                break;
            case "location":
                location = new SharedLocation(Coordinate(fields, "Location_X"), Coordinate(fields, "Location_Y"), NullIfEmpty(Field(fields, "Label")), null);
                break;
            case "link":
                text = string.Join("\n", new[] { Field(fields, "Title"), Field(fields, "Description"), Field(fields, "Url") }.Where(part => !string.IsNullOrEmpty(part)));
                break;
            // Any newer type is still kept, with its fields, so nothing a customer sent is lost.
        }

        return new WeChatInboundItem.Message(new InboundMessageReceived(Channels.WeChat, msgId, customer, null, business, text, media, location, null,
            RawFields(fields), receivedAt));
    }

    private static WeChatInboundItem Event(IReadOnlyDictionary<string, string> fields, string customer, string business, string createTime, DateTimeOffset receivedAt)
    {
        var name = Required(fields, "Event");
        var eventKey = NullIfEmpty(Field(fields, "EventKey"));
        CustomerEvent? happened = name.ToLowerInvariant() switch
        {
            // Following through a parameterised QR code says which one: qrscene_{scene}.
            "subscribe" => new CustomerEvent(CustomerEventKinds.Subscribed,
                eventKey is not null && eventKey.StartsWith("qrscene_", StringComparison.Ordinal) ? eventKey["qrscene_".Length..] : eventKey,
                NullIfEmpty(Field(fields, "Ticket"))),
            "unsubscribe" => new CustomerEvent(CustomerEventKinds.Unsubscribed, null, null),
            "scan" => new CustomerEvent(CustomerEventKinds.Scanned, eventKey, NullIfEmpty(Field(fields, "Ticket"))),
            "click" => new CustomerEvent(CustomerEventKinds.MenuClicked, eventKey, null),
            "view" => new CustomerEvent(CustomerEventKinds.LinkOpened, eventKey, NullIfEmpty(Field(fields, "MenuId"))),
            _ => null,
        };

        if (name.Equals("TEMPLATESENDJOBFINISH", StringComparison.OrdinalIgnoreCase)) return TemplateStatus(fields, receivedAt);
        if (happened is null) return new WeChatInboundItem.Ignored($"WeChat event {name} is not something Crm keeps.");

        var id = $"event:{customer}:{createTime}:{name}";
        return new WeChatInboundItem.Message(new InboundMessageReceived(Channels.WeChat, id, customer, null, business, null, [], null, null,
            RawFields(fields), receivedAt) { Event = happened });
    }

    /// <summary>
    /// How a template message ended: <c>success</c>, <c>failed:user block</c> (the customer refuses the account's
    /// templates) or <c>failed: system failed</c>. Matched to the send by its MsgID, which the send's answer gave.
    /// </summary>
    private static WeChatInboundItem TemplateStatus(IReadOnlyDictionary<string, string> fields, DateTimeOffset receivedAt)
    {
        var msgId = Field(fields, "MsgID") ?? Field(fields, "MsgId");
        if (string.IsNullOrEmpty(msgId) || msgId.Length > 64 || !msgId.All(char.IsAsciiLetterOrDigit))
            throw new FormatException("A TEMPLATESENDJOBFINISH event has no MsgID WeChat gives.");
        var status = (Field(fields, "Status") ?? "").Trim();
        var (inboxStatus, error) = status.ToLowerInvariant() switch
        {
            "success" => (MessageStatuses.Delivered, (string?)null),
            var s when s.Replace(" ", "", StringComparison.Ordinal) == "failed:userblock" => (MessageStatuses.Failed, SendFailures.RecipientUnavailable),
            var s when s.StartsWith("failed", StringComparison.Ordinal) => (MessageStatuses.Failed, SendFailures.Refused),
            _ => (null, null),
        };
        if (inboxStatus is null) return new WeChatInboundItem.Ignored($"Template status {status} is not one Crm knows.");
        return new WeChatInboundItem.Status(new MessageStatusReported(null, Channels.WeChat, msgId, inboxStatus, error, receivedAt));
    }

    private static void AddMedia(List<MediaAttachment> media, Guid connectionId, string? mediaId, string contentType)
    {
        if (string.IsNullOrEmpty(mediaId)) return;
        if (mediaId.Length > 512 || mediaId.Any(char.IsControl)) throw new FormatException("A MediaId is not one WeChat gives.");
        media.Add(new MediaAttachment(MediaPaths.Of(connectionId, mediaId), contentType));
    }

    private static string VoiceContentType(string? format) => format?.ToLowerInvariant() switch
    {
        "amr" => "audio/amr",
        "speex" => "audio/speex",
        "mp3" => "audio/mpeg",
        _ => "audio/*",
    };

    private static double Coordinate(IReadOnlyDictionary<string, string> fields, string name)
        => double.TryParse(Field(fields, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new FormatException($"{name} is not a coordinate.");

    /// <summary>Everything WeChat sent but the ciphertext (which is only the same message again).</summary>
    private static IReadOnlyDictionary<string, string> RawFields(IReadOnlyDictionary<string, string> fields)
        => fields.Where(field => field.Key != "Encrypt").ToDictionary(field => field.Key, field => field.Value, StringComparer.Ordinal);

    private static string Required(IReadOnlyDictionary<string, string> fields, string name)
        => Field(fields, name) is { Length: > 0 and <= 256 } value && !value.Any(char.IsControl)
            ? value.Trim()
            : throw new FormatException($"{name} is missing or not what WeChat sends.");

    private static string? Field(IReadOnlyDictionary<string, string> fields, string name) => fields.GetValueOrDefault(name);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
