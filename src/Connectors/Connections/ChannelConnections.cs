using System.Collections.Concurrent;
using Crm.Connectors.Twilio;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Connections;

/// <summary>
/// Reads and writes channel connections for the webhooks, the senders and the admin API. Webhooks read a
/// connection on every request, so what was read (decrypted, as each type's account) is kept for
/// <see cref="ChannelConnectionOptions.CacheFor"/>; every change made through this process forgets it at once.
/// </summary>
public sealed class ChannelConnections(IChannelConnectionStore store, ConnectionSecrets secrets, TimeProvider clock, IOptions<ChannelConnectionOptions> options)
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, object? Account)> accounts = new(StringComparer.Ordinal);

    public IChannelConnectionStore Store => store;

    public ConnectionSecrets Secrets => secrets;

    /// <summary>The enabled Twilio connection with this id, decrypted; null when unknown, disabled or of another type.</summary>
    public Task<TwilioAccount?> TwilioAccountAsync(Guid connectionId, CancellationToken ct = default)
        => EnabledAsync(connectionId, ChannelConnectionTypes.TwilioWhatsApp, ToTwilioAccount, ct);

    /// <summary>
    /// The enabled connection of <paramref name="type"/> with this id, opened by <paramref name="open"/> (which decrypts
    /// what the caller needs); null when unknown, disabled or of another type. Cached like every webhook read.
    /// </summary>
    public Task<TAccount?> EnabledAsync<TAccount>(Guid connectionId, string type, Func<ChannelConnection, TAccount> open, CancellationToken ct = default)
        where TAccount : class
        => CachedAsync($"{type}:id:{connectionId}", type, () => store.FindAsync(connectionId, ct), open, ct);

    public Task<IReadOnlyList<ChannelConnection>> ListAsync(Guid workspaceId, CancellationToken ct = default) => store.ListAsync(workspaceId, ct);

    public async Task<ChannelConnection?> FindAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => await store.FindAsync(id, ct) is { } found && found.WorkspaceId == workspaceId ? found : null;

    /// <exception cref="SenderTakenException">A sender already belongs to another enabled connection.</exception>
    public async Task<bool> AddAsync(ChannelConnection connection, CancellationToken ct = default)
    {
        try { return await store.AddAsync(connection, ct); }
        finally { accounts.Clear(); }
    }

    /// <exception cref="SenderTakenException">A sender already belongs to another enabled connection.</exception>
    public async Task<bool> UpdateAsync(ChannelConnection connection, CancellationToken ct = default)
    {
        try { return await store.UpdateAsync(connection, ct); }
        finally { accounts.Clear(); }
    }

    public async Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        try { return await store.DeleteAsync(workspaceId, id, ct); }
        finally { accounts.Clear(); }
    }

    /// <summary>A connection ready to store, from what its type made of the admin's (or the seed's) settings.</summary>
    public ChannelConnection Compose(Guid id, Guid workspaceId, string type, string displayName, bool enabled, Guid? routingTeamId,
        DateTimeOffset createdAt, StoredSettings settings)
        => new(id, workspaceId, type, displayName, enabled, routingTeamId, createdAt, clock.GetUtcNow(), settings.Senders, settings.SettingsJson,
            settings.ProtectedSecrets);

    /// <summary>A Twilio connection ready to store: settings as JSON, the auth token encrypted, the numbers as identities.</summary>
    public ChannelConnection Twilio(Guid id, Guid workspaceId, string displayName, bool enabled, Guid? routingTeamId, DateTimeOffset createdAt,
        TwilioConnectionSettings settings, string authToken)
        => Compose(id, workspaceId, ChannelConnectionTypes.TwilioWhatsApp, displayName, enabled, routingTeamId, createdAt,
            TwilioConnectionType.Store(settings, authToken, secrets));

    public static TwilioConnectionSettings TwilioSettingsOf(ChannelConnection connection) => ConnectionInput.Settings<TwilioConnectionSettings>(connection);

    public string TwilioAuthTokenOf(ChannelConnection connection) => secrets.Unprotect<TwilioConnectionSecrets>(connection.ProtectedSecrets).AuthToken;

    /// <summary>Decrypted for use; never for a response.</summary>
    public TwilioAccount ToTwilioAccount(ChannelConnection connection) => TwilioAccount.Open(connection, secrets);

    private async Task<TAccount?> CachedAsync<TAccount>(string key, string type, Func<Task<ChannelConnection?>> read, Func<ChannelConnection, TAccount> open,
        CancellationToken ct) where TAccount : class
    {
        ct.ThrowIfCancellationRequested();
        var now = clock.GetUtcNow();
        if (accounts.TryGetValue(key, out var cached) && cached.Until > now) return (TAccount?)cached.Account;
        var connection = await read();
        var account = connection is { Enabled: true } && connection.Type == type ? open(connection) : null;
        accounts[key] = (now + options.Value.CacheFor, account);
        return account;
    }
}
