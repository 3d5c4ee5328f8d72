using System.Collections.Concurrent;
using System.Text.Json;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace Crm.FaultTests.Hosting;

/// <summary>
/// Twilio's Messages API played by WireMock.Net on a fixed port, so it can be stopped (connections refused, as when
/// Twilio is unreachable) and started again at the same address. Every send is counted the moment it arrives, by the
/// reply id Crm puts in its StatusCallback URL, so a send cut off mid-answer still counts as reaching Twilio.
/// </summary>
public sealed class TwilioApi : IDisposable
{
    public const string MessagesPath = $"/2010-04-01/Accounts/{CrmDeployment.AccountSid}/Messages.json";

    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<string>> sends = new();
    private readonly TimeSpan answerDelay;
    private WireMockServer? server;
    private int requestsWithoutReplyId;

    public int Port { get; } = CrmProcess.FreeLoopbackPort();
    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <param name="answerDelay">How long Twilio takes to answer each send.</param>
    public TwilioApi(TimeSpan answerDelay = default)
    {
        this.answerDelay = answerDelay;
        Start();
    }

    public bool IsRunning => server is not null;

    public void Start()
    {
        if (server is not null) return;
        server = WireMockServer.Start(Port);
        server.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .RespondWith(Response.Create().WithCallback(AnswerAsync));
    }

    /// <summary>Twilio goes away: its port refuses connections until <see cref="Start"/>.</summary>
    public void Stop()
    {
        server?.Stop();
        server?.Dispose();
        server = null;
    }

    /// <summary>How many send requests Twilio received for a reply.</summary>
    public int SendsOf(Guid replyId) => sends.TryGetValue(replyId, out var sids) ? sids.Count : 0;

    /// <summary>The sid Twilio answered the first send of a reply with, if it received one.</summary>
    public string? SidOf(Guid replyId) => sends.TryGetValue(replyId, out var sids) && sids.TryPeek(out var sid) ? sid : null;

    /// <summary>The StatusCallback path and query Crm asked Twilio to report to, for a reply.</summary>
    public static string StatusCallbackPath(Guid replyId) => $"/webhooks/twilio/{CrmDeployment.ConnectionId}/status?messageId={replyId}";

    public int RequestsWithoutReplyId => Volatile.Read(ref requestsWithoutReplyId);

    private async Task<IResponseMessage> AnswerAsync(IRequestMessage request)
    {
        var sid = "SM" + Guid.NewGuid().ToString("N");
        var callback = FormField(request.Body ?? "", "StatusCallback");
        var replyId = callback is null ? null : FormField(new Uri(callback).Query.TrimStart('?'), "messageId");
        if (Guid.TryParse(replyId, out var id)) sends.GetOrAdd(id, _ => new ConcurrentQueue<string>()).Enqueue(sid);
        else Interlocked.Increment(ref requestsWithoutReplyId);

        if (answerDelay > TimeSpan.Zero) await Task.Delay(answerDelay);
        var answer = new ResponseMessage
        {
            StatusCode = 201,
            BodyData = new BodyData
            {
                BodyAsString = JsonSerializer.Serialize(new { sid, status = "queued", account_sid = CrmDeployment.AccountSid }),
                DetectedBodyType = BodyType.String,
            },
        };
        answer.AddHeader("Content-Type", "application/json");
        return answer;
    }

    private static string? FormField(string form, string name)
    {
        foreach (var pair in form.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = pair.IndexOf('=');
            var key = separator < 0 ? pair : pair[..separator];
            if (Uri.UnescapeDataString(key.Replace('+', ' ')) == name)
                return separator < 0 ? "" : Uri.UnescapeDataString(pair[(separator + 1)..].Replace('+', ' '));
        }
        return null;
    }

    public void Dispose() => Stop();
}
