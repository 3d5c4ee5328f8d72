namespace Crm.Connectors.Connections;

/// <summary>
/// Channel connections, by id (webhooks and sends), by workspace (the admin API) and by sender (replies queued
/// before connections were data name only their sender). Adding or updating refuses, with
/// <see cref="SenderTakenException"/>, a sender that another enabled connection already answers for.
/// </summary>
public interface IChannelConnectionStore
{
    Task InitializeAsync(CancellationToken ct = default);

    Task<ChannelConnection?> FindAsync(Guid id, CancellationToken ct = default);

    Task<IReadOnlyList<ChannelConnection>> ListAsync(Guid workspaceId, CancellationToken ct = default);

    /// <summary>The enabled connection that answers for <paramref name="sender"/> (an identity such as <c>+14155238886</c>).</summary>
    Task<ChannelConnection?> FindEnabledBySenderAsync(string sender, CancellationToken ct = default);

    /// <summary>False when the id exists already (a seed that ran before).</summary>
    Task<bool> AddAsync(ChannelConnection connection, CancellationToken ct = default);

    /// <summary>False when no connection of that workspace has that id.</summary>
    Task<bool> UpdateAsync(ChannelConnection connection, CancellationToken ct = default);

    Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default);
}
