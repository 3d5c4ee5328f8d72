using System.Text.Json;
using System.Threading.Channels;
using Crm.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.Spool;

/// <summary>A spooled message: its place in the spool and the bus message it carries.</summary>
public sealed record SpooledMessage(long Seq, Type Type, object Message);

/// <summary>
/// The connectors' durable spool: a SQLite file on their own disk. A webhook's message is acknowledged only
/// once its row is committed with <c>synchronous=FULL</c>; concurrent webhooks share one transaction and one
/// fsync (group commit), so durability costs one disk flush per batch, not per message. The
/// <see cref="SpoolForwarder"/> hands rows to the bus and forgets them once the bus has them durably. Rows
/// just committed are handed to it from memory as well, so it reads the disk only after a restart or when it
/// fell far behind.
/// </summary>
public sealed class SqliteInboundSpool : IInboundSpool, IAsyncDisposable
{
    /// <summary>Names stored with each row; never rename one.</summary>
    private static readonly Dictionary<Type, string> TypeNames = new()
    {
        [typeof(InboundMessageReceived)] = "inbound-message-received",
        [typeof(MessageStatusReported)] = "message-status-reported",
        [typeof(StatusWatermarkReported)] = "status-watermark-reported",
    };

    private static readonly Dictionary<string, Type> TypesByName = TypeNames.ToDictionary(pair => pair.Value, pair => pair.Key);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly SpoolOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger logger;
    private readonly Channel<PendingAppend> appends;
    private readonly SqliteConnection writer;
    private readonly SqliteConnection reader;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly SemaphoreSlim readLock = new(1, 1);
    private readonly Task writeLoop;
    private long depth;

    /// <summary>Committed rows not yet read by the forwarder, in seq order; dropped whole when it falls behind.</summary>
    private readonly Queue<SpooledMessage> committed = new();

    public SqliteInboundSpool(string path, SpoolOptions options, TimeProvider clock, ILogger<SqliteInboundSpool> logger)
    {
        this.options = options;
        this.clock = clock;
        this.logger = logger;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        writer = new SqliteConnection(connectionString);
        writer.Open();
        Execute(writer, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA busy_timeout = 5000;
            CREATE TABLE IF NOT EXISTS spool (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                type TEXT NOT NULL,
                body BLOB NOT NULL,
                accepted_at INTEGER NOT NULL);
            """);
        reader = new SqliteConnection(connectionString);
        reader.Open();
        Execute(reader, "PRAGMA busy_timeout = 5000;");
        depth = Convert.ToInt64(Scalar(reader, "SELECT COUNT(*) FROM spool"));

        appends = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(options.MaxPendingCommits)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        writeLoop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Messages kept and not yet handed over (and, with an in-memory bus, not yet consumed).</summary>
    public long Depth => Interlocked.Read(ref depth);

    public async Task AcceptAsync<T>(T message, CancellationToken ct) where T : class
    {
        if (!TypeNames.TryGetValue(typeof(T), out var typeName))
            throw new ArgumentException($"{typeof(T).Name} is not a message the spool carries.", nameof(message));
        var append = new PendingAppend(typeName, typeof(T), message, JsonSerializer.SerializeToUtf8Bytes(message, Json));
        await appends.Writer.WriteAsync(append, ct);
        // Once queued the row may still be written after a cancellation; the inbox drops the provider's retry.
        await append.Committed.Task.WaitAsync(ct);
    }

    /// <summary>Up to <paramref name="max"/> rows after <paramref name="afterSeq"/>, oldest first.</summary>
    public async Task<IReadOnlyList<SpooledMessage>> ReadAfterAsync(long afterSeq, int max, CancellationToken ct)
    {
        if (TakeCommitted(afterSeq, max) is { } fromMemory) return fromMemory;
        await readLock.WaitAsync(ct);
        try
        {
            // The rowid primary key: a range seek, whatever the spool's size.
            using var command = Command(reader, "SELECT seq, type, body FROM spool WHERE seq > $after ORDER BY seq LIMIT $max",
                ("$after", afterSeq), ("$max", max));
            return ReadRows(command);
        }
        finally
        {
            readLock.Release();
        }
    }

    /// <summary>
    /// The rows right after <paramref name="afterSeq"/> from memory, when memory holds the very next one:
    /// seqs are consecutive within and across commits, so no kept row can lie in between.
    /// </summary>
    private List<SpooledMessage>? TakeCommitted(long afterSeq, int max)
    {
        lock (committed)
        {
            while (committed.Count > 0 && committed.Peek().Seq <= afterSeq) committed.Dequeue();
            if (committed.Count == 0 || committed.Peek().Seq != afterSeq + 1) return null;
            var rows = new List<SpooledMessage>(Math.Min(max, committed.Count));
            while (rows.Count < max && committed.Count > 0 && committed.Peek().Seq == afterSeq + 1 + rows.Count) rows.Add(committed.Dequeue());
            return rows;
        }
    }

    /// <summary>The rows among <paramref name="seqs"/> that are still kept.</summary>
    public async Task<IReadOnlyList<SpooledMessage>> ReadAsync(IReadOnlyCollection<long> seqs, CancellationToken ct)
    {
        if (seqs.Count == 0) return [];
        await readLock.WaitAsync(ct);
        try
        {
            using var command = Command(reader, "SELECT seq, type, body FROM spool WHERE seq IN (SELECT value FROM json_each($seqs)) ORDER BY seq",
                ("$seqs", JsonSerializer.Serialize(seqs)));
            return ReadRows(command);
        }
        finally
        {
            readLock.Release();
        }
    }

    /// <summary>Forgets rows the bus (or the inbox) now has durably.</summary>
    public async Task RemoveAsync(IReadOnlyCollection<long> seqs, CancellationToken ct)
    {
        if (seqs.Count == 0) return;
        await writeLock.WaitAsync(ct);
        try
        {
            // Forgetting need not reach the disk at once: a delete lost in a crash only hands a message over
            // again, and the inbox drops the repeat. The next accepting commit (FULL) syncs it anyway.
            Execute(writer, "PRAGMA synchronous = OFF;");
            try
            {
                using var command = Command(writer, "DELETE FROM spool WHERE seq IN (SELECT value FROM json_each($seqs))",
                    ("$seqs", JsonSerializer.Serialize(seqs)));
                var removed = command.ExecuteNonQuery();
                Interlocked.Add(ref depth, -removed);
            }
            finally
            {
                Execute(writer, "PRAGMA synchronous = FULL;");
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>The accept time of the oldest kept row: how far behind forwarding is.</summary>
    public async Task<DateTimeOffset?> OldestAcceptedAtAsync(CancellationToken ct)
    {
        await readLock.WaitAsync(ct);
        try
        {
            return Scalar(reader, "SELECT accepted_at FROM spool ORDER BY seq LIMIT 1") is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
        }
        finally
        {
            readLock.Release();
        }
    }

    /// <summary>Raised after each commit of new rows.</summary>
    public event Action? RowsCommitted;

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingAppend>(options.MaxCommitBatch);
        var seqs = new long[options.MaxCommitBatch];
        using var insert = Command(writer, "INSERT INTO spool (type, body, accepted_at) VALUES ($type, $body, $at) RETURNING seq",
            ("$type", ""), ("$body", Array.Empty<byte>()), ("$at", 0L));
        while (await appends.Reader.WaitToReadAsync())
        {
            while (batch.Count < options.MaxCommitBatch && appends.Reader.TryRead(out var append)) batch.Add(append);
            await writeLock.WaitAsync();
            try
            {
                using var transaction = writer.BeginTransaction();
                insert.Transaction = transaction;
                var now = clock.GetUtcNow().UtcTicks;
                for (var i = 0; i < batch.Count; i++)
                {
                    insert.Parameters["$type"].Value = batch[i].TypeName;
                    insert.Parameters["$body"].Value = batch[i].Body;
                    insert.Parameters["$at"].Value = now;
                    seqs[i] = (long)insert.ExecuteScalar()!;
                }
                transaction.Commit();
                Interlocked.Add(ref depth, batch.Count);
                KeepCommitted(batch, seqs);
                foreach (var append in batch) append.Committed.TrySetResult();
                RowsCommitted?.Invoke();
            }
            catch (Exception error)
            {
                // Disk full or unwritable: these webhooks are refused (the provider retries); later ones try again.
                logger.LogError(error, "Could not keep {Count} webhook messages in the spool", batch.Count);
                foreach (var append in batch) append.Committed.TrySetException(error);
            }
            finally
            {
                insert.Transaction = null;
                writeLock.Release();
                batch.Clear();
            }
        }
    }

    private void KeepCommitted(List<PendingAppend> batch, long[] seqs)
    {
        lock (committed)
        {
            // A forwarder this far behind reads from the disk anyway; memory stays bounded.
            if (committed.Count + batch.Count > options.MaxCommitBatch * 8) committed.Clear();
            for (var i = 0; i < batch.Count; i++) committed.Enqueue(new SpooledMessage(seqs[i], batch[i].Type, batch[i].Message));
        }
    }

    private static List<SpooledMessage> ReadRows(SqliteCommand command)
    {
        var rows = new List<SpooledMessage>();
        using var data = command.ExecuteReader();
        while (data.Read())
        {
            var type = TypesByName[data.GetString(1)];
            var message = JsonSerializer.Deserialize((byte[])data.GetValue(2), type, Json)!;
            rows.Add(new SpooledMessage(data.GetInt64(0), type, message));
        }
        return rows;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        return command.ExecuteScalar();
    }

    public async ValueTask DisposeAsync()
    {
        appends.Writer.TryComplete();
        await writeLoop;
        writer.Dispose();
        reader.Dispose();
    }

    private sealed class PendingAppend(string typeName, Type type, object message, byte[] body)
    {
        public string TypeName => typeName;
        public Type Type => type;
        public object Message => message;
        public byte[] Body => body;
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
