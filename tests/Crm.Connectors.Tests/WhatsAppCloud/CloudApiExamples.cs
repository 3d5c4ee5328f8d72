namespace Crm.Connectors.Tests.WhatsAppCloud;

/// <summary>
/// Meta's documented WhatsApp Cloud API webhook examples (the messages webhook reference and its payload examples), with
/// the reference's own sample ids: phone number id 106540352242922 (display number 15550783881), customer wa_id 16505551234.
/// Linked into the functional tests too, so both play Meta with the same bodies.
/// </summary>
public static class CloudApiExamples
{
    public const string PhoneNumberId = "106540352242922";
    public const string DisplayNumber = "15550783881";
    public const string WabaId = "102290129340398";
    public const string CustomerWaId = "16505551234";
    public const string CustomerName = "Sheena Nelson";

    /// <summary>A delivery of one <c>messages</c> change whose value holds <paramref name="valueFields"/> (JSON members after the metadata).</summary>
    public static string Change(string valueFields, string phoneNumberId = PhoneNumberId) => $$"""
        {
          "object": "whatsapp_business_account",
          "entry": [
            {
              "id": "{{WabaId}}",
              "changes": [
                {
                  "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                      "display_phone_number": "{{DisplayNumber}}",
                      "phone_number_id": "{{phoneNumberId}}"
                    },
                    {{valueFields}}
                  },
                  "field": "messages"
                }
              ]
            }
          ]
        }
        """;

    /// <summary>The reference's send time; tests through the inbox use now instead, as its reply window counts from it.</summary>
    public const long Timestamp = 1749416383;

    /// <summary>A delivery of one customer message (<paramref name="message"/>: the members after id, from and timestamp).</summary>
    public static string Inbound(string id, string message, string from = CustomerWaId, string name = CustomerName, string phoneNumberId = PhoneNumberId,
        long timestamp = Timestamp)
        => Change($$"""
            "contacts": [ { "profile": { "name": "{{name}}" }, "wa_id": "{{from}}" } ],
            "messages": [ { "from": "{{from}}", "id": "{{id}}", "timestamp": "{{timestamp}}", {{message}} } ]
            """, phoneNumberId);

    /// <summary>The business-scoped user id of Meta's BSUID guide (country code, dot, digits).</summary>
    public const string CustomerBsuid = "US.13491208655302741918";

    /// <summary>
    /// A customer message since BSUIDs (April 2026): the contact's <c>user_id</c> and the message's <c>from_user_id</c>, with the
    /// phone number (<c>wa_id</c>, <c>from</c>) when Meta shares it, and without it for a user who adopted a username.
    /// </summary>
    public static string InboundWithBsuid(string id, string message, string? from = CustomerWaId, string bsuid = CustomerBsuid, string name = CustomerName,
        long timestamp = Timestamp)
        => Change($$"""
            "contacts": [ { "profile": { "name": "{{name}}"{{(from is null ? ", \"username\": \"@sheena\"" : "")}} }{{(from is null ? "" : $", \"wa_id\": \"{from}\"")}}, "user_id": "{{bsuid}}" } ],
            "messages": [ { {{(from is null ? "" : $"\"from\": \"{from}\", ")}}"from_user_id": "{{bsuid}}", "id": "{{id}}", "timestamp": "{{timestamp}}", {{message}} } ]
            """);

    /// <summary>A status of a message sent to a BSUID: <c>recipient_user_id</c> and no phone number.</summary>
    public static string StatusToBsuid(string wamid, string status, string bsuid = CustomerBsuid)
        => Change($$"""
            "statuses": [ { "id": "{{wamid}}", "status": "{{status}}", "timestamp": "1749416390", "recipient_user_id": "{{bsuid}}" } ]
            """);

    public const string Text = """
        "type": "text", "text": { "body": "Does it come in another color?" }
        """;

    public const string Image = """
        "type": "image",
        "image": { "caption": "This is the one", "mime_type": "image/jpeg", "sha256": "WOfBPsvWB2CB4Dz0HJQZzXhEoRpR6NXpwEuGiqf4bAE=", "id": "1003383421387256" }
        """;

    public const string Audio = """
        "type": "audio", "audio": { "mime_type": "audio/ogg; codecs=opus", "sha256": "kvk4ZC4dfnXcPn4ZuJuDqp8LsjdRwUyNwzt2yYLnY4Y=", "id": "1003383421387257", "voice": true }
        """;

    public const string Video = """
        "type": "video", "video": { "caption": "Unboxing", "mime_type": "video/mp4", "sha256": "ayAqy6XEsL2iJdgqP0YP4pkOp3KrsHYyB30Lc/oOWfs=", "id": "1003383421387258" }
        """;

    public const string Document = """
        "type": "document",
        "document": { "caption": "Invoice", "filename": "invoice-2026-11.pdf", "mime_type": "application/pdf", "sha256": "Tyo2PzYPmLTNTlyV07dMsWgZD1gVRdeaTnxSKYFmUmo=", "id": "1003383421387259" }
        """;

    public const string Sticker = """
        "type": "sticker", "sticker": { "mime_type": "image/webp", "sha256": "8jFhQ/iHZRUXP6VBkx8yj8ZzP1UzKkQHk5cJ8m2fpKA=", "id": "1003383421387260", "animated": false }
        """;

    public const string Location = """
        "type": "location",
        "location": { "address": "1 Hacker Way, Menlo Park, CA 94025", "latitude": 37.483307, "longitude": -122.148981, "name": "Main Street Beach", "url": "https://www.example.com" }
        """;

    public const string Contacts = """
        "type": "contacts",
        "contacts": [
          {
            "addresses": [ { "city": "Menlo Park", "country": "United States", "country_code": "us", "state": "CA", "street": "1 Hacker Way", "type": "HOME", "zip": "94025" } ],
            "emails": [ { "email": "bjohnson@example.com", "type": "WORK" } ],
            "name": { "first_name": "Barbara", "last_name": "Johnson", "formatted_name": "Barbara J. Johnson" },
            "org": { "company": "Lucky Shrub" },
            "phones": [ { "phone": "+1 (940) 555-1234", "wa_id": "19405551234", "type": "HOME" } ]
          }
        ]
        """;

    public const string ReplyButton = """
        "context": { "from": "15550783881", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQUZCNjM1RjU2NDc5NEY1QkUA" },
        "type": "interactive",
        "interactive": { "type": "button_reply", "button_reply": { "id": "cancel-button", "title": "Cancel" } }
        """;

    public const string ListReply = """
        "context": { "from": "15550783881", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQUZCNjM1RjU2NDc5NEY1QkUA" },
        "type": "interactive",
        "interactive": { "type": "list_reply", "list_reply": { "id": "priority_express", "title": "Priority Mail Express", "description": "Next Day to 2 Days" } }
        """;

    /// <summary>A template's quick-reply button.</summary>
    public const string TemplateButton = """
        "context": { "from": "15550783881", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQUZCNjM1RjU2NDc5NEY1QkUA" },
        "type": "button",
        "button": { "payload": "unsubscribe-me", "text": "Stop promotions" }
        """;

    public const string ReactedTo = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQUZCNjM1RjU2NDc5NEY1QkUA";

    public const string Reaction = """
        "type": "reaction", "reaction": { "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQUZCNjM1RjU2NDc5NEY1QkUA", "emoji": "\uD83D\uDC4D" }
        """;

    /// <summary>A message type the Cloud API does not support (e.g. a poll): Meta says so in errors.</summary>
    public const string Unsupported = """
        "errors": [ { "code": 131051, "title": "Message type unknown", "message": "Message type unknown", "error_data": { "details": "Message type is currently not supported." } } ],
        "type": "unsupported"
        """;

    /// <summary>A status of a message the business sent; <paramref name="errors"/> is the JSON array of a failed one.</summary>
    public static string Status(string wamid, string status, string? errors = null, string recipient = CustomerWaId, string phoneNumberId = PhoneNumberId)
        => Change($$"""
            "statuses": [
              {
                "id": "{{wamid}}",
                "status": "{{status}}",
                "timestamp": "1749416390",
                "recipient_id": "{{recipient}}"{{(errors is null ? "" : $", \"errors\": {errors}")}}
              }
            ]
            """, phoneNumberId);

    public const string ReEngagementError = """
        [ { "code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
            "error_data": { "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number." },
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/" } ]
        """;
}
