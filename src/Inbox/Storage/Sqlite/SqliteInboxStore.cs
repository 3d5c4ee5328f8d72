using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, so agents' reads never wait for the writer.
/// Times are stored as UTC ticks to keep ordering exact.
/// </summary>
public sealed partial class SqliteInboxStore(string connectionString) : IInboxStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string MessageColumns =
        "id, conversation_id, customer_id, channel, direction, channel_message_id, text, media_json, location_json, button_json, raw_json, status, error_code, agent, created_at, status_updated_at, resend_of";

    private const string ConversationColumns =
        "id, customer_id, channel, customer_identity, customer_name, status, assigned_agent, created_at, last_message_at, last_message_preview";

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, null, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS customers (
                id TEXT PRIMARY KEY,
                display_name TEXT,
                created_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS customer_identities (
                channel TEXT NOT NULL,
                value TEXT NOT NULL,
                customer_id TEXT NOT NULL REFERENCES customers(id),
                PRIMARY KEY (channel, value));
            CREATE INDEX IF NOT EXISTS ix_customer_identities_customer ON customer_identities(customer_id);
            CREATE TABLE IF NOT EXISTS conversations (
                id TEXT PRIMARY KEY,
                customer_id TEXT NOT NULL REFERENCES customers(id),
                channel TEXT NOT NULL,
                customer_identity TEXT NOT NULL,
                customer_name TEXT,
                status TEXT NOT NULL,
                assigned_agent TEXT,
                created_at INTEGER NOT NULL,
                last_message_at INTEGER NOT NULL,
                last_message_preview TEXT);
            CREATE UNIQUE INDEX IF NOT EXISTS ux_conversations_one_open
                ON conversations(customer_id, channel) WHERE status = 'open';
            CREATE INDEX IF NOT EXISTS ix_conversations_activity ON conversations(last_message_at DESC, id);
            CREATE TABLE IF NOT EXISTS messages (
                id TEXT PRIMARY KEY,
                conversation_id TEXT NOT NULL REFERENCES conversations(id),
                customer_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                direction TEXT NOT NULL,
                channel_message_id TEXT,
                text TEXT,
                media_json TEXT NOT NULL,
                location_json TEXT,
                button_json TEXT,
                raw_json TEXT NOT NULL,
                status TEXT NOT NULL,
                status_rank INTEGER NOT NULL,
                error_code TEXT,
                agent TEXT,
                created_at INTEGER NOT NULL,
                status_updated_at INTEGER NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS ux_messages_channel_message_id ON messages(channel, channel_message_id);
            CREATE INDEX IF NOT EXISTS ix_messages_timeline ON messages(conversation_id, created_at, id);
            """, ct);
        await InitializeRepliesAsync(connection, ct);
    }

    public async Task<Customer> ResolveCustomerAsync(ChannelIdentity identity, string? displayName, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // BEGIN IMMEDIATE: two first messages from one new customer must not create two customers.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var existingId = await ScalarAsync<string>(connection, transaction,
            "SELECT customer_id FROM customer_identities WHERE channel = $channel AND value = $value", ct,
            ("$channel", identity.Channel), ("$value", identity.Value));
        Guid id;
        if (existingId is null)
        {
            id = Guid.NewGuid();
            await ExecuteAsync(connection, transaction,
                "INSERT INTO customers (id, display_name, created_at) VALUES ($id, $name, $created)", ct,
                ("$id", id.ToString()), ("$name", displayName), ("$created", now.UtcTicks));
            await ExecuteAsync(connection, transaction,
                "INSERT INTO customer_identities (channel, value, customer_id) VALUES ($channel, $value, $id)", ct,
                ("$channel", identity.Channel), ("$value", identity.Value), ("$id", id.ToString()));
        }
        else
        {
            id = Guid.Parse(existingId);
            if (!string.IsNullOrEmpty(displayName))
            {
                // Customers change their profile name; the newest one is what agents expect to see.
                await ExecuteAsync(connection, transaction,
                    "UPDATE customers SET display_name = $name WHERE id = $id", ct,
                    ("$id", id.ToString()), ("$name", displayName));
            }
        }
        await transaction.CommitAsync(ct);
        return (await GetCustomerAsync(connection, id, ct))!;
    }

    public async Task<Customer?> GetCustomerAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await GetCustomerAsync(connection, id, ct);
    }

    private static async Task<Customer?> GetCustomerAsync(SqliteConnection connection, Guid id, CancellationToken ct)
    {
        string? name = null;
        DateTimeOffset createdAt = default;
        var found = false;
        await using (var command = Command(connection, null, "SELECT display_name, created_at FROM customers WHERE id = $id", ("$id", id.ToString())))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                found = true;
                name = reader.IsDBNull(0) ? null : reader.GetString(0);
                createdAt = FromTicks(reader.GetInt64(1));
            }
        }
        if (!found) return null;

        var identities = new List<ChannelIdentity>();
        await using (var command = Command(connection, null, "SELECT channel, value FROM customer_identities WHERE customer_id = $id ORDER BY channel, value", ("$id", id.ToString())))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) identities.Add(new ChannelIdentity(reader.GetString(0), reader.GetString(1)));
        }
        return new Customer(id, name, identities, createdAt);
    }

    public async Task<Conversation> OpenConversationAsync(Customer customer, ChannelIdentity identity, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var open = await QueryConversationsAsync(connection, transaction,
            $"SELECT {ConversationColumns} FROM conversations WHERE customer_id = $customer AND channel = $channel AND status = 'open'", ct,
            ("$customer", customer.Id.ToString()), ("$channel", identity.Channel));
        if (open.Count > 0)
        {
            await transaction.CommitAsync(ct);
            return open[0];
        }

        var conversation = new Conversation(Guid.NewGuid(), customer.Id, identity.Channel, identity.Value, customer.DisplayName,
            ConversationStatuses.Open, null, now, now, null);
        await ExecuteAsync(connection, transaction, $"""
            INSERT INTO conversations ({ConversationColumns})
            VALUES ($id, $customer, $channel, $identity, $name, $status, NULL, $created, $created, NULL)
            """, ct,
            ("$id", conversation.Id.ToString()), ("$customer", customer.Id.ToString()), ("$channel", identity.Channel),
            ("$identity", identity.Value), ("$name", customer.DisplayName), ("$status", conversation.Status), ("$created", now.UtcTicks));
        await transaction.CommitAsync(ct);
        return conversation;
    }

    public async Task<Conversation?> GetConversationAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var found = await QueryConversationsAsync(connection, null,
            $"SELECT {ConversationColumns} FROM conversations WHERE id = $id", ct, ("$id", id.ToString()));
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<IReadOnlyList<Conversation>> ListConversationsAsync(int skip, int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryConversationsAsync(connection, null,
            $"SELECT {ConversationColumns} FROM conversations ORDER BY last_message_at DESC, id LIMIT $take OFFSET $skip", ct,
            ("$take", take), ("$skip", skip));
    }

    public async Task<bool> AppendMessageAsync(TimelineMessage message, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var inserted = await ExecuteAsync(connection, transaction, $"""
            INSERT INTO messages ({MessageColumns}, status_rank)
            VALUES ($id, $conversation, $customer, $channel, $direction, $channelMessageId, $text, $media, $location, $button, $raw,
                    $status, $errorCode, $agent, $created, $statusUpdated, $resendOf, $rank)
            ON CONFLICT DO NOTHING
            """, ct,
            ("$id", message.Id.ToString()), ("$conversation", message.ConversationId.ToString()),
            ("$customer", message.CustomerId.ToString()), ("$channel", message.Channel), ("$direction", message.Direction),
            ("$channelMessageId", message.ChannelMessageId), ("$text", message.Text),
            ("$media", JsonSerializer.Serialize(message.Media, Json)),
            ("$location", message.Location is null ? null : JsonSerializer.Serialize(message.Location, Json)),
            ("$button", message.Button is null ? null : JsonSerializer.Serialize(message.Button, Json)),
            ("$raw", JsonSerializer.Serialize(message.RawFields, Json)),
            ("$status", message.Status), ("$errorCode", message.ErrorCode), ("$agent", message.Agent),
            ("$created", message.CreatedAt.UtcTicks), ("$statusUpdated", message.StatusUpdatedAt.UtcTicks),
            ("$resendOf", message.ResendOf?.ToString()), ("$rank", MessageStatuses.Rank(message.Status)));
        if (inserted == 0)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }

        // A late-arriving older message must not replace the preview of a newer one.
        await ExecuteAsync(connection, transaction, """
            UPDATE conversations SET last_message_at = $at, last_message_preview = $preview
            WHERE id = $id AND last_message_at <= $at
            """, ct,
            ("$id", message.ConversationId.ToString()), ("$at", message.CreatedAt.UtcTicks), ("$preview", message.Preview));
        await transaction.CommitAsync(ct);
        return true;
    }

    public async Task<TimelineMessage?> GetMessageAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await GetMessageAsync(connection, id, ct);
    }

    private static async Task<TimelineMessage?> GetMessageAsync(SqliteConnection connection, Guid id, CancellationToken ct)
    {
        var found = await QueryMessagesAsync(connection, $"SELECT {MessageColumns} FROM messages WHERE id = $id", ct, ("$id", id.ToString()));
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<TimelineMessage?> FindMessageByChannelIdAsync(string channel, string channelMessageId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var found = await QueryMessagesAsync(connection,
            $"SELECT {MessageColumns} FROM messages WHERE channel = $channel AND channel_message_id = $channelMessageId", ct,
            ("$channel", channel), ("$channelMessageId", channelMessageId));
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<IReadOnlyList<TimelineMessage>> ListMessagesAsync(Guid conversationId, Guid? before, int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var newestFirst = before is null
            ? await QueryMessagesAsync(connection, $"""
                SELECT {MessageColumns} FROM messages WHERE conversation_id = $conversation
                ORDER BY created_at DESC, id DESC LIMIT $take
                """, ct, ("$conversation", conversationId.ToString()), ("$take", take))
            : await QueryMessagesAsync(connection, $"""
                SELECT {MessageColumns} FROM messages m WHERE m.conversation_id = $conversation
                AND EXISTS (SELECT 1 FROM messages a WHERE a.id = $before AND a.conversation_id = m.conversation_id
                            AND (m.created_at < a.created_at OR (m.created_at = a.created_at AND m.id < a.id)))
                ORDER BY m.created_at DESC, m.id DESC LIMIT $take
                """, ct, ("$conversation", conversationId.ToString()), ("$before", before.Value.ToString()), ("$take", take));
        newestFirst.Reverse();
        return newestFirst;
    }

    public async Task<TimelineMessage?> ApplyStatusAsync(Guid messageId, string status, string? errorCode, string? channelMessageId, DateTimeOffset at, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var changed = 0;
        if (channelMessageId is not null)
        {
            changed += await ExecuteAsync(connection, transaction,
                "UPDATE messages SET channel_message_id = $channelMessageId WHERE id = $id AND channel_message_id IS NULL", ct,
                ("$id", messageId.ToString()), ("$channelMessageId", channelMessageId));
        }
        changed += await ExecuteAsync(connection, transaction, """
            UPDATE messages SET status = $status, status_rank = $rank, error_code = COALESCE($errorCode, error_code), status_updated_at = $at,
                -- An outcome (unknown-outcome or further) takes the reply out of the outbox: never dispatched again.
                dispatch_due_at = CASE WHEN $rank >= $settledRank THEN NULL ELSE dispatch_due_at END,
                dispatch_claim = CASE WHEN $rank >= $settledRank THEN NULL ELSE dispatch_claim END
            WHERE id = $id AND status_rank < $rank
            """, ct,
            ("$id", messageId.ToString()), ("$status", status), ("$rank", MessageStatuses.Rank(status)),
            ("$errorCode", errorCode), ("$at", at.UtcTicks), ("$settledRank", MessageStatuses.Rank(MessageStatuses.UnknownOutcome)));
        await transaction.CommitAsync(ct);
        return changed == 0 ? null : await GetMessageAsync(connection, messageId, ct);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T?> ScalarAsync<T>(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default : (T)value;
    }

    private static async Task<List<Conversation>> QueryConversationsAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var conversations = new List<Conversation>();
        while (await reader.ReadAsync(ct))
        {
            conversations.Add(new Conversation(
                Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                NullableString(reader, 4), reader.GetString(5), NullableString(reader, 6),
                FromTicks(reader.GetInt64(7)), FromTicks(reader.GetInt64(8)), NullableString(reader, 9)));
        }
        return conversations;
    }

    private static async Task<List<TimelineMessage>> QueryMessagesAsync(SqliteConnection connection, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var messages = new List<TimelineMessage>();
        while (await reader.ReadAsync(ct))
        {
            messages.Add(new TimelineMessage(
                Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), Guid.Parse(reader.GetString(2)),
                reader.GetString(3), reader.GetString(4), NullableString(reader, 5), NullableString(reader, 6),
                JsonSerializer.Deserialize<List<MediaAttachment>>(reader.GetString(7), Json) ?? [],
                NullableString(reader, 8) is { } location ? JsonSerializer.Deserialize<SharedLocation>(location, Json) : null,
                NullableString(reader, 9) is { } button ? JsonSerializer.Deserialize<ButtonReply>(button, Json) : null,
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(10), Json) ?? [],
                reader.GetString(11), NullableString(reader, 12), NullableString(reader, 13),
                FromTicks(reader.GetInt64(14)), FromTicks(reader.GetInt64(15)))
            {
                ResendOf = NullableString(reader, 16) is { } resendOf ? Guid.Parse(resendOf) : null,
            });
        }
        return messages;
    }

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset FromTicks(long ticks) => new(ticks, TimeSpan.Zero);
}
