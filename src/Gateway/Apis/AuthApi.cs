using Crm.Gateway.Agents;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Gateway.Apis;

/// <summary>Signing in with email and password, and accepting an invitation (which signs the new agent in).</summary>
public static class AuthApi
{
    public sealed record SignInRequest(string? Email, string? Password);

    public sealed record AcceptInvitationRequest(string? Token, string? Name, string? Password);

    public sealed record SignedInAgent(Guid Id, string Name, string Email, string Role, Guid WorkspaceId);

    public sealed record AgentToken(string Token, DateTimeOffset ExpiresAt, SignedInAgent Agent);

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        // Processes that keep no agents (connectors only) have nobody to sign in.
        if (app.ServiceProvider.GetService<IAgentStore>() is null) return app;
        var auth = app.MapGroup("/api/auth").AllowAnonymous().WithTags("Auth");
        auth.MapPost("/sign-in", SignIn);
        auth.MapPost("/accept-invitation", AcceptInvitation);
        app.MapAgentsApi();
        return app;
    }

    public static async Task<Results<Ok<AgentToken>, ProblemHttpResult>> SignIn(
        SignInRequest request, AgentAccounts accounts, AgentTokens tokens, HttpResponse response, CancellationToken ct)
        => Issue(await accounts.SignInAsync(request.Email, request.Password, ct), tokens, response);

    public static async Task<Results<Ok<AgentToken>, ProblemHttpResult>> AcceptInvitation(
        AcceptInvitationRequest request, AgentAccounts accounts, AgentTokens tokens, HttpResponse response, CancellationToken ct)
        => Issue(await accounts.AcceptInvitationAsync(request.Token, request.Name, request.Password, ct), tokens, response);

    private static Results<Ok<AgentToken>, ProblemHttpResult> Issue(AccountResult result, AgentTokens tokens, HttpResponse response)
    {
        if (result is not { Outcome: AccountOutcome.Done, Agent: { } agent })
        {
            if (result.RetryAfter is { } retryAfter) response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return AgentsApi.Problem(result);
        }
        var (token, expiresAt) = tokens.Issue(new AgentIdentity(agent.Id, agent.Name, agent.Email, agent.WorkspaceId, agent.Role, agent.SessionStamp));
        return TypedResults.Ok(new AgentToken(token, expiresAt, new SignedInAgent(agent.Id, agent.Name, agent.Email, agent.Role, agent.WorkspaceId)));
    }
}
