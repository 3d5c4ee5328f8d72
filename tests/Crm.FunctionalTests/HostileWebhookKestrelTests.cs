using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// The hostile webhooks TestServer cannot show: a real Kestrel on 127.0.0.1, spoken to over a raw socket,
/// so the body limit is seen to act before the body is sent, and chunked bodies are cut off as they stream.
/// </summary>
public sealed class HostileWebhookKestrelTests : IAsyncLifetime
{
    private static readonly string WhatsAppPath = CrmApplication.ConnectionPath("/webhooks/twilio/whatsapp");
    private static readonly TimeSpan PatienceLimit = TimeSpan.FromSeconds(20);

    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly WebhookLogs logs = new();
    private CrmApplication app = null!;
    private IPEndPoint server = null!;

    public Task InitializeAsync()
    {
        app = new CrmApplication(twilio, testServices: services => services.AddSingleton<ILoggerProvider>(logs));
        app.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app.StartServer();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        server = new IPEndPoint(IPAddress.Loopback, address.Port);
        logs.Clear();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_body_declared_over_the_limit_is_refused_with_413_before_it_is_sent()
    {
        using var connection = await ConnectAsync();
        var stream = connection.GetStream();
        // 27 MB announced, 1 KB sent: an answer proves nothing waited for (or buffered) the rest.
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Headers("Content-Length: 28311552") + new string('x', 1024)));

        var statusLine = await ReadStatusLineAsync(stream);

        Assert.StartsWith("HTTP/1.1 413", statusLine);
        AssertOneWebhookLogLine();
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_with_413_as_it_streams_in()
    {
        using var connection = await ConnectAsync();
        var stream = connection.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Headers("Transfer-Encoding: chunked")));
        var chunk = Encoding.ASCII.GetBytes($"4000\r\n{new string('v', 0x4000)}\r\n");
        try
        {
            // 1 MB in 16 KB chunks, twice the limit; the server may stop listening part way.
            for (var sent = 0; sent < 64; sent++) await stream.WriteAsync(chunk);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("0\r\n\r\n"));
        }
        catch (IOException)
        {
            // The server answered and closed the connection before the body ended: what is wanted.
        }

        var statusLine = await ReadStatusLineAsync(stream);

        Assert.StartsWith("HTTP/1.1 413", statusLine);
        AssertOneWebhookLogLine();
    }

    [Fact]
    public async Task A_nul_byte_in_an_unsigned_form_value_is_refused_with_403_not_500_by_a_real_server()
    {
        using var connection = await ConnectAsync();
        var stream = connection.GetStream();
        const string body = "From=whatsapp%3A%2B14155550100&Body=a%00b";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Headers($"Content-Length: {body.Length}") + body));

        Assert.StartsWith("HTTP/1.1 403", await ReadStatusLineAsync(stream));
        AssertOneWebhookLogLine();
    }

    private static string Headers(string lengthHeader)
        => $"POST {WhatsAppPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n{lengthHeader}\r\n\r\n";

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(server);
        return client;
    }

    /// <summary>The response's first line; the timeout guards against hanging, it is not a speed requirement.</summary>
    private static async Task<string> ReadStatusLineAsync(NetworkStream stream)
    {
        using var patience = new CancellationTokenSource(PatienceLimit);
        var received = new List<byte>();
        var buffer = new byte[1024];
        while (!received.Contains((byte)'\n'))
        {
            var read = await stream.ReadAsync(buffer, patience.Token);
            if (read == 0) break;
            received.AddRange(buffer.AsSpan(0, read));
        }
        return Encoding.ASCII.GetString(received.ToArray()).Split('\n')[0].TrimEnd('\r');
    }

    private void AssertOneWebhookLogLine()
    {
        var written = string.Join("\n", logs.Entries(LogLevel.Warning).Select(e => $"{e.Level} {e.Category}: {e.Message}"));
        Assert.True(logs.Entries(LogLevel.Error).Count == 0, $"Logged errors:\n{written}");
        Assert.True(logs.Entries(LogLevel.Warning).Count(e => e.Category.EndsWith("TwilioWebhooksApi", StringComparison.Ordinal)) == 1,
            $"Expected one webhook warning; logged:\n{written}");
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        twilio.Stop();
    }
}
