using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Workspaces;

/// <summary>The answer to an agent who tries what only owners and admins may do: 403 in words, and one log line.</summary>
public static class AdminOnly
{
    /// <summary>Null when the caller may manage <paramref name="what"/> ("labels", "teams"); the 403 otherwise.</summary>
    public static ProblemHttpResult? Refusal(ClaimsPrincipal user, string what, ILogger logger)
    {
        if (AgentRoles.CanManage(user.RoleOf())) return null;
        logger.LogInformation("Agent {Agent} may not manage {What}", user.FindFirst(AgentClaims.AgentId)?.Value, what);
        return TypedResults.Problem($"Only owners and admins manage {what}.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
    }
}
