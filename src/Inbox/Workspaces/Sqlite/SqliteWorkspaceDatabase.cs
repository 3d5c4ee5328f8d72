using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Workspaces.Sqlite;

/// <summary>
/// Workspaces and agents live in the inbox's SQLite file, on their own pooled connections: their writes are
/// rare (sign-ins, invitations), so they do not go through the inbox store's writer. <c>busy_timeout</c> lets
/// them wait for that writer inside SQLite instead of failing. Times are UTC ticks, as in the inbox store.
/// </summary>
internal static class SqliteWorkspaceDatabase
{
    private const int BusyTimeoutMilliseconds = 10_000;

    public static async Task<SqliteConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    public static SqliteCommand Command(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public static long Ticks(DateTimeOffset at) => at.UtcTicks;

    public static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    public static bool IsUniqueViolation(SqliteException error) => error.SqliteErrorCode == 19; // SQLITE_CONSTRAINT
}
