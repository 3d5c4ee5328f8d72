using MassTransit;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WireMock.Server;

namespace Crm.FunctionalTests;

public sealed class HostingTests : IDisposable
{
    private readonly WireMockServer twilio = WireMockServer.Start();

    [Fact]
    public async Task The_web_inbox_is_served_with_headers_that_forbid_framing_sniffing_and_foreign_scripts()
    {
        await using var app = new CrmApplication(twilio);

        var page = await app.CreateClient().GetAsync("/");

        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());

        // The built web app (ClientApp → wwwroot): its script is a file of its own, which the policy allows; no inline script.
        Assert.True(page.IsSuccessStatusCode, $"GET / answered {(int)page.StatusCode}: was the web app built into wwwroot?");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<div id=\"root\">", html);
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script type=\"module\" crossorigin src=\"(/assets/[^\"]+\\.js)\"></script>");
        Assert.True(script.Success, "index.html loads the app from /assets");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script"));
        var bundle = await app.CreateClient().GetAsync(script.Groups[1].Value);
        Assert.True(bundle.IsSuccessStatusCode);
    }

    [Fact]
    public async Task MassTransit_reports_no_usage_telemetry()
    {
        await using var app = new CrmApplication(twilio);

        Assert.False(app.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }

    [Fact]
    public async Task An_agents_live_connection_is_closed_when_the_token_expires()
    {
        await using var app = new CrmApplication(twilio, new Dictionary<string, string?> { ["Crm:Auth:TokenLifetime"] = "00:00:02" });
        var agent = await app.SignInAsync("ann");
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var feed = await app.ConnectAgentAsync(agent, onClosed: () => closed.TrySetResult());

        // A guard against hanging, not a speed requirement: without the fix the connection stays open for good.
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public void Dispose() => twilio.Stop();
}
