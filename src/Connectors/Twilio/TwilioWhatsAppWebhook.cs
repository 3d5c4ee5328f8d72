using System.Globalization;
using Crm.Contracts;

namespace Crm.Connectors.Twilio;

/// <summary>Turns Twilio's incoming-WhatsApp-message webhook form into the bus's <see cref="InboundMessageReceived"/>.</summary>
public static class TwilioWhatsAppWebhook
{
    private const string MediaUrlPrefix = "MediaUrl";
    private const string MediaContentTypePrefix = "MediaContentType";

    /// <summary>Fields Twilio always sends that say nothing about the message itself.</summary>
    private static readonly string[] RoutineFields =
        ["AccountSid", "ApiVersion", "SmsStatus", "NumSegments", "MessagingServiceSid"];

    /// <summary>
    /// WhatsApp's limit on a text message; captions are shorter. Counted in what a reader sees as characters
    /// (text elements: an emoji built of several code points is one), the most lenient count, so no message
    /// WhatsApp delivered is refused whichever way it counts.
    /// </summary>
    public const int MaxBodyLength = 4096;

    /// <summary>Twilio allows at most 10 media items per message (WhatsApp sends one).</summary>
    public const int MaxMedia = 10;

    /// <summary>
    /// Twilio's ids are two letters and 32 hex digits; anything longer than 64 characters, or with more than
    /// letters, digits, '-' and '_', cannot be one and is not let into keys and logs.
    /// </summary>
    public const int MaxMessageSidLength = 64;

    /// <exception cref="FormatException">
    /// The message id, sender or recipient is missing or unreadable, or the message is beyond what Twilio sends.
    /// </exception>
    public static InboundMessageReceived Normalize(IReadOnlyList<KeyValuePair<string, string>> form, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(form);
        var fields = new Fields(WithoutNulBytes(form));

        var sid = fields.Take("MessageSid") ?? fields.Take("SmsMessageSid") ?? fields.Take("SmsSid");
        // Mark the older aliases used even when MessageSid won, so they stay out of RawFields.
        fields.Take("SmsMessageSid");
        fields.Take("SmsSid");
        if (sid is null) throw new FormatException("The webhook has no MessageSid (nor SmsMessageSid or SmsSid).");
        if (!IsMessageSid(sid)) throw new FormatException($"MessageSid is not a Twilio id (letters, digits, '-' or '_', at most {MaxMessageSidLength}).");

        var customer = Identity(fields, "From");
        var business = Identity(fields, "To");
        KeepSpellingWhenFolded(fields, customer);
        var name = fields.Take("ProfileName");
        var text = fields.Take("Body");
        if (text is not null && new StringInfo(text).LengthInTextElements > MaxBodyLength)
            throw new FormatException($"Body is longer than WhatsApp's {MaxBodyLength} characters.");
        var media = Media(fields);
        var location = Location(fields);
        var button = Button(fields);
        foreach (var routine in RoutineFields) fields.Take(routine);

        return new InboundMessageReceived(Channels.WhatsApp, sid, customer, name, business, text,
            media, location, button, fields.Remaining(), receivedAt);
    }

    /// <summary>
    /// U+0000 means nothing in a message and some stores cannot hold it (BSON keys, PostgreSQL text), so it is
    /// dropped once the signature has been checked over what Twilio really sent. Other control characters stay.
    /// </summary>
    private static IReadOnlyList<KeyValuePair<string, string>> WithoutNulBytes(IReadOnlyList<KeyValuePair<string, string>> form)
        => form.Any(field => field.Key.Contains('\0') || field.Value.Contains('\0'))
            ? form.Select(field => new KeyValuePair<string, string>(field.Key.Replace("\0", ""), field.Value.Replace("\0", ""))).ToList()
            : form;

    private static string Identity(Fields fields, string name)
    {
        var address = fields.Take(name) ?? throw new FormatException($"The webhook has no {name}.");
        try
        {
            return WhatsAppNumbers.Identity(address);
        }
        catch (FormatException error)
        {
            throw new FormatException($"{name}: {error.Message}", error);
        }
    }

    /// <summary>
    /// When the customer's identity is not simply the address Twilio sent (a folded national variant, a
    /// business-scoped id), the address and WhatsApp's own id stay in RawFields so the person can be linked later.
    /// </summary>
    private static void KeepSpellingWhenFolded(Fields fields, string customer)
    {
        if (fields.Peek("From") is { } from && WhatsAppNumbers.ToWhatsAppAddress(customer) == from) fields.Take("From");
        else fields.Release("From");
        if (fields.Peek("WaId") is { } waId && "+" + waId == customer) fields.Take("WaId");
    }

    /// <summary>Whether <paramref name="sid"/> could be a Twilio id (see <see cref="MaxMessageSidLength"/>).</summary>
    public static bool IsMessageSid(string sid)
        => sid.Length <= MaxMessageSidLength && sid.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>
    /// Every MediaUrlN present, in index order. NumMedia is not relied on: were it missing or wrong,
    /// trusting it would lose attachments, and every MediaUrlN it could point at is found anyway.
    /// </summary>
    private static List<MediaAttachment> Media(Fields fields)
    {
        fields.Take("NumMedia");
        var indexes = new SortedSet<int>();
        foreach (var key in fields.Keys)
        {
            if (key.StartsWith(MediaUrlPrefix, StringComparison.Ordinal)
                && int.TryParse(key.AsSpan(MediaUrlPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                // Only the canonical spelling (no "MediaUrl01"): others stay in RawFields.
                && key == MediaUrlPrefix + index.ToString(CultureInfo.InvariantCulture))
            {
                indexes.Add(index);
            }
        }

        if (indexes.Count > MaxMedia) throw new FormatException($"The webhook has more than Twilio's {MaxMedia} media items.");
        var media = new List<MediaAttachment>();
        foreach (var index in indexes)
        {
            var suffix = index.ToString(CultureInfo.InvariantCulture);
            if (fields.Take(MediaUrlPrefix + suffix) is { } url)
                media.Add(new MediaAttachment(url, fields.Take(MediaContentTypePrefix + suffix)));
        }
        return media;
    }

    /// <summary>A shared location; when the coordinates do not parse its fields are left in RawFields.</summary>
    private static SharedLocation? Location(Fields fields)
    {
        if (!TryCoordinate(fields.Peek("Latitude"), 90, out var latitude) || !TryCoordinate(fields.Peek("Longitude"), 180, out var longitude))
            return null;
        fields.Take("Latitude");
        fields.Take("Longitude");
        return new SharedLocation(latitude, longitude, fields.Take("Label"), fields.Take("Address"));
    }

    private static bool TryCoordinate(string? value, double limit, out double coordinate)
        => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out coordinate)
           && double.IsFinite(coordinate) && Math.Abs(coordinate) <= limit;

    private static ButtonReply? Button(Fields fields)
        => fields.Peek("ButtonText") is null ? null : new ButtonReply(fields.Take("ButtonText")!, fields.Take("ButtonPayload"));

    /// <summary>The form, with each field marked when it is used, so what is left over goes to RawFields.</summary>
    private sealed class Fields(IReadOnlyList<KeyValuePair<string, string>> form)
    {
        private readonly HashSet<string> taken = new(StringComparer.Ordinal);

        public IEnumerable<string> Keys => form.Select(pair => pair.Key).Distinct(StringComparer.Ordinal);

        /// <summary>The field's first value, null when absent or empty, without using it up.</summary>
        public string? Peek(string name)
        {
            foreach (var (key, value) in form)
            {
                if (key == name) return string.IsNullOrEmpty(value) ? null : value;
            }
            return null;
        }

        /// <summary>Like <see cref="Peek"/>, and the field will not appear in RawFields.</summary>
        public string? Take(string name)
        {
            taken.Add(name);
            return Peek(name);
        }

        /// <summary>Puts a field back, so it appears in RawFields after all.</summary>
        public void Release(string name) => taken.Remove(name);

        /// <summary>Every unused field by name; a repeated one's values joined with ",".</summary>
        public Dictionary<string, string> Remaining()
        {
            var raw = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in form)
            {
                if (taken.Contains(key)) continue;
                raw[key] = raw.TryGetValue(key, out var earlier) ? earlier + "," + value : value;
            }
            return raw;
        }
    }
}
