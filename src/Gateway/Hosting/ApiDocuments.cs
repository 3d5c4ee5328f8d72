using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Crm.Gateway.Hosting;

/// <summary>
/// The API described as OpenAPI at <c>/openapi/v1.json</c> (every environment: integrations build on it), and
/// Scalar's interactive reference at <c>/scalar</c> in Development.
/// </summary>
public static class ApiDocuments
{
    public const string ReferencePath = "/scalar";

    public static IServiceCollection AddApiDocuments(this IServiceCollection services)
        => services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Crm",
                Version = "v1",
                Description = "The shared inbox's API: everything the agents' web app does goes through it. "
                              + "Sign in with POST /api/auth/sign-in and send the token as `Authorization: Bearer …`.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "The token POST /api/auth/sign-in returns.",
            };
            return Task.CompletedTask;
        }));

    public static WebApplication MapApiDocuments(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        if (app.Environment.IsDevelopment()) app.MapScalarApiReference(ReferencePath).AllowAnonymous();
        return app;
    }
}
