using System.Security.Claims;
using System.Security.Cryptography;
using Crm.Gateway.Hosting;
using Crm.Inbox.Agents;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Crm.Gateway.Agents;

public sealed class AgentAuthOptions
{
    public const string Section = "Crm:Auth";

    /// <summary>HMAC key for agent tokens; every process of one deployment must share it.</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "crm";
    public string Audience { get; set; } = "crm-agents";
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>Issues and checks agents' JWT bearer tokens; every API and hub call requires one.</summary>
public sealed class AgentTokens(AgentAuthOptions options, SymmetricSecurityKey key, TimeProvider clock)
{
    public AgentAuthOptions Options => options;

    public (string Token, DateTimeOffset ExpiresAt) Issue(AgentIdentity agent)
    {
        var now = clock.GetUtcNow();
        var expiresAt = now + options.TokenLifetime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Subject = new ClaimsIdentity([
                new Claim(AgentClaims.AgentId, agent.AgentId.ToString()),
                new Claim(AgentClaims.Name, agent.Name),
                new Claim(AgentClaims.Email, agent.Email),
                new Claim(AgentClaims.Workspace, agent.WorkspaceId.ToString()),
                new Claim(AgentClaims.Role, agent.Role),
                new Claim(AgentClaims.SessionStamp, agent.SessionStamp),
            ]),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        return (token, expiresAt);
    }
}

/// <summary>Who a token is issued to.</summary>
public sealed record AgentIdentity(Guid AgentId, string Name, string Email, Guid WorkspaceId, string Role, string SessionStamp);

public static class AgentAuthentication
{
    public static WebApplicationBuilder AddAgentAuthentication(this WebApplicationBuilder builder, CrmTopology topology)
    {
        var options = builder.Configuration.GetSection(AgentAuthOptions.Section).Get<AgentAuthOptions>() ?? new AgentAuthOptions();
        var key = new SymmetricSecurityKey(SigningKey(options, topology));
        builder.Services.AddSingleton(sp => new AgentTokens(options, key, sp.GetRequiredService<TimeProvider>()));

        builder.Services.AddAuthorization();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = options.Issuer,
                ValidAudience = options.Audience,
                IssuerSigningKey = key,
                NameClaimType = "name",
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            jwt.Events = new JwtBearerEvents
            {
                // Browsers cannot set headers on WebSocket requests, so the hub takes the token from the query.
                OnMessageReceived = context =>
                {
                    if (context.HttpContext.Request.Path.StartsWithSegments(InboxHub.Path)
                        && context.Request.Query["access_token"] is { Count: > 0 } token)
                    {
                        context.Token = token;
                    }
                    return Task.CompletedTask;
                },
                // A token outlives nothing: once its agent is deactivated (a new session stamp) or gone, it is refused.
                OnTokenValidated = async context =>
                {
                    if (context.HttpContext.RequestServices.GetService<AgentSessionCheck>() is not { } sessions) return;
                    var user = context.Principal!;
                    var current = Guid.TryParse(user.FindFirst(AgentClaims.AgentId)?.Value, out var agentId)
                        && await sessions.IsCurrentAsync(agentId, user.FindFirst(AgentClaims.SessionStamp)?.Value, context.HttpContext.RequestAborted);
                    if (!current) context.Fail("The agent's session has ended.");
                },
            };
        });
        return builder;
    }

    private static byte[] SigningKey(AgentAuthOptions options, CrmTopology topology)
    {
        if (!string.IsNullOrEmpty(options.SigningKey))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(options.SigningKey);
            if (bytes.Length < 32) throw new InvalidOperationException("Crm:Auth:SigningKey must be at least 32 bytes long.");
            return bytes;
        }
        if (topology.Mode == CrmMode.Distributed)
            throw new InvalidOperationException("Crm:Auth:SigningKey is required in Distributed mode: every process must accept the same tokens.");
        // One embedded process: a fresh key per run is safe; agents simply sign in again after a restart.
        return RandomNumberGenerator.GetBytes(32);
    }
}
