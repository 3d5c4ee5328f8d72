using Microsoft.Data.Sqlite;

namespace Crm.FaultTests.Checks;

/// <summary>What the scenario's shared SQLite file holds, read read-only beside the running processes.</summary>
public sealed class CrmDatabase(string path)
{
    private readonly string connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadOnly,
        Pooling = false,
        DefaultTimeout = 30,
    }.ToString();

    public sealed record Reply(Guid Id, string Status, string? ErrorCode, bool InOutbox);

    /// <summary>
    /// How many times each of this run's inbound messages is stored, by message sid. Counted without the unique index's
    /// help (over every channel, not per channel), so a second copy under any channel counts as a duplicate.
    /// </summary>
    public Dictionary<string, long> StoredInbound(string sidPrefix)
    {
        var stored = new Dictionary<string, long>();
        Read("""
            SELECT channel_message_id, COUNT(*) FROM messages
            WHERE channel_message_id LIKE $prefix || '%' GROUP BY channel_message_id
            """, reader => stored[reader.GetString(0)] = reader.GetInt64(1), ("$prefix", sidPrefix));
        return stored;
    }

    public Guid ConversationOf(string channelMessageId)
    {
        Guid? conversation = null;
        Read("SELECT conversation_id FROM messages WHERE channel_message_id = $sid", reader => conversation = Guid.Parse(reader.GetString(0)),
            ("$sid", channelMessageId));
        return conversation ?? throw new InvalidOperationException($"Message {channelMessageId} is not stored.");
    }

    public Reply ReplyOf(Guid id)
    {
        Reply? reply = null;
        Read("SELECT status, error_code, dispatch_due_at IS NOT NULL FROM messages WHERE id = $id",
            reader => reply = new Reply(id, reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2) == 1),
            ("$id", id.ToString()));
        return reply ?? throw new InvalidOperationException($"Reply {id} is not stored.");
    }

    /// <summary>Replies whose send was claimed in the outbound ledger and not settled: a sender is (or was) mid-send.</summary>
    public HashSet<Guid> ClaimedSends()
    {
        var claimed = new HashSet<Guid>();
        Read("SELECT message_id FROM outbound_ledger WHERE state = 'claimed'", reader => claimed.Add(Guid.Parse(reader.GetString(0))));
        return claimed;
    }

    /// <summary>Webhooks acknowledged from a connectors spool file and not yet handed to the bus.</summary>
    public static long SpoolDepth(string spoolPath)
    {
        long depth = 0;
        new CrmDatabase(spoolPath).Read("SELECT COUNT(*) FROM spool", reader => depth = reader.GetInt64(0));
        return depth;
    }

    private void Read(string sql, Action<SqliteDataReader> row, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        while (reader.Read()) row(reader);
    }
}
