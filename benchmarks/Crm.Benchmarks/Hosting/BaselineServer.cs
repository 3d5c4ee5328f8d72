namespace Crm.Benchmarks.Hosting;

/// <summary>
/// The bare-Kestrel baseline: the same route, reading the same form and answering the same TwiML as Crm's
/// webhook, with nothing behind it. What Crm accepts is compared to what this answers on the same machine.
/// </summary>
public static class BaselineServer
{
    private const string EmptyTwiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var port = args.Int("port", 5180);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet("/health", () => "ok");
        app.MapPost(TwilioWebhookForms.WhatsAppPath, async (HttpRequest request, CancellationToken ct) =>
        {
            var form = await request.ReadFormAsync(ct);
            // Touch what Crm's webhook needs, so the form is read, not just buffered.
            return form["MessageSid"].Count == 1 && form["From"].Count == 1
                ? Results.Text(EmptyTwiml, "text/xml")
                : Results.BadRequest();
        });
        await app.RunAsync();
        return 0;
    }
}
