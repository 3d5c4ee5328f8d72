using Crm.Gateway.Agents;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Gateway.Apis;

public static class AuthApi
{
    public sealed record DevSignInRequest(string? Agent);

    public sealed record AgentToken(string Token, DateTimeOffset ExpiresAt);

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var tokens = app.ServiceProvider.GetRequiredService<AgentTokens>();
        // Only mapped when enabled, so production has no such endpoint at all.
        if (tokens.Options.DevSignIn) app.MapPost("/api/auth/dev-token", DevSignIn).AllowAnonymous().WithTags("Auth");
        return app;
    }

    public static Results<Ok<AgentToken>, ProblemHttpResult> DevSignIn(DevSignInRequest request, AgentTokens tokens)
    {
        var agent = request.Agent?.Trim();
        if (string.IsNullOrEmpty(agent) || agent.Length > 100)
            return TypedResults.Problem("agent must be a name of 1 to 100 characters.", statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");
        var (token, expiresAt) = tokens.Issue(agent);
        return TypedResults.Ok(new AgentToken(token, expiresAt));
    }
}
