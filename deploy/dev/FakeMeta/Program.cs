using System.Text.Json.Nodes;

// A stand-in for Meta's Graph API on http://localhost:5098, for trying Crm's Meta channels without a Facebook page or a
// WhatsApp Business account: it accepts every send, answers as the Graph API does, and prints what it received.
// One block per product; each answers the calls that product's sender and "test connection" make.
var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 5098;
var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://localhost:{port}");
builder.Logging.ClearProviders();
var app = builder.Build();

// ---- Messenger: the Send API and the page lookup "test connection" makes (GET /{version}/me?fields=id,name). ----
app.MapPost("/{version}/me/messages", async (HttpRequest request) =>
{
    var body = await JsonNode.ParseAsync(request.Body);
    var recipient = body?["recipient"]?["id"]?.GetValue<string>() ?? "";
    Print("Messenger send", body);
    return Results.Json(new { recipient_id = recipient, message_id = $"m_fake{Guid.NewGuid():N}" });
});
app.MapGet("/{version}/me", () => Results.Json(new { id = "100000000000001", name = "Fake Messenger Page" }));

// ---- WhatsApp Cloud API: sends, the number check, media and templates (WhatsAppCloudFake.cs). ----
app.MapWhatsAppCloud();

Console.WriteLine($"Fake Meta Graph API listening on http://localhost:{port}. Ctrl+C to stop.");
await app.RunAsync();

// Printed unescaped, so a test message in any script reads as it was typed.
static void Print(string what, JsonNode? body) => Console.WriteLine($"{DateTime.Now:T} {what}\n  {body?.ToJsonString(Readable)}");

partial class Program
{
    private static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
