using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks.Reads;

/// <summary>
/// Fills a Crm SQLite store by direct inserts, much faster than through webhooks: <see cref="Conversations"/>
/// ordinary conversations plus one deep one holding a tenth of all messages (at most 100k), and a small second workspace
/// (<see cref="SmallWorkspace"/>: one message in 1000, spread over the whole file, with its own agent). The tables are
/// created by Crm itself (its store's InitializeAsync, when it starts on the file); the statements below
/// only insert (the search tables too). This is the one place that knows the store's columns: adapt it when the schema changes.
/// </summary>
public sealed class ReadsSeed(string sqlitePath)
{
    public const int Conversations = 1000;
    public const int MaxDeepMessages = 100_000;

    /// <summary>Seeded times start a year back, a second apart, so older pages really are older.</summary>
    private static readonly long FirstTicks = DateTimeOffset.UtcNow.AddDays(-365).UtcTicks;

    private long messages;
    private long deepMessages;

    /// <summary>The workspace the rows go to: the one the benchmark's agent signs in to.</summary>
    public static Guid Workspace { get; } = Guid.Parse("5eed0000-0000-4000-8000-000000000001");

    /// <summary>A workspace with one message in 1000, interleaved with the big one's: searches there must not read the big one's matches.</summary>
    public static Guid SmallWorkspace { get; } = Guid.Parse("5eed0000-0000-4000-8000-000000000002");

    public const string SmallWorkspaceEmail = "small@bench.crm";
    private const int SmallConversations = 10;
    private const int SmallEvery = 1000;

    public static Guid DeepConversationId { get; } = Guid.Parse("00000000-0000-0000-0000-00000000dee9");

    public long Messages => messages;

    public static Guid ConversationId(int index) => Guid.Parse($"00000000-0000-0000-0000-{index.ToString("x12", CultureInfo.InvariantCulture)}");

    /// <summary>Adds messages until the store holds <paramref name="total"/> of them (created on the first call).</summary>
    public void GrowTo(long total)
    {
        using var connection = new SqliteConnection($"Data Source={sqlitePath};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;");
        using var transaction = connection.BeginTransaction();
        if (messages == 0) AddConversations(connection, transaction);

        var deepTarget = Math.Min(MaxDeepMessages, total / 10);
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO messages (id, conversation_id, customer_id, channel, direction, channel_message_id, text, media_json,
                                  location_json, button_json, raw_json, status, status_rank, error_code, agent, created_at, status_updated_at,
                                  workspace_id)
            VALUES ($id, $conversation, $customer, 'whatsapp', 'inbound', $sid, $text, '[]', NULL, NULL, '{}', 'received', 0, NULL, NULL, $at, $at,
                    $workspace)
            """;
        var workspace = insert.Parameters.Add("$workspace", SqliteType.Text);
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var conversation = insert.Parameters.Add("$conversation", SqliteType.Text);
        var customer = insert.Parameters.Add("$customer", SqliteType.Text);
        var sid = insert.Parameters.Add("$sid", SqliteType.Text);
        var text = insert.Parameters.Add("$text", SqliteType.Text);
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        insert.Prepare();
        // Crm indexes each message's text for search in the transaction that inserts it; the seed does the same.
        using var index = connection.CreateCommand();
        index.Transaction = transaction;
        index.CommandText = "INSERT INTO message_search (rowid, text, workspace) VALUES (last_insert_rowid(), $text, $workspace)";
        var indexedText = index.Parameters.Add("$text", SqliteType.Text);
        var indexedWorkspace = index.Parameters.Add("$workspace", SqliteType.Text);
        index.Prepare();

        var lastAt = new Dictionary<Guid, long>();
        for (; messages < total; messages++)
        {
            var deep = deepMessages < deepTarget && messages % 10 == 0 || total - messages <= deepTarget - deepMessages;
            var small = !deep && messages % SmallEvery == SmallEvery - 1;
            var conversationId = deep ? DeepConversationId
                : small ? ConversationId(Conversations + 1 + (int)(messages / SmallEvery % SmallConversations))
                : ConversationId((int)(messages % Conversations));
            if (deep) deepMessages++;
            workspace.Value = (small ? SmallWorkspace : Workspace).ToString();
            var ticks = FirstTicks + messages * TimeSpan.TicksPerSecond;
            id.Value = Guid.NewGuid().ToString();
            conversation.Value = conversationId.ToString();
            customer.Value = conversationId.ToString();
            sid.Value = "SMseed" + messages.ToString("x28", CultureInfo.InvariantCulture);
            text.Value = $"Seeded message {messages.ToString(CultureInfo.InvariantCulture)}: where is my order, and can I change the delivery address?";
            at.Value = ticks;
            insert.ExecuteNonQuery();
            indexedText.Value = text.Value;
            indexedWorkspace.Value = (small ? SmallWorkspace : Workspace).ToString("N");
            index.ExecuteNonQuery();
            lastAt[conversationId] = ticks;
        }

        foreach (var (conversationId, ticks) in lastAt)
        {
            Execute(connection, "UPDATE conversations SET last_message_at = $at, last_message_preview = 'Seeded message' WHERE id = $id",
                transaction, ("$at", ticks), ("$id", conversationId.ToString()));
        }
        transaction.Commit();
    }

    private static void AddConversations(SqliteConnection connection, SqliteTransaction transaction)
    {
        var big = Enumerable.Range(0, Conversations).Select(i => (ConversationId(i), i, Workspace)).Append((DeepConversationId, Conversations, Workspace));
        var small = Enumerable.Range(Conversations + 1, SmallConversations).Select(i => (ConversationId(i), i, SmallWorkspace));
        foreach (var (conversationId, number, workspaceId) in big.Concat(small))
        {
            // One customer per conversation, with the conversation's id, so a message knows both.
            var phone = "+1415" + (5_560_000 + number).ToString(CultureInfo.InvariantCulture);
            var workspace = workspaceId.ToString();
            Execute(connection, "INSERT INTO customers (id, display_name, created_at, workspace_id) VALUES ($id, $name, $at, $workspace)", transaction,
                ("$id", conversationId.ToString()), ("$name", "Seeded " + phone), ("$at", FirstTicks), ("$workspace", workspace));
            Execute(connection, "INSERT INTO customer_identities (workspace_id, channel, value, customer_id) VALUES ($workspace, 'whatsapp', $phone, $id)", transaction,
                ("$phone", phone), ("$id", conversationId.ToString()), ("$workspace", workspace));
            Execute(connection, """
                INSERT INTO conversations (id, customer_id, channel, customer_identity, customer_name, status, assigned_agent, created_at, last_message_at,
                                           last_message_preview, workspace_id)
                VALUES ($id, $id, 'whatsapp', $phone, $name, 'open', NULL, $at, $at, NULL, $workspace)
                """, transaction, ("$id", conversationId.ToString()), ("$phone", phone), ("$name", "Seeded " + phone), ("$at", FirstTicks),
                ("$workspace", workspace));
            Execute(connection, "INSERT INTO conversation_search (rowid, who) VALUES (last_insert_rowid(), $who)", transaction,
                ("$who", $"Seeded {phone} {phone}"));
        }

        // The small workspace and its agent: a copy of the bench agent Crm bootstrapped (same password), in the small workspace.
        Execute(connection, "INSERT INTO workspaces (id, name, created_at) VALUES ($id, 'Small', $at)", transaction,
            ("$id", SmallWorkspace.ToString()), ("$at", FirstTicks));
        Execute(connection, """
            INSERT INTO agents (id, workspace_id, email, email_normalized, name, role, password_hash, active, failed_sign_ins, locked_until,
                                session_stamp, created_at)
            SELECT $id, $workspace, $email, $normalized, 'Small', role, password_hash, active, 0, NULL, session_stamp, created_at
            FROM agents WHERE workspace_id = $bench
            LIMIT 1
            """, transaction, ("$id", Guid.NewGuid().ToString()), ("$workspace", SmallWorkspace.ToString()), ("$email", SmallWorkspaceEmail),
            ("$normalized", SmallWorkspaceEmail.ToUpperInvariant()), ("$bench", Workspace.ToString()));
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }
}
