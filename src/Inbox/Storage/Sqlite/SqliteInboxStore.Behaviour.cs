using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// Behaviour (first seen, last contact each way, counts), written inside the writes that store the messages themselves
/// (the inbound batch, the reply outbox): a message is counted exactly when it is stored, so a redelivery that stores nothing
/// counts nothing. A batch writes one row per customer and channel, however many messages it holds.
/// </summary>
public sealed partial class SqliteInboxStore
{
    private static async Task InitializeBehaviourAsync(SqliteConnection connection, CancellationToken ct)
    {
        await InitializeConsentAsync(connection, ct);
        var backfill = !await HasColumnAsync(connection, "customers", "inbound_count", ct);
        await AddMissingColumnsAsync(connection, "customers",
        [
            ("first_seen_at", "INTEGER"), ("last_inbound_at", "INTEGER"), ("last_outbound_agent_at", "INTEGER"), ("last_outbound_automation_at", "INTEGER"),
            ("last_channel", "TEXT"), ("inbound_count", "INTEGER NOT NULL DEFAULT 0"), ("outbound_count", "INTEGER NOT NULL DEFAULT 0"),
        ], ct);
        await AddMissingColumnsAsync(connection, "customer_identities",
            [("connection_id", "TEXT"), ("unreachable_reason", "TEXT"), ("unreachable_at", "INTEGER")], ct);
        await ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS customer_channel_activity (
                workspace_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                first_seen_at INTEGER,
                last_inbound_at INTEGER,
                last_outbound_agent_at INTEGER,
                last_outbound_automation_at INTEGER,
                inbound_count INTEGER NOT NULL DEFAULT 0,
                outbound_count INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (customer_id, channel));
            """, ct);
        if (!backfill) return;

        // A file from before behaviour was kept: work it out once from the timeline, so customers who wrote before the upgrade
        // do not read as never seen. Events are counted as inbound here (the timeline keeps their kind in JSON only).
        await ExecuteAsync(connection, null, """
            INSERT OR IGNORE INTO customer_channel_activity (workspace_id, customer_id, channel, first_seen_at, last_inbound_at,
                last_outbound_agent_at, last_outbound_automation_at, inbound_count, outbound_count)
            SELECT c.workspace_id, m.customer_id, m.channel,
                min(m.created_at) FILTER (WHERE m.direction = 'inbound'),
                max(m.created_at) FILTER (WHERE m.direction = 'inbound'),
                max(m.created_at) FILTER (WHERE m.direction = 'outbound' AND m.agent IS NOT NULL),
                max(m.created_at) FILTER (WHERE m.direction = 'outbound' AND m.agent IS NULL),
                count(*) FILTER (WHERE m.direction = 'inbound'),
                count(*) FILTER (WHERE m.direction = 'outbound')
            FROM messages m JOIN customers c ON c.id = m.customer_id
            WHERE m.direction IN ('inbound', 'outbound')
            GROUP BY m.customer_id, m.channel;
            UPDATE customers SET
                first_seen_at = (SELECT min(first_seen_at) FROM customer_channel_activity a WHERE a.customer_id = customers.id),
                last_inbound_at = (SELECT max(last_inbound_at) FROM customer_channel_activity a WHERE a.customer_id = customers.id),
                last_outbound_agent_at = (SELECT max(last_outbound_agent_at) FROM customer_channel_activity a WHERE a.customer_id = customers.id),
                last_outbound_automation_at = (SELECT max(last_outbound_automation_at) FROM customer_channel_activity a WHERE a.customer_id = customers.id),
                last_channel = (SELECT channel FROM customer_channel_activity a WHERE a.customer_id = customers.id AND a.last_inbound_at IS NOT NULL
                                ORDER BY a.last_inbound_at DESC LIMIT 1),
                inbound_count = ifnull((SELECT sum(inbound_count) FROM customer_channel_activity a WHERE a.customer_id = customers.id), 0),
                outbound_count = ifnull((SELECT sum(outbound_count) FROM customer_channel_activity a WHERE a.customer_id = customers.id), 0);
            """, ct);
    }

    private static async Task<bool> HasColumnAsync(SqliteConnection connection, string table, string column, CancellationToken ct)
        => await ScalarAsync<long>(connection, null, $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = $name", ct, ("$name", column)) > 0;

    // Each time moves only its own way, whatever order messages arrive in; a null on either side keeps the other.
    private const string UpsertChannelActivitySql = """
        INSERT INTO customer_channel_activity (workspace_id, customer_id, channel, first_seen_at, last_inbound_at, last_outbound_agent_at,
            last_outbound_automation_at, inbound_count, outbound_count)
        VALUES ($workspace, $customer, $channel, $first, $inbound, $agent, $automation, $inboundCount, $outboundCount)
        ON CONFLICT (customer_id, channel) DO UPDATE SET
            first_seen_at = CASE WHEN first_seen_at IS NULL OR excluded.first_seen_at < first_seen_at THEN excluded.first_seen_at ELSE first_seen_at END,
            last_inbound_at = CASE WHEN last_inbound_at IS NULL OR excluded.last_inbound_at > last_inbound_at THEN excluded.last_inbound_at ELSE last_inbound_at END,
            last_outbound_agent_at = CASE WHEN last_outbound_agent_at IS NULL OR excluded.last_outbound_agent_at > last_outbound_agent_at
                THEN excluded.last_outbound_agent_at ELSE last_outbound_agent_at END,
            last_outbound_automation_at = CASE WHEN last_outbound_automation_at IS NULL OR excluded.last_outbound_automation_at > last_outbound_automation_at
                THEN excluded.last_outbound_automation_at ELSE last_outbound_automation_at END,
            inbound_count = inbound_count + excluded.inbound_count,
            outbound_count = outbound_count + excluded.outbound_count
        """;

    // Primary key. SET reads the row as it was, so last_channel compares against the old last_inbound_at.
    private const string UpdateCustomerBehaviourSql = """
        UPDATE customers SET
            first_seen_at = CASE WHEN first_seen_at IS NULL OR $first < first_seen_at THEN ifnull($first, first_seen_at) ELSE first_seen_at END,
            last_channel = CASE WHEN $inbound IS NOT NULL AND (last_inbound_at IS NULL OR $inbound >= last_inbound_at) THEN $channel ELSE last_channel END,
            last_inbound_at = CASE WHEN last_inbound_at IS NULL OR $inbound > last_inbound_at THEN ifnull($inbound, last_inbound_at) ELSE last_inbound_at END,
            last_outbound_agent_at = CASE WHEN last_outbound_agent_at IS NULL OR $agent > last_outbound_agent_at
                THEN ifnull($agent, last_outbound_agent_at) ELSE last_outbound_agent_at END,
            last_outbound_automation_at = CASE WHEN last_outbound_automation_at IS NULL OR $automation > last_outbound_automation_at
                THEN ifnull($automation, last_outbound_automation_at) ELSE last_outbound_automation_at END,
            inbound_count = inbound_count + $inboundCount,
            outbound_count = outbound_count + $outboundCount
        WHERE id = $customer
        """;

    /// <summary>Adds what <paramref name="deltas"/> saw: one statement per customer and channel, one per customer.</summary>
    private async Task WriteBehaviourAsync(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyCollection<ActivityDelta> deltas,
        CancellationToken ct)
    {
        foreach (var delta in deltas)
        {
            var upsert = Reused(connection, transaction, UpsertChannelActivitySql);
            SetParameters(upsert,
                ("$workspace", delta.WorkspaceId.ToString()), ("$customer", delta.CustomerId.ToString()), ("$channel", delta.Channel),
                ("$first", delta.FirstSeenAt?.UtcTicks), ("$inbound", delta.LastInboundAt?.UtcTicks), ("$agent", delta.LastOutboundAgentAt?.UtcTicks),
                ("$automation", delta.LastOutboundAutomationAt?.UtcTicks), ("$inboundCount", delta.InboundCount), ("$outboundCount", delta.OutboundCount));
            await upsert.ExecuteNonQueryAsync(ct);
        }
        foreach (var customer in deltas.GroupBy(d => d.CustomerId))
        {
            var newest = customer.Where(d => d.LastInboundAt is not null).MaxBy(d => d.LastInboundAt);
            var update = Reused(connection, transaction, UpdateCustomerBehaviourSql);
            SetParameters(update,
                ("$customer", customer.Key.ToString()), ("$channel", newest?.Channel),
                ("$first", customer.Min(d => d.FirstSeenAt)?.UtcTicks), ("$inbound", newest?.LastInboundAt?.UtcTicks),
                ("$agent", customer.Max(d => d.LastOutboundAgentAt)?.UtcTicks), ("$automation", customer.Max(d => d.LastOutboundAutomationAt)?.UtcTicks),
                ("$inboundCount", customer.Sum(d => d.InboundCount)), ("$outboundCount", customer.Sum(d => d.OutboundCount)));
            await update.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>What a batch stored that the customer's behaviour, consent and reachability must hear about, gathered per message.</summary>
    private sealed class BatchCustomerState
    {
        public Dictionary<(Guid Customer, string Channel), ActivityDelta> Activity { get; } = [];

        /// <summary>Keyword and channel-event choices, in arrival order; the store keeps the newest by time.</summary>
        public List<(Guid Workspace, Guid Customer, string Channel, ConsentChange Change, DateTimeOffset At)> Consents { get; } = [];

        /// <summary>Identities that wrote in this batch: the connection they wrote through, and when they last took a turn.</summary>
        public Dictionary<(Guid Workspace, ChannelIdentity Identity), (BatchCustomer Customer, Guid? ConnectionId, DateTimeOffset? TurnAt)> Identities { get; } = [];

        public void Stored(InboundMessageReceived inbound, BatchCustomer customer)
        {
            var key = (customer.Id, inbound.Channel);
            if (!Activity.TryGetValue(key, out var delta)) Activity[key] = delta = new ActivityDelta(inbound.WorkspaceId, customer.Id, inbound.Channel);
            delta.Arrived(inbound);
            var turn = InboundTimeline.IsCustomerTurn(inbound);

            if (ConsentKeywords.ChangeFrom(inbound) is { } change) Consents.Add((inbound.WorkspaceId, customer.Id, inbound.Channel, change, inbound.ReceivedAt));

            if (inbound.SentByBusiness) return;
            var identity = (inbound.WorkspaceId, new ChannelIdentity(inbound.Channel, inbound.CustomerIdentity));
            Identities.TryGetValue(identity, out var seen);
            var turnAt = turn && (seen.TurnAt is null || inbound.ReceivedAt > seen.TurnAt) ? inbound.ReceivedAt : seen.TurnAt;
            Identities[identity] = (customer, seen.ConnectionId ?? inbound.ConnectionId, turnAt);
        }
    }

    /// <summary>
    /// The batch's effect on the customers it touched, in its transaction: behaviour, keyword and channel-event consent, the
    /// connection a new identity came through, and an unreachable identity that wrote again. Only the behaviour is written on
    /// every batch; the rest only when something changes.
    /// </summary>
    private async Task WriteBatchCustomerStateAsync(SqliteConnection connection, SqliteTransaction transaction, BatchCustomerState state, CancellationToken ct)
    {
        if (state.Activity.Count > 0) await WriteBehaviourAsync(connection, transaction, state.Activity.Values, ct);
        foreach (var (workspace, customer, channel, change, at) in state.Consents)
            await WriteConsentAsync(connection, transaction, workspace, customer, channel, change, at, ct);
        foreach (var ((workspace, identity), (customer, connectionId, turnAt)) in state.Identities)
        {
            if (customer.IdentityConnectionId is null && connectionId is not null)
            {
                // Primary key of customer_identities; only the first connection is kept.
                await ExecuteAsync(connection, transaction, """
                    UPDATE customer_identities SET connection_id = $connection
                    WHERE workspace_id = $workspace AND channel = $channel AND value = $value AND connection_id IS NULL
                    """, ct,
                    ("$connection", connectionId.ToString()), ("$workspace", workspace.ToString()), ("$channel", identity.Channel), ("$value", identity.Value));
            }
            if (customer.UnreachableAt is { } unreachableAt && turnAt > unreachableAt)
                await SetReachableAsync(connection, transaction, workspace, identity, null, turnAt.Value, ct);
        }
    }

    /// <summary>A reply stored in the outbox counts as outbound, in the same transaction.</summary>
    private Task WriteReplyBehaviourAsync(SqliteConnection connection, SqliteTransaction transaction, TimelineMessage reply, CancellationToken ct)
        => WriteBehaviourAsync(connection, transaction, [ActivityDelta.ForReply(reply)], ct);
}
