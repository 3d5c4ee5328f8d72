using Crm.Inbox.Customers;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// Consent per channel (a row per customer and channel, none until the customer chose), reachability per identity (columns on
/// customer_identities), and the profile read of both with the behaviour. Each change is a profile version with an audit entry.
/// </summary>
public sealed partial class SqliteInboxStore : ICustomerConsentStore
{
    private static Task InitializeConsentAsync(SqliteConnection connection, CancellationToken ct)
        => ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS customer_consents (
                workspace_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                state TEXT NOT NULL,
                changed_at INTEGER NOT NULL,
                source TEXT NOT NULL,
                detail TEXT,
                changed_by TEXT,
                PRIMARY KEY (customer_id, channel));
            -- A workspace's opted-out (or opted-in) customers on a channel: the "Opted out" segment, a campaign's exclusions.
            CREATE INDEX IF NOT EXISTS ix_customer_consents_workspace_state ON customer_consents(workspace_id, state, channel, customer_id);
            """, ct);

    public Task<ProfileUpdateResult> SetConsentAsync(Guid workspaceId, Guid customerId, string channel, ConsentChange change, DateTimeOffset at,
        CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            if (await GetProfileAsync(connection, transaction, workspaceId, customerId, ct) is not { } current)
                return new ProfileUpdateResult(ProfileUpdateOutcome.NotFound, null);
            if (!await WriteConsentAsync(connection, transaction, workspaceId, customerId, channel, change, at, ct))
                return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, current);
            return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, await GetProfileAsync(connection, transaction, workspaceId, customerId, ct));
        }, ct);

    /// <summary>
    /// Records the choice unless it is already the recorded one or older than it (a late message never undoes a newer choice);
    /// true when it changed, with a new profile version and a history entry.
    /// </summary>
    private static async Task<bool> WriteConsentAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId,
        string channel, ConsentChange change, DateTimeOffset at, CancellationToken ct)
    {
        string? before = null;
        // Primary key of customer_consents.
        await using (var command = Command(connection, transaction, "SELECT state, changed_at FROM customer_consents WHERE customer_id = $customer AND channel = $channel",
            ("$customer", customerId.ToString()), ("$channel", channel)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                before = reader.GetString(0);
                if (before == change.State || reader.GetInt64(1) > at.UtcTicks) return false;
            }
        }
        await ExecuteAsync(connection, transaction, """
            INSERT INTO customer_consents (workspace_id, customer_id, channel, state, changed_at, source, detail, changed_by)
            VALUES ($workspace, $customer, $channel, $state, $at, $source, $detail, $by)
            ON CONFLICT (customer_id, channel) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at, source = excluded.source,
                detail = excluded.detail, changed_by = excluded.changed_by
            """, ct,
            ("$workspace", workspaceId.ToString()), ("$customer", customerId.ToString()), ("$channel", channel), ("$state", change.State),
            ("$at", at.UtcTicks), ("$source", change.Source), ("$detail", change.Detail), ("$by", change.ChangedBy?.ToString()));
        await AuditCustomerChangeAsync(connection, transaction, workspaceId, customerId, ConsentKeywords.HistoryField(channel), before, change.State,
            change.ChangedBy, at, ct);
        return true;
    }

    /// <summary>A change the system or an agent made outside the profile's own fields: a new version, one history entry.</summary>
    private static async Task AuditCustomerChangeAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId,
        string field, string? from, string? to, Guid? changedBy, DateTimeOffset at, CancellationToken ct)
    {
        var version = await ScalarAsync<long>(connection, transaction, "UPDATE customers SET version = version + 1 WHERE id = $id RETURNING version", ct,
            ("$id", customerId.ToString()));
        await InsertProfileChangeAsync(connection, transaction, workspaceId, customerId, version, field, from, to, changedBy, at, ct);
    }

    public Task<bool> MarkUnreachableAsync(Guid messageId, string reason, DateTimeOffset at, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            // Primary keys of messages and conversations: the identity the reply went to, whoever owns it now.
            string? workspace = null, channel = null, value = null;
            await using (var command = Command(connection, transaction, """
                SELECT m.workspace_id, m.channel, c.customer_identity FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.id = $id AND m.direction = 'outbound'
                """, ("$id", messageId.ToString())))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                if (!await reader.ReadAsync(ct)) return false;
                (workspace, channel, value) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            }
            // Primary keys of customer_identities and customer_channel_activity. The customer wrote on the channel since the
            // failure: it is stale news (a redelivery, a late callback), their identity works.
            string? customer = null;
            await using (var command = Command(connection, transaction, """
                SELECT i.customer_id FROM customer_identities i
                LEFT JOIN customer_channel_activity a ON a.customer_id = i.customer_id AND a.channel = i.channel
                WHERE i.workspace_id = $workspace AND i.channel = $channel AND i.value = $value AND i.unreachable_at IS NULL
                  AND (a.last_inbound_at IS NULL OR a.last_inbound_at < $at)
                """, ("$workspace", workspace), ("$channel", channel), ("$value", value), ("$at", at.UtcTicks)))
                customer = await command.ExecuteScalarAsync(ct) as string;
            if (customer is null) return false;

            await ExecuteAsync(connection, transaction, """
                UPDATE customer_identities SET unreachable_reason = $reason, unreachable_at = $at
                WHERE workspace_id = $workspace AND channel = $channel AND value = $value
                """, ct, ("$reason", reason), ("$at", at.UtcTicks), ("$workspace", workspace), ("$channel", channel), ("$value", value));
            await AuditCustomerChangeAsync(connection, transaction, Guid.Parse(workspace!), Guid.Parse(customer), ConsentKeywords.ReachabilityField(channel!, value!),
                "reachable", "unreachable: " + reason, null, at, ct);
            return true;
        }, ct);

    public Task<ProfileUpdateResult> ClearUnreachableAsync(Guid workspaceId, Guid customerId, ChannelIdentity identity, Guid? changedBy, DateTimeOffset at,
        CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var current = await GetProfileAsync(connection, transaction, workspaceId, customerId, ct);
            if (current?.IdentityDetails.FirstOrDefault(i => i.Channel == identity.Channel && i.Value == identity.Value) is not { } detail)
                return new ProfileUpdateResult(ProfileUpdateOutcome.NotFound, null);
            if (detail.Reachable) return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, current);
            await SetReachableAsync(connection, transaction, workspaceId, identity, changedBy, at, ct);
            return new ProfileUpdateResult(ProfileUpdateOutcome.Updated, await GetProfileAsync(connection, transaction, workspaceId, customerId, ct));
        }, ct);

    private static async Task SetReachableAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, ChannelIdentity identity,
        Guid? changedBy, DateTimeOffset at, CancellationToken ct)
    {
        // Primary key of customer_identities.
        var key = new (string, object?)[] { ("$workspace", workspaceId.ToString()), ("$channel", identity.Channel), ("$value", identity.Value) };
        string? customer = null, reason = null;
        await using (var command = Command(connection, transaction, """
            SELECT customer_id, unreachable_reason FROM customer_identities
            WHERE workspace_id = $workspace AND channel = $channel AND value = $value AND unreachable_at IS NOT NULL
            """, key))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return;
            (customer, reason) = (reader.GetString(0), NullableString(reader, 1));
        }
        await ExecuteAsync(connection, transaction, """
            UPDATE customer_identities SET unreachable_reason = NULL, unreachable_at = NULL
            WHERE workspace_id = $workspace AND channel = $channel AND value = $value
            """, ct, key);
        await AuditCustomerChangeAsync(connection, transaction, workspaceId, Guid.Parse(customer), ConsentKeywords.ReachabilityField(identity.Channel, identity.Value),
            reason is null ? "unreachable" : "unreachable: " + reason, "reachable", changedBy, at, ct);
    }

    public async Task<bool> MayMessageInBulkAsync(Guid workspaceId, Guid customerId, string channel, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // Primary key of customer_consents; ix_customer_identities_customer.
        return await ScalarAsync<long>(connection, null, """
            SELECT NOT EXISTS (SELECT 1 FROM customer_consents WHERE customer_id = $customer AND channel = $channel AND state = 'opted-out')
               AND EXISTS (SELECT 1 FROM customer_identities WHERE customer_id = $customer AND workspace_id = $workspace AND channel = $channel
                           AND unreachable_at IS NULL)
            """, ct, ("$customer", customerId.ToString()), ("$workspace", workspaceId.ToString()), ("$channel", channel)) == 1;
    }

    internal const string ProfileChangesPageSql = """
        SELECT id, customer_id, version, field, old_value, new_value, changed_by, changed_at FROM customer_profile_changes
        WHERE workspace_id = $workspace AND customer_id = $customer AND version <= $version AND (version, field) < ($version, $field)
        ORDER BY version DESC, field DESC LIMIT $take
        """;

    public async Task<IReadOnlyList<CustomerProfileChange>> ListProfileChangesAsync(Guid workspaceId, Guid customerId, ProfileChangeCursor? after, int take,
        CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_customer_profile_changes_customer (workspace_id, customer_id, version, field), backwards from the cursor: the first term
        // seeks, the row value skips the rest of the cursor's own version. No cursor: from the newest.
        var (version, field) = after is { } cursor ? (cursor.Version, cursor.Field) : (long.MaxValue, "");
        await using var command = Command(connection, null, ProfileChangesPageSql, ("$workspace", workspaceId.ToString()), ("$customer", customerId.ToString()), ("$version", version), ("$field", field),
            ("$take", take));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var changes = new List<CustomerProfileChange>();
        while (await reader.ReadAsync(ct))
            changes.Add(new CustomerProfileChange(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetInt64(2), reader.GetString(3),
                NullableString(reader, 4), NullableString(reader, 5), NullableGuid(reader, 6), FromTicks(reader.GetInt64(7))));
        return changes;
    }

    /// <summary>The profile with its behaviour, consent and identity details: four primary-key reads.</summary>
    private static async Task<CustomerProfile> WithCustomerStateAsync(SqliteConnection connection, SqliteTransaction? transaction, CustomerProfile profile,
        CancellationToken ct)
    {
        var id = ("$id", (object?)profile.Id.ToString());
        var channels = new List<ChannelBehaviour>();
        await using (var command = Command(connection, transaction, """
            SELECT channel, first_seen_at, last_inbound_at, last_outbound_agent_at, last_outbound_automation_at, inbound_count, outbound_count
            FROM customer_channel_activity WHERE customer_id = $id ORDER BY channel
            """, id))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                channels.Add(new ChannelBehaviour(reader.GetString(0), NullableTime(reader, 1), NullableTime(reader, 2), NullableTime(reader, 3),
                    NullableTime(reader, 4), reader.GetInt64(5), reader.GetInt64(6)));
        }
        var behaviour = CustomerBehaviour.None;
        await using (var command = Command(connection, transaction, """
            SELECT first_seen_at, last_inbound_at, last_outbound_agent_at, last_outbound_automation_at, last_channel, inbound_count, outbound_count
            FROM customers WHERE id = $id
            """, id))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
                behaviour = new CustomerBehaviour(NullableTime(reader, 0), NullableTime(reader, 1), NullableTime(reader, 2), NullableTime(reader, 3),
                    NullableString(reader, 4), reader.GetInt64(5), reader.GetInt64(6), channels);
        }
        var consents = new List<ChannelConsent>();
        await using (var command = Command(connection, transaction,
            "SELECT channel, state, changed_at, source, detail, changed_by FROM customer_consents WHERE customer_id = $id ORDER BY channel", id))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                consents.Add(new ChannelConsent(reader.GetString(0), reader.GetString(1), FromTicks(reader.GetInt64(2)), reader.GetString(3),
                    NullableString(reader, 4), NullableGuid(reader, 5)));
        }
        var identities = new List<IdentityDetail>();
        // ix_customer_identities_customer
        await using (var command = Command(connection, transaction, """
            SELECT channel, value, connection_id, unreachable_reason, unreachable_at FROM customer_identities WHERE customer_id = $id ORDER BY channel, value
            """, id))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                identities.Add(new IdentityDetail(reader.GetString(0), reader.GetString(1), NullableGuid(reader, 2), NullableString(reader, 3), NullableTime(reader, 4)));
        }
        return profile with { Behaviour = behaviour, Consents = consents, IdentityDetails = identities };
    }

    private static DateTimeOffset? NullableTime(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : FromTicks(reader.GetInt64(ordinal));
}
