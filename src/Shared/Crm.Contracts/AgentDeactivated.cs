namespace Crm.Contracts;

/// <summary>
/// An admin deactivated an agent: their sessions have ended, and whatever they were working on (their assigned
/// conversations) goes back to the queue.
/// </summary>
public record AgentDeactivated(Guid AgentId, Guid WorkspaceId);
