using Crm.Connectors.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Connections;

/// <summary>
/// The public URL every provider calls, <c>Crm:PublicBaseUrl</c> (or, as before there were other providers,
/// <c>Crm:Twilio:PublicBaseUrl</c>): behind a proxy or a tunnel the server does not see it. Without it, what this
/// request came in on.
/// </summary>
public sealed class WebhookBaseUrl(IConfiguration configuration, IOptions<TwilioOptions> twilio)
{
    public const string Setting = "Crm:PublicBaseUrl";

    public Uri? Configured => Uri.TryCreate(configuration[Setting], UriKind.Absolute, out var configured) ? configured : twilio.Value.PublicBaseUrl;

    public string For(HttpRequest request)
        => Configured?.ToString().TrimEnd('/') ?? $"{request.Scheme}://{request.Host}{request.PathBase}";

    /// <summary>The full URL of this request as the provider called it (what Twilio signs).</summary>
    public string RequestUrl(HttpRequest request)
    {
        var pathAndQuery = $"{request.PathBase}{request.Path}{request.QueryString}";
        return Configured is { } publicBase ? publicBase.ToString().TrimEnd('/') + pathAndQuery : $"{request.Scheme}://{request.Host}{pathAndQuery}";
    }
}
