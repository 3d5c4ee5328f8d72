using Crm.Connectors.Connections;
using Crm.Inbox.Assignment;

namespace Crm.Gateway.Hosting;

/// <summary>Answers the channel connections API from the inbox's teams: a connection routes only to a team of its own workspace.</summary>
public sealed class RoutingTeams(ITeamStore teams) : IRoutingTeams
{
    public async Task<bool> ExistsAsync(Guid workspaceId, Guid teamId, CancellationToken ct)
        => await teams.GetTeamAsync(workspaceId, teamId, ct) is not null;
}
