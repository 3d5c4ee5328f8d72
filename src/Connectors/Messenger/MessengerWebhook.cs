using System.Globalization;
using System.Text.Json;
using Crm.Contracts;

namespace Crm.Connectors.Messenger;

/// <summary>
/// What one signed Messenger delivery asks Crm to publish, checked whole before anything is: messages (the customer's,
/// and the page's own sent from elsewhere), delivery statuses by message id, and delivery/read watermarks.
/// </summary>
/// <param name="OwnEntries">Entries for the connection's page.</param>
/// <param name="OtherPages">Entries for another page than the connection's, skipped.</param>
/// <param name="Ignored">Items Crm has no use for (echoes of its own sends, opt-ins, handovers…), by kind, for the log.</param>
public sealed record MessengerDelivery(
    IReadOnlyList<InboundMessageReceived> Messages,
    IReadOnlyList<MessageStatusReported> Statuses,
    IReadOnlyList<StatusWatermarkReported> Watermarks,
    int OwnEntries,
    IReadOnlyList<string> OtherPages,
    IReadOnlyList<string> Ignored);

/// <summary>
/// Turns Messenger's webhook JSON (<c>{"object":"page","entry":[{"id","messaging":[…]}]}</c>) into Crm's messages.
/// Meta batches: one delivery may hold many entries, each many items.
/// </summary>
public static class MessengerWebhook
{
    /// <summary>Meta's timestamps are used when they are this close to now (a retried delivery is late, never days late); else the time it arrived.</summary>
    public static readonly TimeSpan TrustTimestampsWithin = TimeSpan.FromDays(7);

    /// <summary>Clocks differ a little; a timestamp further in the future than this is not believed.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private const int MaxIdLength = 64;
    private const int MaxMessageIdLength = 512;

    /// <exception cref="FormatException">The delivery is not Messenger's shape; says where, never the content.</exception>
    public static MessengerDelivery Normalize(ReadOnlyMemory<byte> body, string pageId, DateTimeOffset now)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(body); }
        catch (JsonException) { throw new FormatException("The body is not JSON."); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("The body is not a JSON object.");
            if (Text(root, "object") != "page") throw new FormatException("object must be \"page\" (a Messenger webhook).");
            if (!root.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array || entries.GetArrayLength() == 0)
                throw new FormatException("entry must be a non-empty array.");

            var batch = new Batch(pageId, now);
            var index = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                batch.Entry(entry, $"entry[{index}]");
                index++;
            }
            return new MessengerDelivery(batch.Messages, batch.Statuses, batch.Watermarks, batch.OwnEntries, batch.OtherPages, batch.Ignored);
        }
    }

    /// <summary>The content type a Messenger attachment most likely has: its URL's extension where it names one, else its kind's usual type.</summary>
    public static string ContentTypeOf(string kind, string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed.AbsolutePath : url;
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return (kind, extension) switch
        {
            ("image", ".png") => "image/png",
            ("image", ".gif") => "image/gif",
            ("image", ".webp") => "image/webp",
            ("image", _) => "image/jpeg",
            // Messenger's voice clips are MP4 files holding audio only.
            ("audio", ".mp3") => "audio/mpeg",
            ("audio", ".wav") => "audio/wav",
            ("audio", ".ogg") => "audio/ogg",
            ("audio", _) => "audio/mp4",
            ("video", ".mov") => "video/quicktime",
            ("video", ".webm") => "video/webm",
            ("video", _) => "video/mp4",
            (_, ".pdf") => "application/pdf",
            (_, ".txt") => "text/plain",
            (_, ".zip") => "application/zip",
            (_, ".docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (_, ".xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _ => "application/octet-stream",
        };
    }

    private sealed class Batch(string pageId, DateTimeOffset now)
    {
        public List<InboundMessageReceived> Messages { get; } = [];
        public List<MessageStatusReported> Statuses { get; } = [];
        public List<StatusWatermarkReported> Watermarks { get; } = [];
        public int OwnEntries { get; private set; }
        public List<string> OtherPages { get; } = [];
        public List<string> Ignored { get; } = [];

        public void Entry(JsonElement entry, string where)
        {
            if (entry.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            var id = Id(entry, "id", where);
            if (id != pageId)
            {
                OtherPages.Add(id);
                return;
            }
            OwnEntries++;
            if (!entry.TryGetProperty("messaging", out var messaging))
            {
                // Handover's "standby" and feed "changes" come to the same URL; Crm reads only the page's own thread.
                Ignored.Add(entry.TryGetProperty("standby", out _) ? "standby" : "entry without messaging");
                return;
            }
            if (messaging.ValueKind != JsonValueKind.Array) throw new FormatException($"{where}.messaging is not an array.");
            var index = 0;
            foreach (var item in messaging.EnumerateArray())
            {
                Item(item, $"{where}.messaging[{index}]");
                index++;
            }
        }

        private void Item(JsonElement item, string where)
        {
            if (item.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            var sender = Id(Object(item, "sender", where), "id", $"{where}.sender");
            var recipient = Id(Object(item, "recipient", where), "id", $"{where}.recipient");
            var timestamp = Timestamp(item, where);

            if (item.TryGetProperty("message", out var message))
            {
                Message(message, sender, recipient, timestamp, $"{where}.message");
                return;
            }

            // Everything else is the customer's doing, to the page; the page's own (its reactions, say) is not the customer's turn.
            if (sender == pageId && recipient != pageId)
            {
                Ignored.Add("the page's own " + Kind(item));
                return;
            }
            if (recipient != pageId) throw new FormatException($"{where}.recipient is not the entry's page.");
            if (item.TryGetProperty("postback", out var postback)) Postback(postback, sender, timestamp, $"{where}.postback");
            else if (item.TryGetProperty("reaction", out var reaction)) Reaction(reaction, sender, timestamp, $"{where}.reaction");
            else if (item.TryGetProperty("referral", out var referral)) Referral(referral, sender, timestamp, $"{where}.referral");
            else if (item.TryGetProperty("delivery", out var delivery)) Delivery(delivery, sender, $"{where}.delivery");
            else if (item.TryGetProperty("read", out var read)) Watermark(read, sender, MessageStatuses.Read, $"{where}.read");
            else Ignored.Add(Kind(item));
        }

        /// <summary>What an item is (message, optin, pass_thread_control…): its one field besides sender, recipient and timestamp.</summary>
        private static string Kind(JsonElement item)
            => item.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => n is not ("sender" or "recipient" or "timestamp")) ?? "empty item";

        private void Message(JsonElement message, string sender, string recipient, DateTimeOffset sentAt, string where)
        {
            if (message.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            var mid = MessageId(message, "mid", where);
            var echo = message.TryGetProperty("is_echo", out var isEcho) && isEcho.ValueKind == JsonValueKind.True;
            string customer;
            if (echo)
            {
                // The page's own message, echoed: Crm's (its metadata says so) is already on the timeline.
                if (sender != pageId) throw new FormatException($"{where} is an echo whose sender is not the entry's page.");
                if (Text(message, "metadata") is { } metadata && metadata.StartsWith(MessengerClient.MetadataPrefix, StringComparison.Ordinal))
                {
                    Ignored.Add("echo of Crm's own send");
                    return;
                }
                customer = recipient;
            }
            else
            {
                if (recipient != pageId) throw new FormatException($"{where}: the recipient is not the entry's page.");
                customer = sender;
            }

            var raw = new Dictionary<string, string>(StringComparer.Ordinal);
            var text = OptionalText(message, "text", where);
            ButtonReply? button = null;
            if (message.TryGetProperty("quick_reply", out _))
                button = new ButtonReply(text ?? "", OptionalText(Object(message, "quick_reply", where), "payload", $"{where}.quick_reply"));
            var media = new List<MediaAttachment>();
            SharedLocation? location = null;
            if (message.TryGetProperty("attachments", out var attachments))
            {
                if (attachments.ValueKind != JsonValueKind.Array) throw new FormatException($"{where}.attachments is not an array.");
                var index = 0;
                foreach (var attachment in attachments.EnumerateArray())
                {
                    Attachment(attachment, index, media, ref location, raw, $"{where}.attachments[{index}]");
                    index++;
                }
            }
            // Which app sent an echo (Business Suite's, another tool's): who answered, for whoever reads the timeline.
            if (echo && message.TryGetProperty("app_id", out var appId) && appId.ValueKind is JsonValueKind.Number or JsonValueKind.String)
                raw["app_id"] = appId.ToString();
            if (message.TryGetProperty("reply_to", out var replyTo) && replyTo.ValueKind == JsonValueKind.Object && Text(replyTo, "mid") is { } repliedTo)
                raw["reply_to.mid"] = repliedTo;
            // A message that came through an ad or a link carries how it came: the same event as a referral of its own.
            Messages.Add(new InboundMessageReceived(Channels.Messenger, mid, customer, null, pageId, text, media, location, button, raw, sentAt)
            {
                SentByBusiness = echo,
                Event = echo ? null : ReferralIn(message, raw, where),
            });
        }

        private static void Attachment(JsonElement attachment, int index, List<MediaAttachment> media, ref SharedLocation? location,
            Dictionary<string, string> raw, string where)
        {
            if (attachment.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            var kind = Text(attachment, "type") ?? throw new FormatException($"{where}.type is missing.");
            var payload = attachment.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            if (kind is "image" or "audio" or "video" or "file" && payload.ValueKind == JsonValueKind.Object
                && Text(payload, "url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "https" or "http")
            {
                media.Add(new MediaAttachment(url, ContentTypeOf(kind, url)));
                if (payload.TryGetProperty("sticker_id", out var sticker)) raw[$"attachments.{index}.sticker_id"] = sticker.ToString();
                return;
            }
            if (kind == "location" && location is null && payload.ValueKind == JsonValueKind.Object
                && payload.TryGetProperty("coordinates", out var coordinates) && coordinates.ValueKind == JsonValueKind.Object
                && Coordinate(coordinates, "lat", 90) is { } latitude && Coordinate(coordinates, "long", 180) is { } longitude)
            {
                location = new SharedLocation(latitude, longitude, Text(attachment, "title"), Text(attachment, "url"));
                return;
            }
            // Fallback (a shared link), template and anything newer: kept as Meta sent it, for whoever reads the timeline.
            raw[$"attachments.{index}.type"] = kind;
            raw[$"attachments.{index}"] = attachment.GetRawText();
        }

        private void Postback(JsonElement postback, string customer, DateTimeOffset at, string where)
        {
            if (postback.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            var title = OptionalText(postback, "title", where) ?? "";
            var payload = OptionalText(postback, "payload", where);
            // Postbacks carry a mid today; older ones did not, and a retry repeats the same timestamp.
            var id = postback.TryGetProperty("mid", out _) ? MessageId(postback, "mid", where) : $"postback:{customer}:{Millis(at)}";
            var raw = new Dictionary<string, string>(StringComparer.Ordinal);
            // "Get Started" tapped after following an m.me link or an ad: the postback says where from.
            Messages.Add(new InboundMessageReceived(Channels.Messenger, id, customer, null, pageId, null, [], null, new ButtonReply(title, payload), raw, at)
            {
                Event = ReferralIn(postback, raw, where),
            });
        }

        private void Reaction(JsonElement reaction, string customer, DateTimeOffset at, string where)
        {
            if (reaction.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            var mid = MessageId(reaction, "mid", where);
            var action = Text(reaction, "action");
            if (action is not ("react" or "unreact")) throw new FormatException($"{where}.action must be react or unreact.");
            var emoji = action == "unreact" ? "" : OptionalText(reaction, "emoji", where) ?? OptionalText(reaction, "reaction", where) ?? "";
            if (emoji.Length > 64) throw new FormatException($"{where}.emoji is longer than an emoji.");
            var raw = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Text(reaction, "reaction") is { } name) raw["reaction"] = name;
            // Reacting, changing and removing all name the same message: each event gets its own id.
            Messages.Add(new InboundMessageReceived(Channels.Messenger, $"reaction:{mid}:{customer}:{Millis(at)}", customer, null, pageId,
                null, [], null, null, raw, at)
            {
                Event = new CustomerEvent(CustomerEventKinds.Reaction, emoji, mid),
            });
        }

        private void Referral(JsonElement referral, string customer, DateTimeOffset at, string where)
        {
            if (referral.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            var raw = new Dictionary<string, string>(StringComparer.Ordinal);
            var referred = ReferralOf(referral, raw, where);
            Messages.Add(new InboundMessageReceived(Channels.Messenger, $"referral:{customer}:{Millis(at)}", customer, null, pageId, null, [], null, null, raw, at)
            {
                Event = referred,
            });
        }

        private void Delivery(JsonElement delivery, string customer, string where)
        {
            if (delivery.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            if (delivery.TryGetProperty("mids", out var mids))
            {
                if (mids.ValueKind != JsonValueKind.Array) throw new FormatException($"{where}.mids is not an array.");
                foreach (var mid in mids.EnumerateArray())
                {
                    if (mid.ValueKind != JsonValueKind.String || !IsMessageId(mid.GetString()!)) throw new FormatException($"{where}.mids holds something that is not a message id.");
                    Statuses.Add(new MessageStatusReported(null, Channels.Messenger, mid.GetString()!, MessageStatuses.Delivered, null, now));
                }
            }
            Watermark(delivery, customer, MessageStatuses.Delivered, where);
        }

        private void Watermark(JsonElement status, string customer, string reached, string where)
        {
            if (status.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object.");
            if (!status.TryGetProperty("watermark", out var watermark) || watermark.ValueKind != JsonValueKind.Number || !watermark.TryGetInt64(out var millis) || millis <= 0)
                throw new FormatException($"{where}.watermark must be a time in milliseconds.");
            Watermarks.Add(new StatusWatermarkReported(Channels.Messenger, customer, pageId, reached, FromMillis(millis, $"{where}.watermark"), now));
        }

        /// <summary>When the customer wrote, by Meta's clock when it is believable (a retried delivery keeps its place on the timeline); else now.</summary>
        private DateTimeOffset Timestamp(JsonElement item, string where)
        {
            if (!item.TryGetProperty("timestamp", out var value)) return now;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var millis) || millis <= 0) throw new FormatException($"{where}.timestamp must be a time in milliseconds.");
            var at = FromMillis(millis, $"{where}.timestamp");
            return at >= now - TrustTimestampsWithin && at <= now + ClockSkew ? at : now;
        }
    }

    /// <summary>The referral event of a message or postback that carries one (<c>referral</c> inside it); null when none.</summary>
    private static CustomerEvent? ReferralIn(JsonElement parent, Dictionary<string, string> raw, string where)
    {
        if (!parent.TryGetProperty("referral", out var referral) || referral.ValueKind == JsonValueKind.Null) return null;
        if (referral.ValueKind != JsonValueKind.Object) throw new FormatException($"{where}.referral is not an object.");
        return ReferralOf(referral, raw, $"{where}.referral");
    }

    /// <summary>Key: the ref (what the link or ad was made with); Detail: source/type (e.g. SHORTLINK/OPEN_THREAD, ADS/OPEN_THREAD). Ad and page of origin stay raw.</summary>
    private static CustomerEvent ReferralOf(JsonElement referral, Dictionary<string, string> raw, string where)
    {
        var reference = OptionalText(referral, "ref", where);
        var detail = string.Join('/', new[] { Text(referral, "source"), Text(referral, "type") }.Where(part => part is { Length: > 0 }));
        if (Text(referral, "ad_id") is { } ad) raw["referral.ad_id"] = ad;
        if (Text(referral, "referer_uri") is { } uri) raw["referral.referer_uri"] = uri;
        return new CustomerEvent(CustomerEventKinds.Referral, reference, detail.Length > 0 ? detail : null);
    }

    private static DateTimeOffset FromMillis(long millis, string where)
    {
        try { return DateTimeOffset.FromUnixTimeMilliseconds(millis); }
        catch (ArgumentOutOfRangeException) { throw new FormatException($"{where} is not a time."); }
    }

    private static string Millis(DateTimeOffset at) => at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static JsonElement Object(JsonElement parent, string name, string where)
        => parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : throw new FormatException($"{where}.{name} is missing or not an object.");

    /// <summary>A page id or PSID: Meta's are digits; anything that could not be one stays out of keys and logs.</summary>
    private static string Id(JsonElement parent, string name, string where)
    {
        var value = parent.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String ? element.GetString()! : null;
        return value is { Length: > 0 and <= MaxIdLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? value
            : throw new FormatException($"{where}.{name} is missing or not an id.");
    }

    private static string MessageId(JsonElement parent, string name, string where)
        => Text(parent, name) is { } value && IsMessageId(value) ? value : throw new FormatException($"{where}.{name} is missing or not a message id.");

    /// <summary>Meta's message ids (<c>m_…</c>, older <c>mid.123:abc</c>): URL-safe base64 and a little punctuation.</summary>
    public static bool IsMessageId(string value)
        => value.Length is > 0 and <= MaxMessageIdLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '+' or '/' or '=');

    private static string? Text(JsonElement parent, string name)
        => parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A text that may be absent; present but not a string is a shape error. U+0000 is dropped (some stores cannot hold it).</summary>
    private static string? OptionalText(JsonElement parent, string name, string where)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw new FormatException($"{where}.{name} is not text.");
        return value.GetString()!.Replace("\0", "");
    }

    private static double? Coordinate(JsonElement coordinates, string name, double limit)
        => coordinates.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
           && double.IsFinite(number) && Math.Abs(number) <= limit
            ? number
            : null;
}
