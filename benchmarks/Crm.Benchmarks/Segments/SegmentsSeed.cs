using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks.Segments;

/// <summary>
/// Adds customers to the bench workspace of a Crm SQLite store by batched direct inserts (one transaction, prepared
/// statements): profile, behaviour and a WhatsApp identity each, and a recorded consent for some. A fixed random seed, so
/// every run has the same data: a tenth are VIPs, last inbound spread over two years (a tenth never wrote), one in twenty
/// opted out on WhatsApp and one in twenty opted in. The tables are Crm's own (created when it starts on the file).
/// </summary>
public static class SegmentsSeed
{
    private static readonly string[] Stages = ["lead", "lead", "lead", "lead", "lead", "customer", "customer", "customer", "vip", "churned"];

    public static void AddCustomers(string sqlitePath, Guid workspace, int count)
    {
        var random = new Random(42);
        var now = DateTimeOffset.UtcNow;
        using var connection = new SqliteConnection($"Data Source={sqlitePath};Pooling=False");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;";
            pragma.ExecuteNonQuery();
        }
        using var transaction = connection.BeginTransaction();
        using var customer = Prepare(connection, transaction, """
            INSERT INTO customers (id, display_name, created_at, workspace_id, lifecycle_stage, first_seen_at, last_inbound_at, last_channel,
                                   inbound_count, outbound_count, version)
            VALUES ($id, $name, $created, $workspace, $stage, $firstSeen, $lastInbound, $channel, $inbound, $outbound, 0)
            """, "$id", "$name", "$created", "$workspace", "$stage", "$firstSeen", "$lastInbound", "$channel", "$inbound", "$outbound");
        using var identity = Prepare(connection, transaction,
            "INSERT INTO customer_identities (workspace_id, channel, value, customer_id) VALUES ($workspace, 'whatsapp', $phone, $id)",
            "$workspace", "$phone", "$id");
        using var consent = Prepare(connection, transaction, """
            INSERT INTO customer_consents (workspace_id, customer_id, channel, state, changed_at, source, detail, changed_by)
            VALUES ($workspace, $id, 'whatsapp', $state, $at, 'keyword', NULL, NULL)
            """, "$workspace", "$id", "$state", "$at");

        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid().ToString();
            var created = now.AddDays(-random.Next(30, 900)).UtcTicks;
            var wrote = random.Next(10) != 0;
            var lastInbound = wrote ? now.AddMinutes(-random.Next(1, 2 * 365 * 24 * 60)).UtcTicks : (long?)null;
            Run(customer, id, $"Customer {i.ToString("D6", CultureInfo.InvariantCulture)}", created, workspace.ToString(), Stages[random.Next(Stages.Length)],
                wrote ? created : null, lastInbound, wrote ? "whatsapp" : null, wrote ? random.Next(1, 40) : 0, random.Next(0, 40));
            Run(identity, workspace.ToString(), "+1" + (2_000_000_000L + i).ToString(CultureInfo.InvariantCulture), id);
            var choice = random.Next(20);
            if (choice < 2) Run(consent, workspace.ToString(), id, choice == 0 ? "opted-out" : "opted-in", now.AddDays(-random.Next(1, 300)).UtcTicks);
        }
        // No ANALYZE: Crm never runs it, so the planner here knows what it knows in production.
        transaction.Commit();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
        command.ExecuteNonQuery();
    }
}
