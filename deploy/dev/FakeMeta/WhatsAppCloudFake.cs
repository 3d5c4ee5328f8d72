using System.Text.Json.Nodes;

/// <summary>
/// FakeMeta's WhatsApp Cloud API: the calls Crm's <c>whatsapp-cloud</c> connections make, answered as the Graph API does,
/// for Development's seeded number (phone number id <see cref="PhoneNumberId"/>). Media ids are answered with a small image
/// served by the fake itself, so an agent's app can open what <c>send-whatsapp-cloud.sh image</c> delivers.
/// </summary>
static class WhatsAppCloudFake
{
    public const string PhoneNumberId = "200000000000001";
    public const string WabaId = "200000000000002";

    /// <summary>A 1×1 green PNG: what every media id "is".</summary>
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    public static void MapWhatsAppCloud(this WebApplication app)
    {
        // Sends: text and templates alike get a fresh wamid.
        app.MapPost("/{version}/{phoneNumberId}/messages", async (string phoneNumberId, HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body);
            var to = body?["to"]?.GetValue<string>() ?? "";
            Console.WriteLine($"{DateTime.Now:T} WhatsApp Cloud send from {phoneNumberId}\n  {body?.ToJsonString()}");
            return Results.Json(new
            {
                messaging_product = "whatsapp",
                contacts = new[] { new { input = to, wa_id = to } },
                messages = new[] { new { id = $"wamid.fake{Guid.NewGuid():N}" } },
            });
        });

        // "Test connection" reads the number; anything else read by id is a media id, answered with where to download it.
        app.MapGet("/{version}/{id}", (string id, HttpRequest request) => id == PhoneNumberId
            ? Results.Json(new { display_phone_number = "+1 555-000-1234", verified_name = "Fake Cloud Business", id })
            : Results.Json(new
            {
                messaging_product = "whatsapp",
                url = $"{request.Scheme}://{request.Host}/fake-media/{id}",
                mime_type = "image/png",
                file_size = Png.Length,
                id,
            }));
        app.MapGet("/fake-media/{id}", (string id) => Results.Bytes(Png, "image/png"));

        // The catalog sync: one approved positional template and one named, one still pending (left out by Crm).
        app.MapGet("/{version}/{wabaId}/message_templates", () => Results.Json(new
        {
            data = new object[]
            {
                new
                {
                    name = "order_update", language = "en_US", status = "APPROVED", category = "UTILITY", id = "1",
                    components = new object[]
                    {
                        new { type = "HEADER", format = "TEXT", text = "Order {{1}}" },
                        new { type = "BODY", text = "Hi {{1}}, your order {{2}} has shipped." },
                    },
                },
                new
                {
                    name = "welcome_back", language = "en_US", status = "APPROVED", category = "MARKETING", id = "2",
                    components = new object[] { new { type = "BODY", text = "Hello {{customer_name}}, we have missed you!" } },
                },
                new
                {
                    name = "draft_offer", language = "en_US", status = "PENDING", category = "MARKETING", id = "3",
                    components = new object[] { new { type = "BODY", text = "Coming soon" } },
                },
            },
            paging = new { cursors = new { before = "QVFIUmll", after = "QVFIUmlt" } },
        }));
    }
}
