using Crm.Contracts;
using Crm.Inbox.Timelines;
using MassTransit;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// The hot path: a whole batch of inbound messages in one write transaction on the writer, with the
/// per-message statements parsed once per process. Rows that would not change are not written.
/// </summary>
public sealed partial class SqliteInboxStore
{
    public Task<IReadOnlyList<StoredInbound>> AppendInboundBatchAsync(IReadOnlyList<InboundMessageReceived> batch, CancellationToken ct = default)
        => batch.Count == 0
            ? Task.FromResult<IReadOnlyList<StoredInbound>>([])
            : WriteAsync((connection, transaction) => AppendInboundBatchAsync(connection, transaction, batch, ct), ct);

    private async Task<IReadOnlyList<StoredInbound>> AppendInboundBatchAsync(SqliteConnection connection, SqliteTransaction transaction,
        IReadOnlyList<InboundMessageReceived> batch, CancellationToken ct)
    {
        var customers = new Dictionary<(Guid Workspace, ChannelIdentity Identity), BatchCustomer>();
        var conversations = new Dictionary<(Guid Customer, string Channel, string Business), BatchConversation>();
        var inBatch = new HashSet<(string Channel, string ChannelMessageId)>();
        var stored = new List<(TimelineMessage Message, BatchConversation Conversation)>();
        var customerState = new BatchCustomerState();
        var aliases = new HashSet<(Guid Workspace, string Channel, string Value)>();

        foreach (var inbound in batch)
        {
            // Providers retry and the bus redelivers: a message already stored, or earlier in this batch, is skipped
            // before it can touch the customer's name.
            if (!inBatch.Add((inbound.Channel, inbound.ChannelMessageId))) continue;
            if (await IsStoredAsync(connection, transaction, inbound, ct)) continue;

            var identity = new ChannelIdentity(inbound.Channel, inbound.CustomerIdentity);
            if (!customers.TryGetValue((inbound.WorkspaceId, identity), out var customer))
            {
                customer = await FindBatchCustomerAsync(connection, transaction, inbound.WorkspaceId, identity, ct)
                    ?? await FindByAliasAsync(connection, transaction, inbound, identity, ct);
                if (customer is null)
                {
                    customer = new BatchCustomer(Guid.NewGuid(), inbound.CustomerName, inbound.CustomerName);
                    await InsertCustomerAsync(connection, transaction, customer.Id, inbound.WorkspaceId, identity, inbound.CustomerName, inbound.ReceivedAt, ct);
                }
                customers[(inbound.WorkspaceId, identity)] = customer;
            }
            if (!string.IsNullOrEmpty(inbound.CustomerName)) (customer.Name, customer.NamedAt) = (inbound.CustomerName, inbound.ReceivedAt);
            if (inbound.AlsoKnownAs is { Count: > 0 }) await AddAliasesAsync(connection, transaction, inbound, customer, aliases, ct);

            var business = inbound.BusinessIdentity ?? "";
            if (!conversations.TryGetValue((customer.Id, inbound.Channel, business), out var conversation))
            {
                conversation = await FindOpenConversationAsync(connection, transaction, customer, inbound.Channel, business, ct);
                if (conversation is null)
                {
                    conversation = new BatchConversation(customer, InboundTimeline.NewConversation(inbound, customer.Id, customer.Name));
                    await InsertConversationAsync(connection, transaction, conversation.Current, ct);
                }
                conversations[(customer.Id, inbound.Channel, business)] = conversation;
            }
            conversation.AdoptConnection(inbound.ConnectionId);
            var customerTurn = InboundTimeline.IsCustomerTurn(inbound);
            foreach (var reopened in customerTurn ? conversation.CustomerWrote(inbound.ReceivedAt) : [])
            {
                await InsertMessageAsync(connection, transaction, reopened, ct);
                stored.Add((reopened, conversation));
            }

            var message = InboundTimeline.ToTimelineMessage(inbound, TimelineIds.NewMessageId(), conversation.Current.Id, customer.Id) with
            {
                WorkspaceId = inbound.WorkspaceId,
            };
            if (await InsertMessageAsync(connection, transaction, message, ct) == 0) continue;
            customerState.Stored(inbound, customer);
            conversation.MoveActivity(message);
            if (customerTurn) conversation.CustomerWaits(message.CreatedAt);
            else if (inbound.SentByBusiness) conversation.BusinessAnswered(message.CreatedAt);
            stored.Add((message, conversation));
        }

        foreach (var customer in customers.Values.Where(c => c.Name != c.StoredName && !string.IsNullOrEmpty(c.Name)))
        {
            await RenameCustomerAsync(connection, transaction, customer.Id, customer.Name!, customer.NamedAt, ct);
        }
        foreach (var conversation in conversations.Values)
        {
            var name = conversation.Customer.Name;
            if (!string.IsNullOrEmpty(name) && conversation.Current.CustomerName != name)
            {
                conversation.Current = conversation.Current with { CustomerName = name };
                conversation.Changed = true;
            }
            if (conversation.Changed) await UpdateConversationAsync(connection, transaction, conversation.Current, ct);
        }
        await WriteBatchCustomerStateAsync(connection, transaction, customerState, ct);

        return stored.Select(s => new StoredInbound(s.Message, s.Conversation.Current)).ToList();
    }

    private async Task<bool> IsStoredAsync(SqliteConnection connection, SqliteTransaction transaction, InboundMessageReceived inbound, CancellationToken ct)
    {
        // ux_messages_channel_message_id
        var command = Reused(connection, transaction, "SELECT 1 FROM messages WHERE channel = $channel AND channel_message_id = $channelMessageId");
        SetParameters(command, ("$channel", inbound.Channel), ("$channelMessageId", inbound.ChannelMessageId));
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private async Task<BatchCustomer?> FindBatchCustomerAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId,
        ChannelIdentity identity, CancellationToken ct)
    {
        // Primary keys of customer_identities and customers.
        var command = Reused(connection, transaction, """
            SELECT c.id, c.display_name, i.connection_id, i.unreachable_at FROM customer_identities i JOIN customers c ON c.id = i.customer_id
            WHERE i.workspace_id = $workspace AND i.channel = $channel AND i.value = $value
            """);
        SetParameters(command, ("$workspace", workspaceId.ToString()), ("$channel", identity.Channel), ("$value", identity.Value));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var name = NullableString(reader, 1);
        return new BatchCustomer(Guid.Parse(reader.GetString(0)), name, name)
        {
            IdentityConnectionId = NullableGuid(reader, 2),
            UnreachableAt = reader.IsDBNull(3) ? null : FromTicks(reader.GetInt64(3)),
        };
    }

    /// <summary>
    /// A new identity whose message names an alias already known (a WhatsApp number next to the business-scoped id it was
    /// first seen by, a second Official Account's OpenID next to a known UnionID): the customer that alias is on, with the new
    /// identity added to them through the message's connection. Messages without aliases run no statement here.
    /// </summary>
    private async Task<BatchCustomer?> FindByAliasAsync(SqliteConnection connection, SqliteTransaction transaction, InboundMessageReceived inbound,
        ChannelIdentity identity, CancellationToken ct)
    {
        if (inbound.AlsoKnownAs is not { Count: > 0 } aliases) return null;
        foreach (var alias in aliases)
        {
            if (alias.Channel == identity.Channel && alias.Value == identity.Value) continue;
            if (await FindBatchCustomerAsync(connection, transaction, inbound.WorkspaceId, new ChannelIdentity(alias.Channel, alias.Value), ct) is not { } known) continue;
            await InsertIdentityAsync(connection, transaction, inbound.WorkspaceId, known.Id, identity, inbound.ConnectionId, ct);
            // The identity is new: reachable, and it already carries its connection.
            return new BatchCustomer(known.Id, known.StoredName, known.StoredName) { IdentityConnectionId = inbound.ConnectionId };
        }
        return null;
    }

    /// <summary>
    /// The message's aliases not stored yet join its customer (with the connection). One already on another customer is left
    /// where it is: moving it would silently merge two people; an agent merges them. Redelivery inserts nothing twice.
    /// </summary>
    private static async Task AddAliasesAsync(SqliteConnection connection, SqliteTransaction transaction, InboundMessageReceived inbound, BatchCustomer customer,
        HashSet<(Guid, string, string)> done, CancellationToken ct)
    {
        foreach (var alias in inbound.AlsoKnownAs!)
        {
            if (string.IsNullOrEmpty(alias.Value) || !done.Add((inbound.WorkspaceId, alias.Channel, alias.Value))) continue;
            await InsertIdentityAsync(connection, transaction, inbound.WorkspaceId, customer.Id, new ChannelIdentity(alias.Channel, alias.Value), inbound.ConnectionId, ct);
        }
    }

    private static async Task InsertIdentityAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId,
        ChannelIdentity identity, Guid? connectionId, CancellationToken ct)
    {
        // Primary key of customer_identities: an identity already stored (on this customer or another) is not touched.
        var added = await ExecuteAsync(connection, transaction, """
            INSERT INTO customer_identities (workspace_id, channel, value, customer_id, connection_id) VALUES ($workspace, $channel, $value, $customer, $connection)
            ON CONFLICT DO NOTHING
            """, ct,
            ("$workspace", workspaceId.ToString()), ("$channel", identity.Channel), ("$value", identity.Value), ("$customer", customerId.ToString()),
            ("$connection", connectionId?.ToString()));
        if (added > 0) await InsertIdentityMatchKeysAsync(connection, transaction, workspaceId, customerId, identity, ct);
    }

    private async Task<BatchConversation?> FindOpenConversationAsync(SqliteConnection connection, SqliteTransaction transaction,
        BatchCustomer customer, string channel, string business, CancellationToken ct)
    {
        var command = Reused(connection, transaction, OpenConversationQuery);
        SetParameters(command, ("$customer", customer.Id.ToString()), ("$channel", channel), ("$business", business));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new BatchConversation(customer, ReadConversation(reader)) : null;
    }

    private Task<int> UpdateConversationAsync(SqliteConnection connection, SqliteTransaction transaction, Conversation conversation, CancellationToken ct)
    {
        // Primary key. The values were read in this transaction and only moved forward since.
        var command = Reused(connection, transaction, """
            UPDATE conversations SET customer_name = $name, last_message_at = $at, last_message_preview = $preview, connection_id = $connection,
                status = $status, snoozed_until = $until, waiting_since = $waiting, queued_at = $queued
            WHERE id = $id
            """);
        SetParameters(command,
            ("$id", conversation.Id.ToString()), ("$name", conversation.CustomerName), ("$connection", conversation.ConnectionId?.ToString()),
            ("$status", conversation.Status), ("$until", conversation.SnoozedUntil?.UtcTicks), ("$waiting", conversation.WaitingSince?.UtcTicks),
            ("$queued", conversation.QueuedAt?.UtcTicks), ("$at", conversation.LastMessageAt.UtcTicks), ("$preview", conversation.LastMessagePreview));
        return command.ExecuteNonQueryAsync(ct);
    }

    private sealed class BatchCustomer(Guid id, string? name, string? storedName)
    {
        public Guid Id { get; } = id;

        /// <summary>The newest profile name seen so far in the batch (or the stored one).</summary>
        public string? Name { get; set; } = name;

        public string? StoredName { get; } = storedName;

        /// <summary>The connection the identity the batch found the customer by first wrote through, as stored.</summary>
        public Guid? IdentityConnectionId { get; init; }

        /// <summary>Since when that identity is unreachable, as stored; a turn of theirs after it makes it reachable again.</summary>
        public DateTimeOffset? UnreachableAt { get; init; }

        /// <summary>When the customer's message with <see cref="Name"/> arrived: when the rename is audited as made.</summary>
        public DateTimeOffset NamedAt { get; set; }
    }

    private sealed class BatchConversation(BatchCustomer customer, Conversation current)
    {
        public BatchCustomer Customer { get; } = customer;

        public Conversation Current { get; set; } = current;

        public bool Changed { get; set; }

        /// <summary>The customer is waiting for an answer from their first message since the last reply.</summary>
        public void CustomerWaits(DateTimeOffset since)
        {
            if (Current.WaitingSince is { } waiting && waiting <= since) return;
            Current = Current with { WaitingSince = since };
            Changed = true;
        }

        /// <summary>The business answered from outside Crm: the customer no longer waits, unless they wrote again after it.</summary>
        public void BusinessAnswered(DateTimeOffset at)
        {
            if (Current.WaitingSince is not { } waiting || waiting > at) return;
            Current = Current with { WaitingSince = null };
            Changed = true;
        }

        /// <summary>The customer wrote: a pending, snoozed or resolved conversation opens again; returns the activity entries.</summary>
        public IReadOnlyList<TimelineMessage> CustomerWrote(DateTimeOffset at)
        {
            var (after, entries) = ConversationLifecycle.CustomerWrote(Current, at);
            if (entries.Count == 0) return entries;
            Current = after;
            Changed = true;
            return entries;
        }

        /// <summary>A conversation opened before connections were data takes the connection its customer now writes through.</summary>
        public void AdoptConnection(Guid? connectionId)
        {
            if (Current.ConnectionId is not null || connectionId is null) return;
            Current = Current with { ConnectionId = connectionId };
            Changed = true;
        }

        /// <summary>A late-arriving older message must not replace the preview of a newer one; a tie goes to the later arrival.</summary>
        public void MoveActivity(TimelineMessage message)
        {
            if (message.CreatedAt < Current.LastMessageAt) return;
            Current = Current with { LastMessageAt = message.CreatedAt, LastMessagePreview = message.Preview };
            Changed = true;
        }
    }
}
