namespace Crm.Inbox.Workspaces;

public interface IWorkspaceStore
{
    /// <summary>Creates tables and indexes; safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken ct = default);

    /// <summary>False when a workspace with that id exists already (it is left as it is).</summary>
    Task<bool> TryCreateAsync(Workspace workspace, CancellationToken ct = default);

    Task<Workspace?> GetAsync(Guid id, CancellationToken ct = default);
}
