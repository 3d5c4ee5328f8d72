using System.Globalization;
using System.Text;
using System.Text.Json;
using Crm.Connectors.Connections;
using Crm.Connectors.Twilio;
using Crm.Contracts;

namespace Crm.Connectors.WhatsAppCloud;

/// <summary>What one signed delivery of Meta's <c>messages</c> webhook holds for one connection, and what it had to skip (in words).</summary>
public sealed record WhatsAppCloudDelivery(
    IReadOnlyList<InboundMessageReceived> Messages,
    IReadOnlyList<MessageStatusReported> Statuses,
    IReadOnlyList<string> Skipped);

/// <summary>
/// Turns a WhatsApp Cloud API webhook (<c>object: whatsapp_business_account</c>, <c>entry[].changes[]</c> with
/// <c>field: messages</c>) into the bus's <see cref="InboundMessageReceived"/> and <see cref="MessageStatusReported"/>.
/// </summary>
/// <remarks>
/// A delivery batches changes, and Meta sends every number of an app to the app's one callback URL unless a number
/// overrides it: a change for another number than the connection's is skipped with a warning, not refused, because
/// refusing the whole delivery would make Meta retry (and in the end disable) it for the messages that are ours.
/// A message without an id or a sender cannot be kept once (the id is the dedupe key) nor answered: it is skipped
/// too. Every other message is kept, whatever its type: unknown types keep their content in RawFields.
/// </remarks>
public static class WhatsAppCloudWebhook
{
    public const string ObjectType = "whatsapp_business_account";

    /// <summary>The longest wamid let into keys and logs; Meta's are about 60 characters.</summary>
    public const int MaxMessageIdLength = 256;

    /// <summary>RawFields values longer than this (a shared contact card, an unknown type's object) are cut, so one message stays small.</summary>
    public const int MaxRawFieldLength = 4096;

    /// <exception cref="FormatException">The body is not JSON, or not a WhatsApp Business Account webhook.</exception>
    public static WhatsAppCloudDelivery Read(ReadOnlySpan<byte> body, WhatsAppCloudAccount account, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 32 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            throw new FormatException("The body is not JSON.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "object") is not { } objectType)
                throw new FormatException("The body is not a Meta webhook: it has no object.");
            if (objectType != ObjectType)
                throw new FormatException($"The webhook is for object {Clip(objectType, 64)}; WhatsApp Cloud API webhooks are for {ObjectType}.");

            var messages = new List<InboundMessageReceived>();
            var statuses = new List<MessageStatusReported>();
            var skipped = new List<string>();
            foreach (var entry in Array(root, "entry"))
            {
                foreach (var change in Array(entry, "changes"))
                {
                    if (Text(change, "field") != "messages" || !change.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object)
                    {
                        // Other fields (template status, quality…) are not messages; nothing in them is lost to the inbox.
                        continue;
                    }
                    var phoneNumberId = value.TryGetProperty("metadata", out var metadata) ? Text(metadata, "phone_number_id") : null;
                    if (phoneNumberId != account.PhoneNumberId)
                    {
                        skipped.Add($"A change for phone number id {Clip(phoneNumberId ?? "(none)", 64)} is not for this connection's {account.PhoneNumberId}.");
                        continue;
                    }
                    foreach (var message in Array(value, "messages"))
                    {
                        if (Message(message, value, account, now, skipped) is { } inbound) messages.Add(inbound);
                    }
                    foreach (var status in Array(value, "statuses"))
                    {
                        if (Status(status, account, now, skipped) is { } reported) statuses.Add(reported);
                    }
                }
            }
            return new WhatsAppCloudDelivery(messages, statuses, skipped);
        }
    }

    private static InboundMessageReceived? Message(JsonElement message, JsonElement value, WhatsAppCloudAccount account, DateTimeOffset now, List<string> skipped)
    {
        var id = Text(message, "id");
        if (id is null || id.Length > MaxMessageIdLength || id.Any(char.IsControl))
        {
            skipped.Add("A message has no readable id.");
            return null;
        }
        // Since April 2026 Meta adds the sender's business-scoped user id (BSUID); a user with a username may come without a
        // phone number at all. The phone stays the identity when there is one (replies go to it, as before), the BSUID its alias.
        var from = Text(message, "from");
        var bsuid = BusinessScopedUserId(message, value, from);
        string customer;
        IReadOnlyList<IdentityAlias>? aliases = null;
        if (from is null && bsuid is not null)
        {
            customer = bsuid;
        }
        else
        {
            try
            {
                customer = WhatsAppNumbers.Identity(from ?? "");
            }
            catch (FormatException error)
            {
                skipped.Add($"Message {id} has no readable sender: {error.Message}");
                return null;
            }
            if (bsuid is not null) aliases = [new IdentityAlias(Channels.WhatsApp, bsuid)];
        }

        var type = Text(message, "type") ?? "unknown";
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);
        string? text = null;
        var media = new List<MediaAttachment>();
        SharedLocation? location = null;
        ButtonReply? button = null;
        CustomerEvent? customerEvent = null;
        var content = message.TryGetProperty(type, out var found) && found.ValueKind == JsonValueKind.Object ? found : default;

        switch (type)
        {
            case "text":
                text = Text(content, "body");
                break;
            case "image" or "audio" or "video" or "document" or "sticker":
                if (Text(content, "id") is { } mediaId)
                    media.Add(new MediaAttachment(MediaPaths.Of(account.ConnectionId, mediaId), Text(content, "mime_type")));
                text = Text(content, "caption");
                if (Text(content, "filename") is { } filename) raw["filename"] = Clip(filename, 512);
                if (type == "audio" && content.ValueKind == JsonValueKind.Object && content.TryGetProperty("voice", out var voice) && voice.ValueKind == JsonValueKind.True)
                    raw["voice"] = "true";
                if (type == "sticker" && content.ValueKind == JsonValueKind.Object && content.TryGetProperty("animated", out var animated) && animated.ValueKind == JsonValueKind.True)
                    raw["animated"] = "true";
                break;
            case "location":
                location = Location(content);
                if (location is null) Keep(raw, type, content);
                break;
            case "contacts":
                text = ContactsSummary(message);
                raw["type"] = type;
                if (message.TryGetProperty("contacts", out var cards)) raw["contacts"] = Clip(cards.GetRawText(), MaxRawFieldLength);
                break;
            case "interactive":
                (text, button) = Interactive(content, raw);
                break;
            case "button":
                // A template's quick-reply button: its words, and the payload the template set.
                text = Text(content, "text");
                if (text is not null) button = new ButtonReply(text, Text(content, "payload"));
                break;
            case "reaction":
                raw["type"] = type;
                // No emoji: the customer took the reaction back.
                customerEvent = new CustomerEvent(CustomerEventKinds.Reaction, Text(content, "emoji") ?? "", Text(content, "message_id"));
                break;
            default:
                // "unsupported" (with Meta's errors), and any type this build does not know yet: kept as it came.
                raw["type"] = type;
                if (content.ValueKind == JsonValueKind.Object) Keep(raw, type, content);
                break;
        }

        if (message.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            raw["errors"] = Clip(string.Join("; ", errors.EnumerateArray().Select(e => WhatsAppCloudErrors.Describe(e, "Meta error.").Reason)), MaxRawFieldLength);
        if (message.TryGetProperty("context", out var context) && Text(context, "id") is { } repliedTo) raw["context.id"] = Clip(repliedTo, MaxMessageIdLength);
        if (message.TryGetProperty("referral", out var referral) && referral.ValueKind == JsonValueKind.Object)
            raw["referral"] = Clip(referral.GetRawText(), MaxRawFieldLength);
        if (from is not null) KeepSpellingWhenFolded(raw, from, customer);

        return new InboundMessageReceived(Channels.WhatsApp, id, customer, CustomerName(value, from, bsuid), account.BusinessIdentity,
            text, media, location, button, raw, SentAt(message, now))
        {
            WorkspaceId = account.WorkspaceId,
            ConnectionId = account.ConnectionId,
            RoutingTeamId = account.RoutingTeamId,
            Event = customerEvent,
            AlsoKnownAs = aliases,
        };
    }

    /// <summary>
    /// The sender's BSUID: the message's <c>from_user_id</c>, else the <c>user_id</c> of its contact (by <c>wa_id</c>, else the only
    /// contact). Not one that does not look like one (a country code, a dot, up to 128 letters and digits; a parent BSUID has ENT).
    /// </summary>
    private static string? BusinessScopedUserId(JsonElement message, JsonElement value, string? from)
    {
        var bsuid = Text(message, "from_user_id");
        if (bsuid is null)
        {
            var contacts = Array(value, "contacts").ToList();
            var contact = from is null ? default : contacts.FirstOrDefault(c => Text(c, "wa_id") == from);
            if (contact.ValueKind != JsonValueKind.Object && contacts.Count == 1) contact = contacts[0];
            bsuid = Text(contact, "user_id");
        }
        return bsuid is not null && WhatsAppCloudSender.IsBusinessScopedUserId(bsuid) ? bsuid : null;
    }

    private static MessageStatusReported? Status(JsonElement status, WhatsAppCloudAccount account, DateTimeOffset now, List<string> skipped)
    {
        var id = Text(status, "id");
        if (id is null || id.Length > MaxMessageIdLength || id.Any(char.IsControl))
        {
            skipped.Add("A status has no readable message id.");
            return null;
        }
        // Anything else (a voice message "played", a value Meta adds later) says nothing the inbox stores.
        if (WhatsAppCloudStatuses.ToInboxStatus(Text(status, "status")) is not { } inboxStatus) return null;
        string? errorCode = null;
        if (inboxStatus == MessageStatuses.Failed && status.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
            && errors.GetArrayLength() > 0)
        {
            var (code, _) = WhatsAppCloudErrors.Describe(errors[0], "");
            errorCode = WhatsAppCloudErrors.ToCrmReason(code);
        }
        return new MessageStatusReported(null, Channels.WhatsApp, id, inboxStatus, errorCode, SentAt(status, now))
        {
            WorkspaceId = account.WorkspaceId,
            ConnectionId = account.ConnectionId,
        };
    }

    /// <summary>
    /// Button replies (<c>button_reply</c>) and list picks (<c>list_reply</c>) are the customer tapping something the business
    /// sent: the title they saw, and the id it set. Anything else interactive (a Flow's answer…) is kept in RawFields.
    /// </summary>
    private static (string? Text, ButtonReply? Button) Interactive(JsonElement content, Dictionary<string, string> raw)
    {
        var kind = Text(content, "type");
        if (kind is "button_reply" or "list_reply" && content.TryGetProperty(kind, out var reply) && Text(reply, "title") is { } title)
        {
            if (Text(reply, "description") is { } description) raw["list_reply.description"] = Clip(description, 512);
            return (title, new ButtonReply(title, Text(reply, "id")));
        }
        raw["type"] = "interactive";
        Keep(raw, "interactive", content);
        return (null, null);
    }

    private static SharedLocation? Location(JsonElement content)
    {
        if (!Coordinate(content, "latitude", 90, out var latitude) || !Coordinate(content, "longitude", 180, out var longitude)) return null;
        return new SharedLocation(latitude, longitude, Text(content, "name"), Text(content, "address"));
    }

    private static bool Coordinate(JsonElement content, string property, double limit, out double coordinate)
    {
        coordinate = 0;
        if (content.ValueKind != JsonValueKind.Object || !content.TryGetProperty(property, out var value)) return false;
        var parsed = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDouble(out coordinate),
            JsonValueKind.String => double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out coordinate),
            _ => false,
        };
        return parsed && double.IsFinite(coordinate) && Math.Abs(coordinate) <= limit;
    }

    /// <summary>A shared contact card as an agent reads it: one line per contact, its name and phone numbers.</summary>
    private static string? ContactsSummary(JsonElement message)
    {
        var lines = new List<string>();
        foreach (var contact in Array(message, "contacts"))
        {
            var name = contact.TryGetProperty("name", out var n) ? Text(n, "formatted_name") ?? Text(n, "first_name") : null;
            var phones = Array(contact, "phones").Select(p => Text(p, "phone")).OfType<string>().ToList();
            var line = new StringBuilder("Shared contact: ").Append(name ?? "(no name)");
            if (phones.Count > 0) line.Append(", ").Append(string.Join(", ", phones));
            lines.Add(line.ToString());
        }
        return lines.Count == 0 ? null : Clip(string.Join("\n", lines), MaxRawFieldLength);
    }

    /// <summary>The profile name of the contact that sent it (by wa_id or BSUID), else of the only contact.</summary>
    private static string? CustomerName(JsonElement value, string? from, string? bsuid)
    {
        var contacts = Array(value, "contacts").ToList();
        var contact = contacts.FirstOrDefault(c => (from is not null && Text(c, "wa_id") == from) || (bsuid is not null && Text(c, "user_id") == bsuid));
        if (contact.ValueKind != JsonValueKind.Object && contacts.Count == 1) contact = contacts[0];
        return contact.ValueKind == JsonValueKind.Object && contact.TryGetProperty("profile", out var profile) && Text(profile, "name") is { } name
            ? Clip(name, 256)
            : null;
    }

    /// <summary>
    /// When WhatsApp's own spelling of the number differs from the identity (a folded national variant), it stays in
    /// RawFields, as Twilio's connector keeps its <c>WaId</c>, so the spelling WhatsApp used is never lost.
    /// </summary>
    private static void KeepSpellingWhenFolded(Dictionary<string, string> raw, string from, string customer)
    {
        if ("+" + from != customer) raw["from"] = Clip(from, 64);
    }

    /// <summary>When Meta says it was sent (a retried delivery arrives late), never later than now.</summary>
    private static DateTimeOffset SentAt(JsonElement element, DateTimeOffset now)
    {
        if (Text(element, "timestamp") is { } seconds && long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var unix)
            && unix is > 0 and < 253402300799)
        {
            var sent = DateTimeOffset.FromUnixTimeSeconds(unix);
            return sent < now ? sent : now;
        }
        return now;
    }

    private static void Keep(Dictionary<string, string> raw, string type, JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.Object) raw[type] = Clip(content.GetRawText(), MaxRawFieldLength);
    }

    /// <summary>The objects of an array property; anything else in it (or no array) is nothing to read.</summary>
    private static IEnumerable<JsonElement> Array(JsonElement element, string property)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.Object)
            : [];

    private static string? Text(JsonElement element, string property)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
           && value.GetString() is { Length: > 0 } text
            ? text.Replace("\0", "")
            : null;

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..max];
}
