namespace Crm.Gateway.Hosting;

/// <summary>
/// Headers that keep the agents' web app from being framed, sniffed or made to run injected script: only
/// the app's own files may run, style or connect, and no page may frame it. Images and media may also be
/// <c>blob:</c> URLs: media a provider keeps (WeChat, WhatsApp Cloud) is fetched by the app with the agent's token
/// and shown from memory; a blob cannot run script here, since scripts come only from 'self'.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; media-src 'self' blob: https:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var headers = context.Response.Headers;
        // The API reference (Development only) is Scalar's page, which configures itself with an inline script.
        if (!context.Request.Path.StartsWithSegments(ApiDocuments.ReferencePath)) headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        return next(context);
    });
}
