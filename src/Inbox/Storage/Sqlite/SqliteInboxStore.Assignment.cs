using Crm.Inbox.Assignment;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// Who has which conversation, and agents' presence. Every reassignment is one write transaction, begun IMMEDIATE:
/// the check (still theirs? within capacity?) and the change happen under the file's write lock, so two processes
/// sharing the file can never both assign a conversation nor push an agent past capacity.
/// </summary>
public sealed partial class SqliteInboxStore : IAssignmentStore, IAgentPresenceStore
{
    private const string PresenceColumns = "agent_id, workspace_id, chosen, chosen_at, last_seen_at, last_active_at, last_assigned_at";

    private static async Task InitializeAssignmentAsync(SqliteConnection connection, CancellationToken ct)
    {
        await ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS agent_presence (
                agent_id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                chosen TEXT NOT NULL,
                chosen_at INTEGER NOT NULL,
                last_seen_at INTEGER,
                last_active_at INTEGER,
                last_assigned_at INTEGER);
            CREATE INDEX IF NOT EXISTS ix_agent_presence_workspace ON agent_presence(workspace_id);
            """, ct);
        // Conversations stored before the queue existed: the open ones nobody has join it, in the order their customers waited.
        await ExecuteAsync(connection, null, """
            UPDATE conversations SET queued_at = COALESCE(waiting_since, last_message_at)
            WHERE status = 'open' AND assigned_agent IS NULL AND queued_at IS NULL
            """, ct);
    }

    public Task<ReassignmentResult> ReassignAsync(Reassignment change, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var found = await QueryConversationsAsync(connection, transaction,
                $"SELECT {ConversationColumns} FROM conversations WHERE id = $id", ct, ("$id", change.ConversationId.ToString()));
            if (found.Count == 0) return ReassignmentResult.NotFound;
            var conversation = found[0];
            if (!ConversationAssignment.Applies(conversation, change)) return ReassignmentResult.Moved;
            if (change.To is { } to && change.Capacity is { } capacity
                && await CountOpenAsync(connection, transaction, conversation.WorkspaceId, to, conversation.Id, ct) >= capacity)
                return ReassignmentResult.Full;

            var (after, entries) = ConversationAssignment.Apply(conversation, change);
            // Primary key.
            await ExecuteAsync(connection, transaction, """
                UPDATE conversations SET assigned_agent = $assignee, assigned_at = $assignedAt, queued_at = $queued, team_id = $team, returned_from = $returned
                WHERE id = $id
                """, ct, ("$id", after.Id.ToString()), ("$assignee", after.AssigneeId?.ToString()), ("$assignedAt", after.AssignedAt?.UtcTicks),
                ("$queued", after.QueuedAt?.UtcTicks), ("$team", after.TeamId?.ToString()), ("$returned", after.ReturnedFrom?.ToString()));
            foreach (var entry in entries) await InsertMessageAsync(connection, transaction, entry, ct);
            if (change.To is { } assignee)
            {
                // Round robin: the agent's turn was just now.
                await ExecuteAsync(connection, transaction, $"""
                    INSERT INTO agent_presence ({PresenceColumns}) VALUES ($agent, $workspace, '{Availabilities.Online}', 0, NULL, NULL, $at)
                    ON CONFLICT (agent_id) DO UPDATE SET last_assigned_at = MAX(COALESCE(last_assigned_at, 0), excluded.last_assigned_at)
                    """, ct, ("$agent", assignee.ToString()), ("$workspace", after.WorkspaceId.ToString()), ("$at", change.At.UtcTicks));
            }
            return new ReassignmentResult(ReassignmentOutcome.Done, new ConversationChanged(after, entries));
        }, ct);

    private static Task<long> CountOpenAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid agentId, Guid except,
        CancellationToken ct)
        // ix_conversations_open_assignee
        => ScalarAsync<long>(connection, transaction,
            "SELECT COUNT(*) FROM conversations WHERE workspace_id = $workspace AND status = 'open' AND assigned_agent = $agent AND id <> $except", ct,
            ("$workspace", workspaceId.ToString()), ("$agent", agentId.ToString()), ("$except", except.ToString()));

    public async Task<IReadOnlyDictionary<Guid, int>> CountOpenByAssigneeAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_conversations_open_assignee
        await using var command = Command(connection, null, """
            SELECT assigned_agent, COUNT(*) FROM conversations
            WHERE workspace_id = $workspace AND status = 'open' AND assigned_agent IS NOT NULL GROUP BY assigned_agent
            """, ("$workspace", workspaceId.ToString()));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new Dictionary<Guid, int>();
        while (await reader.ReadAsync(ct)) counts[Guid.Parse(reader.GetString(0))] = reader.GetInt32(1);
        return counts;
    }

    public async Task<IReadOnlyList<QueueLength>> MeasureQueuesAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_conversations_queue: only queued rows are read.
        await using var command = Command(connection, null, """
            SELECT team_id, COUNT(*), MIN(queued_at) FROM conversations
            WHERE workspace_id = $workspace AND queued_at IS NOT NULL GROUP BY team_id
            """, ("$workspace", workspaceId.ToString()));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var queues = new List<QueueLength>();
        while (await reader.ReadAsync(ct)) queues.Add(new QueueLength(NullableGuid(reader, 0), reader.GetInt32(1), FromTicks(reader.GetInt64(2))));
        return queues;
    }

    public async Task<IReadOnlyList<Conversation>> ListOpenAssignedToAsync(Guid workspaceId, Guid agentId, int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_conversations_open_assignee
        return await QueryConversationsAsync(connection, null, $"""
            SELECT {ConversationColumns} FROM conversations WHERE workspace_id = $workspace AND status = 'open' AND assigned_agent = $agent LIMIT $take
            """, ct, ("$workspace", workspaceId.ToString()), ("$agent", agentId.ToString()), ("$take", take));
    }

    public async Task<IReadOnlyList<Conversation>> ListUnansweredAsync(Guid workspaceId, Guid teamId, DateTimeOffset cutoff, int take,
        CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_conversations_workspace_waiting, from the longest waiting up to the cutoff.
        return await QueryConversationsAsync(connection, null, $"""
            SELECT {ConversationColumns} FROM conversations
            WHERE workspace_id = $workspace AND waiting_since IS NOT NULL AND waiting_since <= $cutoff
              AND status = 'open' AND team_id = $team AND assigned_agent IS NOT NULL AND assigned_at <= $cutoff
            ORDER BY waiting_since, id LIMIT $take
            """, ct, ("$workspace", workspaceId.ToString()), ("$team", teamId.ToString()), ("$cutoff", cutoff.UtcTicks), ("$take", take));
    }

    public Task RecordBeatsAsync(IReadOnlyList<PresenceBeat> beats, CancellationToken ct = default)
        => beats.Count == 0
            ? Task.CompletedTask
            : WriteAsync(async (connection, transaction) =>
            {
                foreach (var beat in beats)
                {
                    // Primary key. A beat from a process whose clock or message is late never moves a time backwards.
                    await ExecuteAsync(connection, transaction, $"""
                        INSERT INTO agent_presence ({PresenceColumns}) VALUES ($agent, $workspace, '{Availabilities.Online}', 0, $seen, $active, NULL)
                        ON CONFLICT (agent_id) DO UPDATE SET
                            last_seen_at = MAX(COALESCE(last_seen_at, 0), excluded.last_seen_at),
                            last_active_at = MAX(COALESCE(last_active_at, 0), COALESCE(excluded.last_active_at, 0))
                        """, ct, ("$agent", beat.AgentId.ToString()), ("$workspace", beat.WorkspaceId.ToString()), ("$seen", beat.SeenAt.UtcTicks),
                        ("$active", beat.ActiveAt?.UtcTicks));
                }
                return true;
            }, ct);

    public Task<AgentPresence> SetAvailabilityAsync(Guid agentId, Guid workspaceId, string availability, DateTimeOffset at, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, $"""
                INSERT INTO agent_presence ({PresenceColumns}) VALUES ($agent, $workspace, $chosen, $at, NULL, $at, NULL)
                ON CONFLICT (agent_id) DO UPDATE SET chosen = excluded.chosen, chosen_at = excluded.chosen_at,
                    last_active_at = MAX(COALESCE(last_active_at, 0), excluded.last_active_at)
                """, ct, ("$agent", agentId.ToString()), ("$workspace", workspaceId.ToString()), ("$chosen", availability), ("$at", at.UtcTicks));
            return (await QueryPresenceAsync(connection, transaction, "WHERE agent_id = $agent", ct, ("$agent", agentId.ToString())))[0];
        }, ct);

    public async Task<IReadOnlyList<AgentPresence>> ListPresenceAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_agent_presence_workspace
        return await QueryPresenceAsync(connection, null, "WHERE workspace_id = $workspace", ct, ("$workspace", workspaceId.ToString()));
    }

    public async Task<IReadOnlyList<Guid>> ListPresenceWorkspacesAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_agent_presence_workspace
        await using var command = Command(connection, null, "SELECT DISTINCT workspace_id FROM agent_presence");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var workspaces = new List<Guid>();
        while (await reader.ReadAsync(ct)) workspaces.Add(Guid.Parse(reader.GetString(0)));
        return workspaces;
    }

    private static async Task<List<AgentPresence>> QueryPresenceAsync(SqliteConnection connection, SqliteTransaction? transaction, string where,
        CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, $"SELECT {PresenceColumns} FROM agent_presence {where}", parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var found = new List<AgentPresence>();
        while (await reader.ReadAsync(ct))
        {
            found.Add(new AgentPresence(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), FromTicks(reader.GetInt64(3)),
                NullableTicks(reader, 4), NullableTicks(reader, 5), NullableTicks(reader, 6)));
        }
        return found;
    }

    private static DateTimeOffset? NullableTicks(SqliteDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) || reader.GetInt64(ordinal) == 0 ? null : FromTicks(reader.GetInt64(ordinal));
}
