using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks.Measuring;

/// <summary>Did every acknowledged webhook end up stored, and once only?</summary>
/// <param name="StoredUnacknowledged">Stored though Crm's answer was not a 2xx (a timeout, say): allowed, Twilio would retry and the inbox drop the repeat.</param>
public sealed record ExactlyOnceResult(long Acknowledged, long Stored, long Missing, long Duplicated, long StoredUnacknowledged)
{
    public bool Holds => Missing == 0 && Duplicated == 0;

    public override string ToString()
        => $"acknowledged {Acknowledged}, stored {Stored}, missing {Missing}, duplicated {Duplicated}"
           + (StoredUnacknowledged > 0 ? $", stored though not acknowledged {StoredUnacknowledged}" : "");

    /// <summary>
    /// Reads Crm's SQLite file, read-only, while Crm still runs. Only the <c>messages</c> table's <c>channel</c> and
    /// <c>channel_message_id</c> columns are read, so the check survives the schema growing.
    /// </summary>
    public static ExactlyOnceResult Check(string sqlitePath, TwilioWebhookForms webhooks, WebhookLedger ledger)
    {
        var rows = new int[ledger.Count];
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqlitePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT channel_message_id FROM messages WHERE channel = 'whatsapp' AND channel_message_id LIKE $prefix";
            command.Parameters.AddWithValue("$prefix", "SM" + webhooks.RunTag + "%");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (webhooks.IndexOf(reader.GetString(0)) is var index and >= 0 && index < rows.Length) rows[index]++;
            }
        }

        long acknowledged = 0, stored = 0, missing = 0, duplicated = 0, storedUnacknowledged = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i] > 1) duplicated += rows[i] - 1;
            if (ledger.Outcomes[i] == WebhookOutcome.Acknowledged)
            {
                acknowledged++;
                if (rows[i] > 0) stored++;
                else missing++;
            }
            else if (rows[i] > 0)
            {
                storedUnacknowledged++;
            }
        }
        return new ExactlyOnceResult(acknowledged, stored, missing, duplicated, storedUnacknowledged);
    }
}
