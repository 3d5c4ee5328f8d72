using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

// A stand-in for Twilio's Messages API on http://localhost:5099, for trying Crm without a Twilio
// account: it accepts every send, answers like Twilio does, and prints what it received. It also answers the
// account fetch that "test connection" (POST /api/channel-connections/{id}/test) makes.
var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 5099;
using var server = WireMockServer.Start(port);
server
    .Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher("^/2010-04-01/Accounts/[^/]+/Messages\\.json$")).UsingPost())
    .RespondWith(Response.Create()
        .WithStatusCode(201)
        .WithHeader("Content-Type", "application/json")
        .WithBody(_ => $$"""{"sid":"SM{{Guid.NewGuid():N}}","status":"queued"}"""));

server
    .Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher("^/2010-04-01/Accounts/[^/]+\\.json$")).UsingGet())
    .RespondWith(Response.Create()
        .WithStatusCode(200)
        .WithHeader("Content-Type", "application/json")
        .WithBody("""{"status":"active","friendly_name":"Fake Twilio"}"""));

server.LogEntriesChanged += (_, change) =>
{
    foreach (WireMock.Logging.ILogEntry entry in change.NewItems ?? Array.Empty<object>())
        Console.WriteLine($"{DateTime.Now:T} {entry.RequestMessage.Method} {entry.RequestMessage.Path}\n  {Uri.UnescapeDataString((entry.RequestMessage.Body ?? "").Replace('+', ' ')).Replace("&", "\n  ")}");
};

Console.WriteLine($"Fake Twilio listening on {server.Url}. Ctrl+C to stop.");
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
await stop.Task;
