using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Conversations;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, so agents' reads never wait for the writer.
/// Every write in this process goes through one long-lived writer connection, one transaction at a time
/// (<see cref="WriteAsync{T}"/>): writers in one process never fight over SQLite's lock, and a batch of
/// messages costs one commit (one fsync). Reads open their own pooled connections. Other processes may
/// share the file (tests do): <c>busy_timeout</c> makes them wait their turn inside SQLite instead of failing.
/// Times are stored as UTC ticks to keep ordering exact.
/// </summary>
public sealed partial class SqliteInboxStore(string connectionString) : IInboxStore, ILabelStore, ICannedReplyStore, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How long a write waits for another process's write before failing (and being retried by the bus).</summary>
    private const int BusyTimeoutMilliseconds = 10_000;

    private const string MessageColumns =
        "id, conversation_id, customer_id, channel, direction, channel_message_id, text, media_json, location_json, button_json, raw_json, status, error_code, agent, created_at, status_updated_at, business_identity, resend_of, workspace_id, activity_json, mentions_json, extras_json";

    private const string ConversationColumns =
        "id, customer_id, channel, customer_identity, customer_name, status, assigned_agent, created_at, last_message_at, last_message_preview, business_identity, workspace_id, connection_id, priority, snoozed_until, waiting_since, labels_json, team_id, assigned_at, queued_at, returned_from";

    // Unique index ux_conversations_thread: one conversation per customer, channel and business address, whatever its
    // status (a customer's message opens it again); conversations keep '' when no business address is known.
    private const string OpenConversationQuery =
        $"SELECT {ConversationColumns} FROM conversations WHERE customer_id = $customer AND channel = $channel AND business_identity = $business";

    private const string InsertMessageSql = $"""
        INSERT INTO messages ({MessageColumns}, status_rank)
        VALUES ($id, $conversation, $customer, $channel, $direction, $channelMessageId, $text, $media, $location, $button, $raw,
                $status, $errorCode, $agent, $created, $statusUpdated, $business, $resendOf, $workspace, $activity, $mentions, $extras, $rank)
        ON CONFLICT DO NOTHING
        """;

    private readonly SemaphoreSlim writerGate = new(1, 1);
    private readonly Dictionary<string, SqliteCommand> writerCommands = [];
    private SqliteConnection? writer;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await WithWriterAsync(async connection =>
        {
            await ExecuteAsync(connection, null, """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS customers (
                    id TEXT PRIMARY KEY,
                    display_name TEXT,
                    created_at INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS customer_identities (
                    workspace_id TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    value TEXT NOT NULL,
                    customer_id TEXT NOT NULL REFERENCES customers(id),
                    PRIMARY KEY (workspace_id, channel, value));
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
                    last_message_preview TEXT,
                    business_identity TEXT NOT NULL DEFAULT '');
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
                    status_updated_at INTEGER NOT NULL,
                    business_identity TEXT);
                """, ct);

            // Files made by earlier versions gain the columns added since: business addresses (old rows read as "not
            // recorded"), workspaces (old rows in the empty one), the channel connection, and the conversation lifecycle.
            await AddMissingColumnsAsync(connection, "conversations",
            [
                ("business_identity", "TEXT NOT NULL DEFAULT ''"), ("workspace_id", $"TEXT NOT NULL DEFAULT '{Guid.Empty}'"), ("connection_id", "TEXT"),
                ("priority", "TEXT NOT NULL DEFAULT 'none'"), ("snoozed_until", "INTEGER"), ("waiting_since", "INTEGER"),
                ("labels_json", "TEXT NOT NULL DEFAULT '[]'"), ("team_id", "TEXT"), ("assigned_at", "INTEGER"), ("queued_at", "INTEGER"),
                ("returned_from", "TEXT"),
            ], ct);
            await AddMissingColumnsAsync(connection, "messages",
                [("business_identity", "TEXT"), ("workspace_id", $"TEXT NOT NULL DEFAULT '{Guid.Empty}'"), ("activity_json", "TEXT"), ("mentions_json", "TEXT"),
                 ("extras_json", "TEXT")], ct);
            await AddMissingColumnsAsync(connection, "customers", [("workspace_id", $"TEXT NOT NULL DEFAULT '{Guid.Empty}'")], ct);
            await MakeIdentitiesPerWorkspaceAsync(connection, ct);

            await ExecuteAsync(connection, null, """
                -- One conversation per customer, channel and business address, whatever its status: a customer's message
                -- opens it again (replaces the earlier indexes, which allowed one *open* conversation each).
                DROP INDEX IF EXISTS ux_conversations_one_open;
                DROP INDEX IF EXISTS ux_conversations_one_open_per_business;
                CREATE UNIQUE INDEX IF NOT EXISTS ux_conversations_thread ON conversations(customer_id, channel, business_identity);
                -- Snoozed conversations whose time has come.
                CREATE INDEX IF NOT EXISTS ix_conversations_snoozed ON conversations(snoozed_until) WHERE status = 'snoozed';
                -- A workspace's list by status, newest activity first; and its waiting customers, longest first.
                CREATE INDEX IF NOT EXISTS ix_conversations_workspace_status_activity ON conversations(workspace_id, status, last_message_at, id);
                CREATE INDEX IF NOT EXISTS ix_conversations_workspace_waiting ON conversations(workspace_id, waiting_since, id) WHERE waiting_since IS NOT NULL;
                -- A new profile name is copied to all of the customer's conversations.
                CREATE INDEX IF NOT EXISTS ix_conversations_customer ON conversations(customer_id);
                -- Keyset pages of the list compare (last_message_at, id) as one row value, so both sort the same way.
                DROP INDEX IF EXISTS ix_conversations_activity;
                DROP INDEX IF EXISTS ix_conversations_activity_keyset;
                CREATE INDEX IF NOT EXISTS ix_conversations_workspace_activity ON conversations(workspace_id, last_message_at, id);
                -- assigned_agent holds the assignee's id. "Mine" and "unassigned" lists, and a team's list, newest activity first.
                CREATE INDEX IF NOT EXISTS ix_conversations_workspace_assignee_activity ON conversations(workspace_id, assigned_agent, last_message_at, id);
                CREATE INDEX IF NOT EXISTS ix_conversations_workspace_team_activity ON conversations(workspace_id, team_id, last_message_at, id);
                -- The queue, longest queued first; and each agent's open conversations (capacity is counted on every assignment).
                CREATE INDEX IF NOT EXISTS ix_conversations_queue ON conversations(workspace_id, queued_at, id) WHERE queued_at IS NOT NULL;
                CREATE INDEX IF NOT EXISTS ix_conversations_open_assignee ON conversations(workspace_id, assigned_agent) WHERE status = 'open';
                CREATE UNIQUE INDEX IF NOT EXISTS ux_messages_channel_message_id ON messages(channel, channel_message_id);
                CREATE INDEX IF NOT EXISTS ix_messages_timeline ON messages(conversation_id, created_at, id);
                """, ct);
            await InitializeRepliesAsync(connection, ct);
            await InitializeLabelsAsync(connection, ct);
            await InitializeCannedRepliesAsync(connection, ct);
            await InitializeReadsAsync(connection, ct);
            await InitializeTeamsAsync(connection, ct);
            await InitializeAssignmentAsync(connection, ct);
            await InitializeSearchAsync(connection, ct);
            await InitializeProfilesAsync(connection, ct);
            await InitializeBehaviourAsync(connection, ct);
            await InitializeAttributesAsync(connection, ct);
            await InitializeSegmentsAsync(connection, ct);
            await InitializeMergeAsync(connection, ct);
            await InitializeCustomerImportsAsync(connection, ct);
            return true;
        }, ct);
    }

    public async Task<Customer> ResolveCustomerAsync(Guid workspaceId, ChannelIdentity identity, string? displayName, DateTimeOffset now, CancellationToken ct = default)
    {
        // Most messages come from known customers whose name has not changed: that needs no write at all.
        await using (var reader = await OpenAsync(ct))
        {
            var known = await FindCustomerIdAsync(reader, null, workspaceId, identity, ct);
            if (known is { } knownId && await GetCustomerAsync(reader, null, knownId, ct) is { } existing
                && (string.IsNullOrEmpty(displayName) || existing.DisplayName == displayName))
                return existing;
        }

        return await WriteAsync(async (connection, transaction) =>
        {
            var id = await FindCustomerIdAsync(connection, transaction, workspaceId, identity, ct);
            if (id is null)
            {
                id = Guid.NewGuid();
                await InsertCustomerAsync(connection, transaction, id.Value, workspaceId, identity, displayName, now, ct);
            }
            else if (!string.IsNullOrEmpty(displayName))
            {
                await RenameCustomerAsync(connection, transaction, id.Value, displayName, now, ct);
            }
            return (await GetCustomerAsync(connection, transaction, id.Value, ct))!;
        }, ct);
    }

    public async Task<Customer?> GetCustomerAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await GetCustomerAsync(connection, null, id, ct);
    }

    private static async Task<Guid?> FindCustomerIdAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid workspaceId,
        ChannelIdentity identity, CancellationToken ct)
    {
        // Primary key of customer_identities.
        var id = await ScalarAsync<string>(connection, transaction,
            "SELECT customer_id FROM customer_identities WHERE workspace_id = $workspace AND channel = $channel AND value = $value", ct,
            ("$workspace", workspaceId.ToString()), ("$channel", identity.Channel), ("$value", identity.Value));
        return id is null ? null : Guid.Parse(id);
    }

    private static async Task InsertCustomerAsync(SqliteConnection connection, SqliteTransaction transaction, Guid id, Guid workspaceId,
        ChannelIdentity identity, string? displayName, DateTimeOffset now, CancellationToken ct)
    {
        await ExecuteAsync(connection, transaction,
            "INSERT INTO customers (id, display_name, created_at, workspace_id) VALUES ($id, $name, $created, $workspace)", ct,
            ("$id", id.ToString()), ("$name", string.IsNullOrEmpty(displayName) ? null : displayName), ("$created", now.UtcTicks), ("$workspace", workspaceId.ToString()));
        await ExecuteAsync(connection, transaction,
            "INSERT INTO customer_identities (workspace_id, channel, value, customer_id) VALUES ($workspace, $channel, $value, $id)", ct,
            ("$workspace", workspaceId.ToString()), ("$channel", identity.Channel), ("$value", identity.Value), ("$id", id.ToString()));
        await InsertIdentityMatchKeysAsync(connection, transaction, workspaceId, id, identity, ct);
    }

    /// <summary>
    /// Customers change their profile name; the newest one is what agents expect to see, on the customer and
    /// on each of their conversations. Rows that already carry it are not rewritten. It is a profile change like an
    /// agent's: a new version (an agent's edit made before it is stale) and an audit entry by nobody (the channel).
    /// </summary>
    private static async Task RenameCustomerAsync(SqliteConnection connection, SqliteTransaction transaction, Guid id, string displayName,
        DateTimeOffset now, CancellationToken ct)
    {
        string? before = null;
        var workspace = Guid.Empty;
        await using (var command = Command(connection, transaction, "SELECT display_name, workspace_id FROM customers WHERE id = $id", ("$id", id.ToString())))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return;
            before = reader.IsDBNull(0) ? null : reader.GetString(0);
            workspace = WorkspaceOf(reader, 1);
        }
        if (before == displayName) return;
        var version = await ScalarAsync<long>(connection, transaction,
            "UPDATE customers SET display_name = $name, version = version + 1 WHERE id = $id RETURNING version", ct,
            ("$id", id.ToString()), ("$name", displayName));
        await InsertProfileChangeAsync(connection, transaction, workspace, id, version, "name", before, displayName, null, now, ct);
        // ix_conversations_customer
        await ExecuteAsync(connection, transaction,
            "UPDATE conversations SET customer_name = $name WHERE customer_id = $id AND customer_name IS NOT $name", ct,
            ("$id", id.ToString()), ("$name", displayName));
        await ReindexCustomerConversationsAsync(connection, transaction, id, ct);
    }

    private static async Task<Customer?> GetCustomerAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid id, CancellationToken ct)
    {
        string? name = null;
        DateTimeOffset createdAt = default;
        var workspaceId = Guid.Empty;
        var found = false;
        await using (var command = Command(connection, transaction, "SELECT display_name, created_at, workspace_id FROM customers WHERE id = $id", ("$id", id.ToString())))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                found = true;
                name = reader.IsDBNull(0) ? null : reader.GetString(0);
                createdAt = FromTicks(reader.GetInt64(1));
                workspaceId = WorkspaceOf(reader, 2);
            }
        }
        if (!found) return null;

        var identities = new List<ChannelIdentity>();
        await using (var command = Command(connection, transaction, "SELECT channel, value FROM customer_identities WHERE customer_id = $id ORDER BY channel, value", ("$id", id.ToString())))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) identities.Add(new ChannelIdentity(reader.GetString(0), reader.GetString(1)));
        }
        return new Customer(id, name, identities, createdAt) { WorkspaceId = workspaceId };
    }

    public async Task<Conversation> OpenConversationAsync(Customer customer, ChannelIdentity identity, string? businessIdentity, DateTimeOffset now, CancellationToken ct = default)
    {
        // An existing conversation is found without touching the writer.
        await using (var reader = await OpenAsync(ct))
        {
            var found = await QueryConversationsAsync(reader, null, OpenConversationQuery, ct,
                ("$customer", customer.Id.ToString()), ("$channel", identity.Channel), ("$business", businessIdentity ?? ""));
            if (found.Count > 0) return found[0];
        }

        return await WriteAsync(async (connection, transaction) =>
        {
            var open = await QueryConversationsAsync(connection, transaction, OpenConversationQuery, ct,
                ("$customer", customer.Id.ToString()), ("$channel", identity.Channel), ("$business", businessIdentity ?? ""));
            if (open.Count > 0) return open[0];

            var conversation = ConversationLifecycle.Queue(new Conversation(Guid.NewGuid(), customer.Id, identity.Channel, identity.Value, customer.DisplayName,
                ConversationStatuses.Open, null, now, now, null) { BusinessIdentity = businessIdentity, WorkspaceId = customer.WorkspaceId }, now);
            await InsertConversationAsync(connection, transaction, conversation, ct);
            return conversation;
        }, ct);
    }

    /// <summary>Adds the columns <paramref name="table"/> lacks (a file made by an earlier version).</summary>
    private static async Task AddMissingColumnsAsync(SqliteConnection connection, string table, IReadOnlyList<(string Name, string Definition)> columns,
        CancellationToken ct)
    {
        var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using (var command = Command(connection, null, $"SELECT name FROM pragma_table_info('{table}')"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) existing.Add(reader.GetString(0));
        }
        foreach (var (name, definition) in columns.Where(c => !existing.Contains(c.Name)))
        {
            try
            {
                await ExecuteAsync(connection, null, $"ALTER TABLE {table} ADD COLUMN {name} {definition}", ct);
            }
            catch (SqliteException e) when (e.Message.Contains("duplicate column", StringComparison.OrdinalIgnoreCase))
            {
                // Another process sharing the file added it first.
            }
        }
    }

    /// <summary>
    /// Customer identities are unique per workspace, not per file: a file from before workspaces gets the new key,
    /// its identities in the empty workspace (<see cref="Guid.Empty"/>), as its customers.
    /// </summary>
    private static async Task MakeIdentitiesPerWorkspaceAsync(SqliteConnection connection, CancellationToken ct)
    {
        if (await ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM pragma_table_info('customer_identities') WHERE name = 'workspace_id'", ct) == 0)
        {
            // The primary key changes, which SQLite can only do by copying the table.
            await ExecuteAsync(connection, null, """
                BEGIN IMMEDIATE;
                ALTER TABLE customer_identities RENAME TO customer_identities_before_workspaces;
                DROP INDEX IF EXISTS ix_customer_identities_customer;
                CREATE TABLE customer_identities (
                    workspace_id TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    value TEXT NOT NULL,
                    customer_id TEXT NOT NULL REFERENCES customers(id),
                    PRIMARY KEY (workspace_id, channel, value));
                INSERT INTO customer_identities (workspace_id, channel, value, customer_id)
                    SELECT '00000000-0000-0000-0000-000000000000', channel, value, customer_id FROM customer_identities_before_workspaces;
                DROP TABLE customer_identities_before_workspaces;
                CREATE INDEX IF NOT EXISTS ix_customer_identities_customer ON customer_identities(customer_id);
                COMMIT;
                """, ct);
        }
    }

    private static async Task<int> InsertConversationAsync(SqliteConnection connection, SqliteTransaction transaction, Conversation conversation, CancellationToken ct)
    {
        var inserted = await InsertConversationRowAsync(connection, transaction, conversation, ct);
        if (inserted > 0) await IndexInsertedConversationAsync(connection, transaction, conversation, ct);
        return inserted;
    }

    private static Task<int> InsertConversationRowAsync(SqliteConnection connection, SqliteTransaction transaction, Conversation conversation, CancellationToken ct)
        => ExecuteAsync(connection, transaction, $"""
            INSERT INTO conversations ({ConversationColumns})
            VALUES ($id, $customer, $channel, $identity, $name, $status, NULL, $created, $last, $preview, $business, $workspace, $connection,
                    $priority, $snoozedUntil, $waitingSince, $labels, $team, NULL, $queued, NULL)
            """, ct,
            ("$id", conversation.Id.ToString()), ("$customer", conversation.CustomerId.ToString()), ("$channel", conversation.Channel),
            ("$identity", conversation.CustomerIdentity), ("$name", conversation.CustomerName), ("$status", conversation.Status),
            ("$created", conversation.CreatedAt.UtcTicks), ("$last", conversation.LastMessageAt.UtcTicks),
            ("$preview", conversation.LastMessagePreview), ("$business", conversation.BusinessIdentity ?? ""),
            ("$workspace", conversation.WorkspaceId.ToString()), ("$connection", conversation.ConnectionId?.ToString()),
            ("$priority", conversation.Priority), ("$snoozedUntil", conversation.SnoozedUntil?.UtcTicks),
            ("$waitingSince", conversation.WaitingSince?.UtcTicks), ("$labels", JsonSerializer.Serialize(conversation.Labels, Json)),
            ("$team", conversation.TeamId?.ToString()), ("$queued", conversation.QueuedAt?.UtcTicks));

    public async Task<Conversation?> GetConversationAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var found = await QueryConversationsAsync(connection, null,
            $"SELECT {ConversationColumns} FROM conversations WHERE id = $id", ct, ("$id", id.ToString()));
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<IReadOnlyList<Conversation>> ListConversationsAsync(Guid workspaceId, PageCursor? after, int take, ConversationListFilter? filter = null,
        CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        if (filter is not null && filter != new ConversationListFilter()) return await ListFilteredAsync(connection, workspaceId, after, take, filter, ct);
        return after is not { } cursor
            ? await QueryConversationsAsync(connection, null, FirstConversationPageSql, ct, ("$workspace", workspaceId.ToString()), ("$take", take))
            : await QueryConversationsAsync(connection, null, NextConversationPageSql, ct,
                ("$workspace", workspaceId.ToString()), ("$at", cursor.At.UtcTicks), ("$id", cursor.Id.ToString()), ("$take", take));
    }

    // Both read ix_conversations_workspace_activity backwards from the workspace's newest or from the cursor (a
    // seek): no sort, no offset scan, nothing of another workspace read. A test pins the query plans.
    internal const string FirstConversationPageSql =
        $"SELECT {ConversationColumns} FROM conversations WHERE workspace_id = $workspace AND {NotMerged} ORDER BY last_message_at DESC, id DESC LIMIT $take";

    internal const string NextConversationPageSql = $"""
        SELECT {ConversationColumns} FROM conversations WHERE workspace_id = $workspace AND (last_message_at, id) < ($at, $id) AND {NotMerged}
        ORDER BY last_message_at DESC, id DESC LIMIT $take
        """;

    // Threads emptied by a customer merge are kept but listed nowhere (few: the filter skips them on the way).
    private const string NotMerged = $"status <> '{ConversationStatuses.Merged}'";

    /// <summary>
    /// A filtered page. By status it seeks ix_conversations_workspace_status_activity, by assignee (or none)
    /// ix_conversations_workspace_assignee_activity, by team ix_conversations_workspace_team_activity; the longest-waiting
    /// order reads ix_conversations_workspace_waiting, the queue ix_conversations_queue; other filters narrow what those return.
    /// </summary>
    private static Task<List<Conversation>> ListFilteredAsync(SqliteConnection connection, Guid workspaceId, PageCursor? after, int take,
        ConversationListFilter filter, CancellationToken ct)
    {
        var waiting = filter.Sort == ConversationSorts.LongestWaiting;
        var queue = filter.Sort == ConversationSorts.Queue;
        var where = new List<string> { "workspace_id = $workspace" };
        if (filter.AssigneeId is not null) where.Add("assigned_agent = $assignee");
        if (filter.Unassigned) where.Add("assigned_agent IS NULL");
        if (filter.TeamId is not null) where.Add("team_id = $team");
        // ix_conversations_customer: a customer has a handful, one per channel and business number.
        if (filter.CustomerId is not null) where.Add("customer_id = $customer");
        if (filter.Status is not null) where.Add("status = $status");
        else where.Add(NotMerged);
        if (filter.Priority is not null) where.Add("priority = $priority");
        if (filter.ConnectionId is not null) where.Add("connection_id = $connection");
        // ix_conversation_labels_label
        if (filter.LabelId is not null) where.Add("id IN (SELECT conversation_id FROM conversation_labels WHERE label_id = $label)");
        if (waiting) where.Add("waiting_since IS NOT NULL");
        if (queue) where.Add("queued_at IS NOT NULL");
        if (after is not null)
            where.Add(waiting ? "(waiting_since, id) > ($at, $id)" : queue ? "(queued_at, id) > ($at, $id)" : "(last_message_at, id) < ($at, $id)");
        var order = waiting ? "waiting_since, id" : queue ? "queued_at, id" : "last_message_at DESC, id DESC";
        return QueryConversationsAsync(connection, null,
            $"SELECT {ConversationColumns} FROM conversations WHERE {string.Join(" AND ", where)} ORDER BY {order} LIMIT $take", ct,
            ("$workspace", workspaceId.ToString()), ("$status", filter.Status), ("$priority", filter.Priority),
            ("$connection", filter.ConnectionId?.ToString()), ("$label", filter.LabelId?.ToString()), ("$assignee", filter.AssigneeId?.ToString()),
            ("$team", filter.TeamId?.ToString()), ("$customer", filter.CustomerId?.ToString()), ("$at", after?.At.UtcTicks), ("$id", after?.Id.ToString()), ("$take", take));
    }

    public async Task<bool> AppendMessageAsync(TimelineMessage message, CancellationToken ct = default)
        => await WriteAsync(async (connection, transaction) =>
        {
            if (await InsertMessageAsync(connection, transaction, message, ct) == 0) return false;
            if (Directions.IsConversation(message.Direction)) await MoveLastActivityAsync(connection, transaction, message, ct);
            return true;
        }, ct);

    /// <summary>Makes <paramref name="message"/> its conversation's last activity, unless a newer one already is.</summary>
    private Task<int> MoveLastActivityAsync(SqliteConnection connection, SqliteTransaction transaction, TimelineMessage message, CancellationToken ct)
    {
        // A late-arriving older message must not replace the preview of a newer one.
        var update = Reused(connection, transaction, """
            UPDATE conversations SET last_message_at = $at, last_message_preview = $preview
            WHERE id = $id AND last_message_at <= $at
            """);
        SetParameters(update, ("$id", message.ConversationId.ToString()), ("$at", message.CreatedAt.UtcTicks), ("$preview", message.Preview));
        return update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Inserts the message (nothing when its channel message id is stored) and indexes its text for search, both with
    /// statements the writer keeps parsed: this runs for every message of every batch.
    /// </summary>
    private async Task<int> InsertMessageAsync(SqliteConnection connection, SqliteTransaction transaction, TimelineMessage message, CancellationToken ct)
    {
        var inserted = await InsertMessageRowAsync(Reused(connection, transaction, InsertMessageSql), message, ct);
        if (inserted > 0) await IndexInsertedMessageAsync(connection, transaction, message, ct);
        return inserted;
    }

    private static Task<int> InsertMessageRowAsync(SqliteCommand insert, TimelineMessage message, CancellationToken ct)
    {
        SetParameters(insert,
            ("$id", message.Id.ToString()), ("$conversation", message.ConversationId.ToString()),
            ("$customer", message.CustomerId.ToString()), ("$channel", message.Channel), ("$direction", message.Direction),
            ("$channelMessageId", message.ChannelMessageId), ("$text", message.Text),
            ("$media", JsonSerializer.Serialize(message.Media, Json)),
            ("$location", message.Location is null ? null : JsonSerializer.Serialize(message.Location, Json)),
            ("$button", message.Button is null ? null : JsonSerializer.Serialize(message.Button, Json)),
            ("$raw", JsonSerializer.Serialize(message.RawFields, Json)),
            ("$status", message.Status), ("$errorCode", message.ErrorCode), ("$agent", message.Agent),
            ("$created", message.CreatedAt.UtcTicks), ("$statusUpdated", message.StatusUpdatedAt.UtcTicks),
            ("$business", message.BusinessIdentity), ("$resendOf", message.ResendOf?.ToString()), ("$workspace", message.WorkspaceId.ToString()),
            ("$activity", message.Activity is null ? null : JsonSerializer.Serialize(message.Activity, Json)),
            ("$mentions", message.Mentions.Count == 0 ? null : JsonSerializer.Serialize(message.Mentions, Json)),
            ("$extras", ExtrasJson(message)),
            ("$rank", MessageStatuses.Rank(message.Status)));
        return insert.ExecuteNonQueryAsync(ct);
    }

    public async Task<TimelineMessage?> GetMessageAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await GetMessageAsync(connection, null, id, ct);
    }

    private static Task<TimelineMessage?> GetMessageAsync(SqliteConnection connection, Guid id, CancellationToken ct)
        => GetMessageAsync(connection, null, id, ct);

    private static async Task<TimelineMessage?> GetMessageAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid id, CancellationToken ct)
    {
        var found = await QueryMessagesAsync(connection, transaction, $"SELECT {MessageColumns} FROM messages WHERE id = $id", ct, ("$id", id.ToString()));
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<TimelineMessage?> FindMessageByChannelIdAsync(string channel, string channelMessageId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var found = await QueryMessagesAsync(connection, null,
            $"SELECT {MessageColumns} FROM messages WHERE channel = $channel AND channel_message_id = $channelMessageId", ct,
            ("$channel", channel), ("$channelMessageId", channelMessageId));
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<IReadOnlyList<TimelineMessage>> ListMessagesAsync(Guid conversationId, PageCursor? before, int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var newestFirst = before is not { } cursor
            ? await QueryMessagesAsync(connection, null, NewestTimelinePageSql, ct, ("$conversation", conversationId.ToString()), ("$take", take))
            : await QueryMessagesAsync(connection, null, OlderTimelinePageSql, ct,
                ("$conversation", conversationId.ToString()), ("$at", cursor.At.UtcTicks), ("$id", cursor.Id.ToString()), ("$take", take));
        newestFirst.Reverse();
        return newestFirst;
    }

    // Both are a seek on ix_messages_timeline (conversation_id, created_at, id), read backwards from the end or
    // from the cursor: as fast deep in a long timeline as at its end, and no anchor message to look up.
    // A test pins the query plans.
    internal const string NewestTimelinePageSql = $"""
        SELECT {MessageColumns} FROM messages WHERE conversation_id = $conversation
        ORDER BY created_at DESC, id DESC LIMIT $take
        """;

    internal const string OlderTimelinePageSql = $"""
        SELECT {MessageColumns} FROM messages WHERE conversation_id = $conversation AND (created_at, id) < ($at, $id)
        ORDER BY created_at DESC, id DESC LIMIT $take
        """;

    public Task<TimelineMessage?> ApplyStatusAsync(Guid messageId, string status, string? errorCode, string? channelMessageId, DateTimeOffset at, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
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
            return changed == 0 ? null : await GetMessageAsync(connection, transaction, messageId, ct);
        }, ct);

    /// <summary>The writer's page cache: the hot index pages stay in memory, and memory stays far from the 400 MB budget.</summary>
    private const int WriterCacheKilobytes = 32 * 1024;

    /// <summary>Log pages between checkpoints: 64 MB of 4 KB pages, which the page cache mostly still holds.</summary>
    private const int WalCheckpointPages = 16_384;

    /// <summary>
    /// Runs <paramref name="write"/> in one transaction on the writer connection, committing when it returns.
    /// The only way this store writes: one writer per process, so writes queue here instead of on SQLite's lock.
    /// Not reentrant: <paramref name="write"/> must use the connection and transaction it is given, never call
    /// another write of this store (that would wait for itself). Commands for statements that run per message
    /// can come from <see cref="Reused"/>.
    /// </summary>
    private Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken ct)
        => WithWriterAsync(async connection =>
        {
            // BEGIN IMMEDIATE: take the file's write lock up front, so a write that read first never has to
            // upgrade its lock and fail against another process.
            var transaction = connection.BeginTransaction(deferred: false);
            try
            {
                var result = await write(connection, transaction);
                await transaction.CommitAsync(CancellationToken.None);
                return result;
            }
            catch
            {
                try
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                }
                catch (Exception rollbackFailure) when (rollbackFailure is SqliteException or InvalidOperationException)
                {
                    // SQLite may already have rolled back (or the commit half happened): start the next write
                    // on a fresh connection rather than on one in an unknown state.
                    CloseWriter();
                }
                throw;
            }
            finally
            {
                transaction.Dispose();
            }
        }, ct);

    /// <summary>Gives <paramref name="work"/> the writer connection, alone; opens it the first time.</summary>
    private async Task<T> WithWriterAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        await writerGate.WaitAsync(ct);
        try
        {
            if (writer is null)
            {
                writer = await OpenAsync(ct);
                // FULL: a committed batch survives a power cut; with batches that is one fsync per batch.
                await ExecuteAsync(writer, null, "PRAGMA synchronous = FULL", ct);
                // Every inbound message looks up indexes (duplicate check, identity, open conversation): with
                // SQLite's default 2 MB page cache those lookups went to the OS (pread) once the file outgrew it.
                await ExecuteAsync(writer, null, $"PRAGMA cache_size = -{WriterCacheKilobytes}", ct);
                // Checkpoint less often: an index page changed by many batches is copied into the database once
                // per checkpoint, not once per 4 MB of log (the default), which had every page written twice.
                await ExecuteAsync(writer, null, $"PRAGMA wal_autocheckpoint = {WalCheckpointPages}", ct);
            }
            return await work(writer);
        }
        finally
        {
            writerGate.Release();
        }
    }

    /// <summary>
    /// A command kept on the writer connection for statements that run for every message, so SQLite parses
    /// them once per process. Only valid inside <see cref="WithWriterAsync{T}"/>; not to be disposed.
    /// </summary>
    private SqliteCommand Reused(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        if (!ReferenceEquals(connection, writer)) throw new InvalidOperationException("Reused commands belong to the writer connection.");
        if (!writerCommands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            writerCommands[sql] = command;
        }
        command.Transaction = transaction;
        return command;
    }

    private static void SetParameters(SqliteCommand command, params (string Name, object? Value)[] parameters)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
    }

    private void CloseWriter()
    {
        foreach (var command in writerCommands.Values) command.Dispose();
        writerCommands.Clear();
        writer?.Dispose();
        writer = null;
    }

    public void Dispose()
    {
        CloseWriter();
        writerGate.Dispose();
    }

    /// <summary>A connection of its own (pooled), for reads; writes go through <see cref="WriteAsync{T}"/>.</summary>
    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        // Wait inside SQLite for another process's lock rather than in the driver's coarse retry sleep.
        await ExecuteAsync(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}", ct);
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
        while (await reader.ReadAsync(ct)) conversations.Add(ReadConversation(reader));
        return conversations;
    }

    /// <summary>A row of <see cref="ConversationColumns"/>.</summary>
    private static Conversation ReadConversation(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
        NullableString(reader, 4), reader.GetString(5), NullableGuid(reader, 6),
        FromTicks(reader.GetInt64(7)), FromTicks(reader.GetInt64(8)), NullableString(reader, 9))
    {
        BusinessIdentity = reader.GetString(10) is { Length: > 0 } business ? business : null,
        WorkspaceId = WorkspaceOf(reader, 11),
        ConnectionId = NullableGuid(reader, 12),
        Priority = reader.GetString(13),
        SnoozedUntil = reader.IsDBNull(14) ? null : FromTicks(reader.GetInt64(14)),
        WaitingSince = reader.IsDBNull(15) ? null : FromTicks(reader.GetInt64(15)),
        Labels = JsonSerializer.Deserialize<List<Guid>>(reader.GetString(16), Json) ?? [],
        TeamId = NullableGuid(reader, 17),
        AssignedAt = reader.IsDBNull(18) ? null : FromTicks(reader.GetInt64(18)),
        QueuedAt = reader.IsDBNull(19) ? null : FromTicks(reader.GetInt64(19)),
        ReturnedFrom = NullableGuid(reader, 20),
    };

    private static Guid? NullableGuid(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Guid.Parse(reader.GetString(ordinal));

    private static Guid WorkspaceOf(SqliteDataReader reader, int ordinal)
        => Guid.TryParse(reader.GetString(ordinal), out var id) ? id : Guid.Empty;

    private static Task<List<TimelineMessage>> QueryMessagesAsync(SqliteConnection connection, string sql, CancellationToken ct, params (string, object?)[] parameters)
        => QueryMessagesAsync(connection, null, sql, ct, parameters);

    private static async Task<List<TimelineMessage>> QueryMessagesAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
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
                BusinessIdentity = NullableString(reader, 16),
                ResendOf = NullableString(reader, 17) is { } resendOf ? Guid.Parse(resendOf) : null,
                WorkspaceId = WorkspaceOf(reader, 18),
                Activity = NullableString(reader, 19) is { } activity ? JsonSerializer.Deserialize<ActivityEntry>(activity, Json) : null,
                Mentions = NullableString(reader, 20) is { } mentions ? JsonSerializer.Deserialize<List<Guid>>(mentions, Json) ?? [] : [],
            }.WithExtras(NullableString(reader, 21)));
        }
        return messages;
    }

    /// <summary>Event, template, tag and "sent outside Crm": null for the plain messages that are nearly all of them.</summary>
    private static string? ExtrasJson(TimelineMessage message)
        => TimelineExtras.Of(message) is { } extras ? JsonSerializer.Serialize(extras, Json) : null;

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset FromTicks(long ticks) => new(ticks, TimeSpan.Zero);
}
