using System.Collections.Concurrent;
using System.Text.Json;
using Crm.Connectors.Twilio;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Connections;

/// <summary>
/// Reads and writes channel connections for the webhooks, the senders and the admin API. Webhooks read a
/// connection on every request, so what was read is kept for <see cref="ChannelConnectionOptions.CacheFor"/>;
/// every change made through this process forgets it at once.
/// </summary>
public sealed class ChannelConnections(IChannelConnectionStore store, ConnectionSecrets secrets, TimeProvider clock, IOptions<ChannelConnectionOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, TwilioAccount? Account)> twilioAccounts = new(StringComparer.Ordinal);

    public IChannelConnectionStore Store => store;

    /// <summary>The enabled Twilio connection with this id, decrypted; null when unknown, disabled or of another type.</summary>
    public Task<TwilioAccount?> TwilioAccountAsync(Guid connectionId, CancellationToken ct = default)
        => CachedAsync($"id:{connectionId}", async () => await store.FindAsync(connectionId, ct), ct);

    /// <summary>The enabled Twilio connection that answers for this sender identity (e.g. <c>+14155238886</c>).</summary>
    public Task<TwilioAccount?> TwilioAccountForSenderAsync(string sender, CancellationToken ct = default)
        => CachedAsync($"sender:{sender}", async () => await store.FindEnabledBySenderAsync(sender, ct), ct);

    public Task<IReadOnlyList<ChannelConnection>> ListAsync(Guid workspaceId, CancellationToken ct = default) => store.ListAsync(workspaceId, ct);

    public async Task<ChannelConnection?> FindAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => await store.FindAsync(id, ct) is { } found && found.WorkspaceId == workspaceId ? found : null;

    /// <exception cref="SenderTakenException">A sender already belongs to another enabled connection.</exception>
    public async Task<bool> AddAsync(ChannelConnection connection, CancellationToken ct = default)
    {
        try { return await store.AddAsync(connection, ct); }
        finally { twilioAccounts.Clear(); }
    }

    /// <exception cref="SenderTakenException">A sender already belongs to another enabled connection.</exception>
    public async Task<bool> UpdateAsync(ChannelConnection connection, CancellationToken ct = default)
    {
        try { return await store.UpdateAsync(connection, ct); }
        finally { twilioAccounts.Clear(); }
    }

    public async Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        try { return await store.DeleteAsync(workspaceId, id, ct); }
        finally { twilioAccounts.Clear(); }
    }

    /// <summary>A Twilio connection ready to store: settings as JSON, the auth token encrypted, the numbers as identities.</summary>
    public ChannelConnection Twilio(Guid id, Guid workspaceId, string displayName, bool enabled, Guid? routingTeamId, DateTimeOffset createdAt,
        TwilioConnectionSettings settings, string authToken)
    {
        var numbers = settings.Numbers.Select(WhatsAppNumbers.Identity).Distinct(StringComparer.Ordinal).ToList();
        var stored = settings with { Numbers = numbers.Select(WhatsAppNumbers.ToWhatsAppAddress).ToList() };
        return new ChannelConnection(id, workspaceId, ChannelConnectionTypes.TwilioWhatsApp, displayName, enabled, routingTeamId, createdAt, clock.GetUtcNow(),
            numbers, JsonSerializer.Serialize(stored, Json), secrets.Protect(new TwilioConnectionSecrets(authToken)));
    }

    public static TwilioConnectionSettings TwilioSettingsOf(ChannelConnection connection)
        => JsonSerializer.Deserialize<TwilioConnectionSettings>(connection.SettingsJson, Json)
           ?? throw new InvalidDataException($"Channel connection {connection.Id} has no settings.");

    public string TwilioAuthTokenOf(ChannelConnection connection) => secrets.Unprotect<TwilioConnectionSecrets>(connection.ProtectedSecrets).AuthToken;

    /// <summary>Decrypted for use; never for a response.</summary>
    public TwilioAccount ToTwilioAccount(ChannelConnection connection)
    {
        var settings = TwilioSettingsOf(connection);
        return new TwilioAccount(connection.Id, connection.WorkspaceId, settings.AccountSid, TwilioAuthTokenOf(connection),
            settings.ApiBaseUrl ?? TwilioAccount.TwilioApi, connection.Senders.ToHashSet(StringComparer.Ordinal))
        {
            RoutingTeamId = connection.RoutingTeamId,
        };
    }

    private async Task<TwilioAccount?> CachedAsync(string key, Func<Task<ChannelConnection?>> read, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var now = clock.GetUtcNow();
        if (twilioAccounts.TryGetValue(key, out var cached) && cached.Until > now) return cached.Account;
        var connection = await read();
        var account = connection is { Enabled: true, Type: ChannelConnectionTypes.TwilioWhatsApp } ? ToTwilioAccount(connection) : null;
        twilioAccounts[key] = (now + options.Value.CacheFor, account);
        return account;
    }
}
