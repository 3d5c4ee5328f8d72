using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

// A stand-in for WeChat's Official Account API on http://localhost:5097, for trying Crm without an account: it issues
// access tokens, takes every customer-service and template message, serves any media id as a tiny image, lists one
// template, and prints what it received (never the query: it carries the AppSecret and the token, as WeChat's does).
var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 5097;
using var server = WireMockServer.Start(port);

server.Given(Request.Create().WithPath("/cgi-bin/token").UsingGet())
    .RespondWith(Json(_ => $$"""{"access_token":"FAKE_TOKEN_{{Guid.NewGuid():N}}","expires_in":7200}"""));

server.Given(Request.Create().WithPath("/cgi-bin/message/custom/send").UsingPost())
    .RespondWith(Json(_ => """{"errcode":0,"errmsg":"ok"}"""));

server.Given(Request.Create().WithPath("/cgi-bin/message/template/send").UsingPost())
    .RespondWith(Json(_ => $$"""{"errcode":0,"errmsg":"ok","msgid":{{Random.Shared.NextInt64(100_000_000, 999_999_999)}}}"""));

server.Given(Request.Create().WithPath("/cgi-bin/template/get_all_private_template").UsingGet())
    .RespondWith(Json(_ => """
        {"template_list":[{"template_id":"fake-order-shipped","title":"订单发货提醒","primary_industry":"IT科技","deputy_industry":"互联网|电子商务",
        "content":"{{first.DATA}}\n订单号：{{keyword1.DATA}}\n{{remark.DATA}}","example":""}]}
        """));

// A 1×1 GIF: whatever media id the customer "sent", the agent sees an image.
server.Given(Request.Create().WithPath("/cgi-bin/media/get").UsingGet())
    .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "image/gif")
        .WithBody(Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")));

server.LogEntriesChanged += (_, change) =>
{
    foreach (WireMock.Logging.ILogEntry entry in change.NewItems ?? Array.Empty<object>())
        Console.WriteLine($"{DateTime.Now:T} {entry.RequestMessage.Method} {entry.RequestMessage.Path}{(entry.RequestMessage.Body is { Length: > 0 } body ? "\n  " + body : "")}");
};

Console.WriteLine($"Fake WeChat listening on {server.Url}. Ctrl+C to stop.");
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
await stop.Task;

static IResponseBuilder Json(Func<WireMock.IRequestMessage, string> body)
    => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body);
