using Crm.Gateway.Agents;
using Crm.Inbox.Workspaces;
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
        // Until agents sign in with a password (issue 6): any name is an agent of the demo workspace, its id derived from the name.
        var id = new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(agent)));
        var (token, expiresAt) = tokens.Issue(new AgentIdentity(id, agent, "", DemoWorkspace.Id, AgentRoles.Admin, ""));
        return TypedResults.Ok(new AgentToken(token, expiresAt));
    }
}
