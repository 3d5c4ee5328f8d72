using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Timelines;
using Microsoft.Data.Sqlite;

namespace Crm.Inbox.Storage.Sqlite;

/// <summary>
/// Merging customers. A merge is one write transaction: the survivor takes the merged customer's identities, conversations
/// (a thread on the same channel and business number as one of the survivor's is joined: its messages move into the
/// survivor's, the emptied one is kept as <c>merged</c>), profile, custom attributes, labels, consent, behaviour and history.
/// The merged customer's row is kept with <c>merged_into</c>. A journal of whole rows (as they were before and after) makes
/// undo exact, and tells when it no longer would be: the tables of other features are snapshotted generically, by column.
/// </summary>
public sealed partial class SqliteInboxStore : ICustomerMergeStore
{
    /// <summary>Tables with rows per customer, kept by other features (behaviour per channel, consent, labels): merged, and restored on undo.</summary>
    private static readonly string[] CustomerSideTables = ["customer_consents", "customer_channel_activity", "customer_labels"];

    // ix_messages_customer_timeline: a seek on the customer, read backwards from the newest or from the cursor.
    internal const string NewestCustomerTimelineSql = $"""
        SELECT {MessageColumns} FROM messages WHERE customer_id = $customer AND workspace_id = $workspace
        ORDER BY created_at DESC, id DESC LIMIT $take
        """;

    internal const string OlderCustomerTimelineSql = $"""
        SELECT {MessageColumns} FROM messages WHERE customer_id = $customer AND workspace_id = $workspace AND (created_at, id) < ($at, $id)
        ORDER BY created_at DESC, id DESC LIMIT $take
        """;

    // ix_customer_match_keys_value: the keys two or more customers share, in key order, from the cursor on.
    internal const string SharedMatchKeysSql = """
        SELECT kind, value FROM customer_match_keys
        WHERE workspace_id = $workspace AND (kind || ' ' || value) > $after
        GROUP BY kind, value HAVING COUNT(DISTINCT customer_id) > 1
        ORDER BY kind, value LIMIT $take
        """;

    private static async Task InitializeMergeAsync(SqliteConnection connection, CancellationToken ct)
    {
        await AddMissingColumnsAsync(connection, "customers", [("merged_into", "TEXT")], ct);
        await AddMissingColumnsAsync(connection, "conversations", [("merged_into", "TEXT")], ct);
        var keysExisted = await ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'customer_match_keys'", ct) > 0;
        await ExecuteAsync(connection, null, """
            -- The customer timeline across channels: every message of a customer, newest first (messages is the biggest table:
            -- one more index entry per message is what a seek instead of a sort of all of a customer's conversations costs).
            CREATE INDEX IF NOT EXISTS ix_messages_customer_timeline ON messages(customer_id, created_at, id);
            CREATE TABLE IF NOT EXISTS customer_merges (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                survivor_id TEXT NOT NULL,
                merged_id TEXT NOT NULL,
                merged_by TEXT,
                automatic INTEGER NOT NULL,
                merged_at INTEGER NOT NULL,
                undone_at INTEGER,
                undone_by TEXT,
                moved_json TEXT NOT NULL,
                joined_json TEXT NOT NULL,
                journal_json TEXT NOT NULL);
            -- A customer's merges, on either side, newest first.
            CREATE INDEX IF NOT EXISTS ix_customer_merges_survivor ON customer_merges(workspace_id, survivor_id, merged_at);
            CREATE INDEX IF NOT EXISTS ix_customer_merges_merged ON customer_merges(workspace_id, merged_id, merged_at);
            -- Phones (in canonical WhatsApp form) and emails (lowercase) customers can be matched by.
            CREATE TABLE IF NOT EXISTS customer_match_keys (
                workspace_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                value TEXT NOT NULL,
                raw TEXT NOT NULL,
                verified INTEGER NOT NULL,
                source TEXT NOT NULL,
                PRIMARY KEY (customer_id, kind, raw, source));
            -- Who else has this phone or email; and the workspace's shared keys, in order.
            CREATE INDEX IF NOT EXISTS ix_customer_match_keys_value ON customer_match_keys(workspace_id, kind, value, customer_id);
            CREATE TABLE IF NOT EXISTS customer_settings (
                workspace_id TEXT PRIMARY KEY,
                auto_merge INTEGER NOT NULL DEFAULT 0);
            """, ct);
        if (!keysExisted)
        {
            // Customers from before suggestions get their keys once (the table is new only on the first start after an upgrade).
            var ids = new List<(Guid Workspace, Guid Customer)>();
            await using (var command = Command(connection, null, "SELECT workspace_id, id FROM customers WHERE merged_into IS NULL"))
            await using (var reader = await command.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) ids.Add((WorkspaceOf(reader, 0), Guid.Parse(reader.GetString(1))));
            await using var transaction = connection.BeginTransaction(deferred: false);
            foreach (var (workspace, customer) in ids) await RefreshMatchKeysAsync(connection, transaction, workspace, customer, ct);
            await transaction.CommitAsync(ct);
        }
    }

    public async Task<IReadOnlyList<CustomerTimelineItem>> ListCustomerTimelineAsync(Guid workspaceId, Guid customerId, PageCursor? before, int take,
        CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var messages = before is { } cursor
            ? await QueryMessagesAsync(connection, null, OlderCustomerTimelineSql, ct, ("$customer", customerId.ToString()),
                ("$workspace", workspaceId.ToString()), ("$at", cursor.At.UtcTicks), ("$id", cursor.Id.ToString()), ("$take", take))
            : await QueryMessagesAsync(connection, null, NewestCustomerTimelineSql, ct, ("$customer", customerId.ToString()),
                ("$workspace", workspaceId.ToString()), ("$take", take));
        return messages.Select(m => new CustomerTimelineItem(m.ConversationId, m.Channel, m.BusinessIdentity, m)).ToList();
    }

    public async Task<Guid?> GetMergedIntoAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await MergedIntoAsync(connection, null, workspaceId, customerId, ct);
    }

    private static async Task<Guid?> MergedIntoAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid workspaceId, Guid customerId, CancellationToken ct)
        => await ScalarAsync<string>(connection, transaction, "SELECT merged_into FROM customers WHERE id = $id AND workspace_id = $workspace", ct,
            ("$id", customerId.ToString()), ("$workspace", workspaceId.ToString())) is { } id ? Guid.Parse(id) : null;

    public Task<MergeResult> MergeCustomersAsync(MergeRequest request, CancellationToken ct = default)
        => WriteAsync((connection, transaction) => MergeAsync(connection, transaction, request, ct), ct);

    private static async Task<MergeResult> MergeAsync(SqliteConnection connection, SqliteTransaction transaction, MergeRequest request, CancellationToken ct)
    {
        var (workspace, survivorId, mergedId) = (request.WorkspaceId, request.SurvivorId, request.MergedId);
        var survivor = await GetProfileAsync(connection, transaction, workspace, survivorId, ct);
        var merged = await GetProfileAsync(connection, transaction, workspace, mergedId, ct);
        if (survivor is null || merged is null) return new MergeResult(MergeOutcome.NotFound, null);
        if (survivorId == mergedId) return new MergeResult(MergeOutcome.MergedAway, null, "A customer cannot be merged with itself.");
        var mergedInto = await MergedIntoAsync(connection, transaction, workspace, mergedId, ct);
        if (mergedInto == survivorId)
        {
            // The same merge again (a retried request): the one done stands.
            var done = (await QueryMergesAsync(connection, transaction,
                "WHERE workspace_id = $workspace AND merged_id = $customer AND undone_at IS NULL ORDER BY merged_at DESC LIMIT 1", workspace, mergedId, ct)).FirstOrDefault();
            return new MergeResult(MergeOutcome.AlreadyMerged, done.Merge);
        }
        if (mergedInto is not null) return new MergeResult(MergeOutcome.MergedAway, null, $"Customer {mergedId} is already merged into customer {mergedInto}.");
        if (await MergedIntoAsync(connection, transaction, workspace, survivorId, ct) is { } survivorInto)
            return new MergeResult(MergeOutcome.MergedAway, null, $"Customer {survivorId} is merged into customer {survivorInto}: merge into that one.");
        if (survivor.Version != request.SurvivorVersion || merged.Version != request.MergedVersion)
            return new MergeResult(MergeOutcome.Stale, null, "One of the customers changed since you looked: review the merge again.");

        var unchosen = CustomerMergeRules.Unchosen(CustomerMergeRules.Conflicts(survivor.Fields, merged.Fields), request.Choices);
        if (unchosen.Count > 0) return new MergeResult(MergeOutcome.ChoicesMissing, null) { MissingChoices = unchosen };

        var ids = new[] { survivorId.ToString(), mergedId.ToString() };
        var journal = new MergeJournal
        {
            SurvivorBefore = await RowAsync(connection, transaction, "customers", survivorId, ct),
            MergedBefore = await RowAsync(connection, transaction, "customers", mergedId, ct),
            SideBefore = await SideRowsAsync(connection, transaction, ids, ct),
        };

        // The profile: changes audited field by field, by the merging agent, and one version up in any case.
        var fields = CustomerMergeRules.Combine(survivor.Fields, merged.Fields, request.Choices);
        var updated = await UpdateProfileAsync(connection, transaction, workspace, survivorId, survivor.Version, fields, request.By, request.Now, ct);
        var version = updated.Profile!.Version == survivor.Version
            ? await ScalarAsync<long>(connection, transaction, "UPDATE customers SET version = version + 1 WHERE id = $id RETURNING version", ct, ("$id", survivorId.ToString()))
            : updated.Profile.Version;
        await MergeBehaviourAsync(connection, transaction, survivorId, mergedId, ct);
        await MergeSideTablesAsync(connection, transaction, survivorId, mergedId, ct);

        // Identities: the merged customer's next message finds the survivor (primary key of customer_identities).
        journal.MovedIdentities = merged.Identities.ToList();
        await ExecuteAsync(connection, transaction, "UPDATE customer_identities SET customer_id = $survivor WHERE workspace_id = $workspace AND customer_id = $merged", ct,
            ("$survivor", survivorId.ToString()), ("$merged", mergedId.ToString()), ("$workspace", workspace.ToString()));

        // ix_conversations_customer
        var moved = new List<Guid>();
        var joined = new List<JoinedConversation>();
        var theirs = await QueryConversationsAsync(connection, transaction, $"SELECT {ConversationColumns} FROM conversations WHERE customer_id = $id AND merged_into IS NULL", ct,
            ("$id", mergedId.ToString()));
        foreach (var conversation in theirs)
        {
            var thread = (await QueryConversationsAsync(connection, transaction, OpenConversationQuery, ct, ("$customer", survivorId.ToString()),
                ("$channel", conversation.Channel), ("$business", conversation.BusinessIdentity ?? ""))).FirstOrDefault();
            if (thread is null)
            {
                await ExecuteAsync(connection, transaction, "UPDATE conversations SET customer_id = $survivor, customer_name = $name WHERE id = $id", ct,
                    ("$survivor", survivorId.ToString()), ("$name", fields.Name), ("$id", conversation.Id.ToString()));
                // ix_messages_timeline
                await ExecuteAsync(connection, transaction, "UPDATE messages SET customer_id = $survivor WHERE conversation_id = $id", ct,
                    ("$survivor", survivorId.ToString()), ("$id", conversation.Id.ToString()));
                moved.Add(conversation.Id);
            }
            else
            {
                journal.Joins.Add(await JoinThreadsAsync(connection, transaction, conversation, thread, survivorId, ct));
                joined.Add(new JoinedConversation(conversation.Id, thread.Id));
            }
        }
        journal.MovedConversations = moved;

        // History: the merged customer's audit entries now belong to the survivor (ix_customer_profile_changes_customer).
        journal.MovedChanges = await IdsAsync(connection, transaction, "SELECT id FROM customer_profile_changes WHERE workspace_id = $workspace AND customer_id = $id", ct,
            ("$workspace", workspace.ToString()), ("$id", mergedId.ToString()));
        await ExecuteAsync(connection, transaction, "UPDATE customer_profile_changes SET customer_id = $survivor WHERE workspace_id = $workspace AND customer_id = $merged", ct,
            ("$survivor", survivorId.ToString()), ("$merged", mergedId.ToString()), ("$workspace", workspace.ToString()));
        await InsertProfileChangeAsync(connection, transaction, workspace, survivorId, version, request.Automatic ? "merged-automatically" : "merged",
            null, mergedId.ToString(), request.By, request.Now, ct);
        await ExecuteAsync(connection, transaction, "UPDATE customers SET merged_into = $survivor WHERE id = $merged", ct,
            ("$survivor", survivorId.ToString()), ("$merged", mergedId.ToString()));
        await InsertProfileChangeAsync(connection, transaction, workspace, mergedId, merged.Version, "merged-into", null, survivorId.ToString(), request.By, request.Now, ct);

        await ReindexCustomerConversationsAsync(connection, transaction, survivorId, ct);
        await RefreshMatchKeysAsync(connection, transaction, workspace, survivorId, ct);
        await ExecuteAsync(connection, transaction, "DELETE FROM customer_match_keys WHERE customer_id = $id", ct, ("$id", mergedId.ToString()));

        journal.SurvivorAfter = await RowAsync(connection, transaction, "customers", survivorId, ct);
        journal.MergedAfter = await RowAsync(connection, transaction, "customers", mergedId, ct);
        journal.SideAfter = await SideRowsAsync(connection, transaction, ids, ct);
        journal.SurvivorMessagesAfter = await CountMessagesAsync(connection, transaction, survivorId, ct);
        journal.SurvivorIdentitiesAfter = (await GetProfileAsync(connection, transaction, workspace, survivorId, ct))!.Identities.ToList();
        foreach (var join in journal.Joins) join.IntoAfter = await RowAsync(connection, transaction, "conversations", join.Into, ct);

        var merge = new CustomerMerge(Guid.NewGuid(), workspace, survivorId, mergedId, request.By, request.Automatic, request.Now, moved, joined);
        await ExecuteAsync(connection, transaction, """
            INSERT INTO customer_merges (id, workspace_id, survivor_id, merged_id, merged_by, automatic, merged_at, moved_json, joined_json, journal_json)
            VALUES ($id, $workspace, $survivor, $merged, $by, $automatic, $at, $moved, $joined, $journal)
            """, ct,
            ("$id", merge.Id.ToString()), ("$workspace", workspace.ToString()), ("$survivor", survivorId.ToString()), ("$merged", mergedId.ToString()),
            ("$by", request.By?.ToString()), ("$automatic", request.Automatic ? 1 : 0), ("$at", request.Now.UtcTicks),
            ("$moved", JsonSerializer.Serialize(moved, Json)), ("$joined", JsonSerializer.Serialize(joined, Json)), ("$journal", JsonSerializer.Serialize(journal, Json)));
        return new MergeResult(MergeOutcome.Merged, merge);
    }

    /// <summary>
    /// The merged customer's thread goes into the survivor's on the same channel and business number (the unique thread index
    /// allows one): its messages move, the survivor's thread takes the later activity, the earlier wait, an open status and an
    /// assignee if it had none, and both threads' labels; the emptied thread is kept as <c>merged</c>, out of every list.
    /// </summary>
    private static async Task<JoinJournal> JoinThreadsAsync(SqliteConnection connection, SqliteTransaction transaction, Conversation from, Conversation into,
        Guid survivorId, CancellationToken ct)
    {
        var join = new JoinJournal
        {
            From = from.Id,
            Into = into.Id,
            FromBefore = await RowAsync(connection, transaction, "conversations", from.Id, ct),
            IntoBefore = await RowAsync(connection, transaction, "conversations", into.Id, ct),
            ReadsBefore = await RowsAsync(connection, transaction, "conversation_reads", "conversation_id", [from.Id.ToString(), into.Id.ToString()], ct),
            LabelsBefore = await RowsAsync(connection, transaction, "conversation_labels", "conversation_id", [from.Id.ToString(), into.Id.ToString()], ct),
            // ix_messages_timeline
            Messages = await IdsAsync(connection, transaction, "SELECT id FROM messages WHERE conversation_id = $id", ct, ("$id", from.Id.ToString())),
        };

        // Unread stays true: each agent's marker becomes the earlier of what they had read in either thread (a thread they never
        // read counts as read up to just before its first customer message), so no unread message turns read.
        var firstInbound = new Dictionary<Guid, long?>();
        foreach (var id in new[] { from.Id, into.Id })
            firstInbound[id] = await ScalarAsync<long?>(connection, transaction,
                "SELECT MIN(created_at) FROM messages WHERE conversation_id = $id AND direction = 'inbound'", ct, ("$id", id.ToString()));
        var markers = join.ReadsBefore.GroupBy(r => (string)r["agent_id"]!)
            .ToDictionary(g => g.Key, g => g.ToDictionary(r => Guid.Parse((string)r["conversation_id"]!), r => (long)r["read_up_to"]!));
        foreach (var (agent, read) in markers)
        {
            long Effective(Guid id) => read.TryGetValue(id, out var at) ? at : firstInbound[id] is { } first ? first - 1 : long.MaxValue;
            var marker = Math.Min(Effective(from.Id), Effective(into.Id));
            await ExecuteAsync(connection, transaction, """
                INSERT INTO conversation_reads (agent_id, conversation_id, read_up_to) VALUES ($agent, $id, $at)
                ON CONFLICT (agent_id, conversation_id) DO UPDATE SET read_up_to = excluded.read_up_to
                """, ct, ("$agent", agent), ("$id", into.Id.ToString()), ("$at", marker == long.MaxValue ? into.LastMessageAt.UtcTicks : marker));
        }

        await ExecuteAsync(connection, transaction, "UPDATE messages SET conversation_id = $into, customer_id = $survivor WHERE conversation_id = $from", ct,
            ("$into", into.Id.ToString()), ("$survivor", survivorId.ToString()), ("$from", from.Id.ToString()));
        var latest = from.LastMessageAt > into.LastMessageAt ? from : into;
        var open = from.Status == ConversationStatuses.Open || into.Status == ConversationStatuses.Open;
        var assignee = into.AssigneeId ?? (open ? from.AssigneeId : null);
        var labels = into.Labels.Union(from.Labels).ToList();
        await ExecuteAsync(connection, transaction, """
            UPDATE conversations SET last_message_at = $at, last_message_preview = $preview, waiting_since = $waiting, status = $status,
                snoozed_until = CASE WHEN $status = 'snoozed' THEN snoozed_until ELSE NULL END,
                assigned_agent = $assignee, team_id = COALESCE(team_id, $team), assigned_at = CASE WHEN assigned_agent IS NULL AND $assignee IS NOT NULL THEN $assignedAt ELSE assigned_at END,
                queued_at = CASE WHEN $assignee IS NULL AND $status = 'open' THEN COALESCE(queued_at, $queued) ELSE NULL END, labels_json = $labels
            WHERE id = $id
            """, ct,
            ("$id", into.Id.ToString()), ("$at", latest.LastMessageAt.UtcTicks), ("$preview", latest.LastMessagePreview),
            ("$waiting", new[] { from.WaitingSince, into.WaitingSince }.Where(w => w is not null).Min()?.UtcTicks),
            ("$status", open ? ConversationStatuses.Open : into.Status), ("$assignee", assignee?.ToString()), ("$team", from.TeamId?.ToString()),
            ("$assignedAt", from.AssignedAt?.UtcTicks), ("$queued", from.QueuedAt?.UtcTicks), ("$labels", JsonSerializer.Serialize(labels, Json)));
        await ExecuteAsync(connection, transaction, """
            INSERT OR IGNORE INTO conversation_labels (conversation_id, label_id)
                SELECT $into, label_id FROM conversation_labels WHERE conversation_id = $from
            """, ct, ("$into", into.Id.ToString()), ("$from", from.Id.ToString()));
        await ExecuteAsync(connection, transaction, """
            UPDATE conversations SET status = 'merged', merged_into = $into, assigned_agent = NULL, team_id = NULL, queued_at = NULL,
                waiting_since = NULL, snoozed_until = NULL
            WHERE id = $from
            """, ct, ("$into", into.Id.ToString()), ("$from", from.Id.ToString()));
        return join;
    }

    /// <summary>Behaviour on the survivor's row: the earliest first contact, the latest of each last contact, the counts summed.</summary>
    private static async Task MergeBehaviourAsync(SqliteConnection connection, SqliteTransaction transaction, Guid survivorId, Guid mergedId, CancellationToken ct)
    {
        await ExecuteAsync(connection, transaction, """
            UPDATE customers SET
                first_seen_at = (SELECT MIN(first_seen_at) FROM customers WHERE id IN ($survivor, $merged)),
                last_inbound_at = (SELECT MAX(last_inbound_at) FROM customers WHERE id IN ($survivor, $merged)),
                last_outbound_agent_at = (SELECT MAX(last_outbound_agent_at) FROM customers WHERE id IN ($survivor, $merged)),
                last_outbound_automation_at = (SELECT MAX(last_outbound_automation_at) FROM customers WHERE id IN ($survivor, $merged)),
                last_channel = COALESCE((SELECT last_channel FROM customers WHERE id IN ($survivor, $merged) AND last_channel IS NOT NULL
                    ORDER BY MAX(COALESCE(last_inbound_at, 0), COALESCE(last_outbound_agent_at, 0), COALESCE(last_outbound_automation_at, 0)) DESC LIMIT 1), last_channel),
                inbound_count = (SELECT SUM(inbound_count) FROM customers WHERE id IN ($survivor, $merged)),
                outbound_count = (SELECT SUM(outbound_count) FROM customers WHERE id IN ($survivor, $merged))
            WHERE id = $survivor
            """, ct, ("$survivor", survivorId.ToString()), ("$merged", mergedId.ToString()));
    }

    /// <summary>Per channel behaviour combined like the customer's, consent the stricter per channel, labels united.</summary>
    private static async Task MergeSideTablesAsync(SqliteConnection connection, SqliteTransaction transaction, Guid survivorId, Guid mergedId, CancellationToken ct)
    {
        (string, object?)[] both = [("$survivor", survivorId.ToString()), ("$merged", mergedId.ToString())];
        await ExecuteAsync(connection, transaction, """
                UPDATE customer_channel_activity AS s SET
                    first_seen_at = MIN(COALESCE(s.first_seen_at, m.first_seen_at), COALESCE(m.first_seen_at, s.first_seen_at)),
                    last_inbound_at = MAX(COALESCE(s.last_inbound_at, m.last_inbound_at), COALESCE(m.last_inbound_at, s.last_inbound_at)),
                    last_outbound_agent_at = MAX(COALESCE(s.last_outbound_agent_at, m.last_outbound_agent_at), COALESCE(m.last_outbound_agent_at, s.last_outbound_agent_at)),
                    last_outbound_automation_at = MAX(COALESCE(s.last_outbound_automation_at, m.last_outbound_automation_at),
                        COALESCE(m.last_outbound_automation_at, s.last_outbound_automation_at)),
                    inbound_count = s.inbound_count + m.inbound_count,
                    outbound_count = s.outbound_count + m.outbound_count
                FROM customer_channel_activity AS m
                WHERE s.customer_id = $survivor AND m.customer_id = $merged AND m.channel = s.channel;
                UPDATE OR IGNORE customer_channel_activity SET customer_id = $survivor WHERE customer_id = $merged;
                DELETE FROM customer_channel_activity WHERE customer_id = $merged;
                """, ct, both);
        // An opt-out on either side wins over an opt-in: the customer said stop on that channel.
        await ExecuteAsync(connection, transaction, $"""
                UPDATE customer_consents AS s SET state = m.state, changed_at = m.changed_at, source = m.source, detail = m.detail, changed_by = m.changed_by
                FROM customer_consents AS m
                WHERE s.customer_id = $survivor AND m.customer_id = $merged AND m.channel = s.channel
                  AND m.state = '{ConsentStates.OptedOut}' AND s.state <> '{ConsentStates.OptedOut}';
                UPDATE OR IGNORE customer_consents SET customer_id = $survivor WHERE customer_id = $merged;
                DELETE FROM customer_consents WHERE customer_id = $merged;
                """, ct, both);
        await ExecuteAsync(connection, transaction, """
                UPDATE OR IGNORE customer_labels SET customer_id = $survivor WHERE customer_id = $merged;
                DELETE FROM customer_labels WHERE customer_id = $merged;
                """, ct, both);
    }

    public Task<UndoResult> UndoMergeAsync(Guid workspaceId, Guid mergeId, Guid? by, DateTimeOffset now, TimeSpan grace, CancellationToken ct = default)
        => WriteAsync(async (connection, transaction) =>
        {
            var found = (await QueryMergesAsync(connection, transaction, "WHERE workspace_id = $workspace AND id = $customer", workspaceId, mergeId, ct)).FirstOrDefault();
            if (found.Merge is null) return new UndoResult(UndoOutcome.NotFound, null, []);
            var (merge, journal) = found;
            var reasons = await WhyUndoIsUntrueAsync(connection, transaction, merge, journal, now, grace, ct);
            if (reasons.Count > 0) return new UndoResult(UndoOutcome.Refused, merge, reasons);

            string survivor = merge.SurvivorId.ToString(), merged = merge.MergedId.ToString();
            var survivorVersion = (long)journal.SurvivorAfter["version"]! + 1;
            var mergedVersion = (long)journal.MergedAfter["version"]! + 1;
            await RestoreRowAsync(connection, transaction, "customers", merge.SurvivorId, journal.SurvivorBefore, ct);
            await RestoreRowAsync(connection, transaction, "customers", merge.MergedId, journal.MergedBefore, ct);
            // Versions only go up: an edit made against the merged survivor is stale now, as it would be after any change.
            await ExecuteAsync(connection, transaction, "UPDATE customers SET version = $version WHERE id = $id", ct, ("$id", survivor), ("$version", survivorVersion));
            await ExecuteAsync(connection, transaction, "UPDATE customers SET version = $version WHERE id = $id", ct, ("$id", merged), ("$version", mergedVersion));
            foreach (var table in CustomerSideTables)
            {
                await ExecuteAsync(connection, transaction, $"DELETE FROM {table} WHERE customer_id IN ($survivor, $merged)", ct, ("$survivor", survivor), ("$merged", merged));
                await InsertRowsAsync(connection, transaction, table, journal.SideBefore.GetValueOrDefault(table) ?? [], ct);
            }
            foreach (var identity in journal.MovedIdentities)
                await ExecuteAsync(connection, transaction,
                    "UPDATE customer_identities SET customer_id = $merged WHERE workspace_id = $workspace AND channel = $channel AND value = $value", ct,
                    ("$merged", merged), ("$workspace", workspaceId.ToString()), ("$channel", identity.Channel), ("$value", identity.Value));
            var mergedName = journal.MergedBefore["display_name"] as string;
            foreach (var id in journal.MovedConversations)
            {
                await ExecuteAsync(connection, transaction, "UPDATE conversations SET customer_id = $merged, customer_name = $name WHERE id = $id", ct,
                    ("$merged", merged), ("$name", mergedName), ("$id", id.ToString()));
                await ExecuteAsync(connection, transaction, "UPDATE messages SET customer_id = $merged WHERE conversation_id = $id", ct, ("$merged", merged), ("$id", id.ToString()));
            }
            foreach (var join in journal.Joins)
            {
                foreach (var chunk in join.Messages.Chunk(500))
                {
                    var names = chunk.Select((_, i) => $"$m{i}").ToList();
                    await ExecuteAsync(connection, transaction,
                        $"UPDATE messages SET conversation_id = $from, customer_id = $merged WHERE id IN ({string.Join(", ", names)})", ct,
                        [("$from", join.From.ToString()), ("$merged", merged), .. chunk.Select((m, i) => (names[i], (object?)m.ToString()))]);
                }
                await RestoreRowAsync(connection, transaction, "conversations", join.From, join.FromBefore, ct);
                await RestoreRowAsync(connection, transaction, "conversations", join.Into, join.IntoBefore, ct);
                string[] pair = [join.From.ToString(), join.Into.ToString()];
                await ExecuteAsync(connection, transaction, "DELETE FROM conversation_reads WHERE conversation_id IN ($a, $b)", ct, ("$a", pair[0]), ("$b", pair[1]));
                await InsertRowsAsync(connection, transaction, "conversation_reads", join.ReadsBefore, ct);
                await ExecuteAsync(connection, transaction, "DELETE FROM conversation_labels WHERE conversation_id IN ($a, $b)", ct, ("$a", pair[0]), ("$b", pair[1]));
                await InsertRowsAsync(connection, transaction, "conversation_labels", join.LabelsBefore, ct);
            }
            foreach (var chunk in journal.MovedChanges.Chunk(500))
            {
                var names = chunk.Select((_, i) => $"$c{i}").ToList();
                await ExecuteAsync(connection, transaction, $"UPDATE customer_profile_changes SET customer_id = $merged WHERE id IN ({string.Join(", ", names)})", ct,
                    [("$merged", merged), .. chunk.Select((c, i) => (names[i], (object?)c.ToString()))]);
            }
            await InsertProfileChangeAsync(connection, transaction, workspaceId, merge.SurvivorId, survivorVersion, "merge-undone", merged, null, by, now, ct);
            await InsertProfileChangeAsync(connection, transaction, workspaceId, merge.MergedId, mergedVersion, "merge-undone", survivor, null, by, now, ct);
            foreach (var id in new[] { merge.SurvivorId, merge.MergedId })
            {
                await ReindexCustomerConversationsAsync(connection, transaction, id, ct);
                await RefreshMatchKeysAsync(connection, transaction, workspaceId, id, ct);
            }
            await ExecuteAsync(connection, transaction, "UPDATE customer_merges SET undone_at = $at, undone_by = $by WHERE id = $id", ct,
                ("$at", now.UtcTicks), ("$by", by?.ToString()), ("$id", merge.Id.ToString()));
            return new UndoResult(UndoOutcome.Undone, merge with { UndoneAt = now, UndoneBy = by }, []);
        }, ct);

    /// <summary>What changed since the merge that undo would silently throw away (empty when undo gives back exactly what was).</summary>
    private static async Task<List<string>> WhyUndoIsUntrueAsync(SqliteConnection connection, SqliteTransaction transaction, CustomerMerge merge, MergeJournal journal,
        DateTimeOffset now, TimeSpan grace, CancellationToken ct)
    {
        var reasons = new List<string>();
        if (merge.UndoneAt is { } undone) return [$"The merge was undone already, at {undone:u}."];
        if (now > merge.MergedAt + grace) reasons.Add($"The merge can be undone until {merge.MergedAt + grace:u}; that time has passed.");
        var survivorNow = await RowAsync(connection, transaction, "customers", merge.SurvivorId, ct);
        if (Differences(journal.SurvivorAfter, survivorNow) is { Count: > 0 } changed)
            reasons.Add($"The surviving customer changed since the merge ({string.Join(", ", changed)}); undo would lose that.");
        if (Differences(journal.MergedAfter, await RowAsync(connection, transaction, "customers", merge.MergedId, ct)) is { Count: > 0 } mergedChanged)
            reasons.Add($"The merged customer changed since the merge ({string.Join(", ", mergedChanged)}).");
        var sideNow = await SideRowsAsync(connection, transaction, [merge.SurvivorId.ToString(), merge.MergedId.ToString()], ct);
        foreach (var table in sideNow.Keys.Where(t => JsonSerializer.Serialize(sideNow[t], Json) != JsonSerializer.Serialize(journal.SideAfter.GetValueOrDefault(t) ?? [], Json)))
            reasons.Add($"The surviving customer's {table.Replace("customer_", "", StringComparison.Ordinal).Replace('_', ' ')} changed since the merge.");
        var identities = (await GetProfileAsync(connection, transaction, merge.WorkspaceId, merge.SurvivorId, ct))?.Identities ?? [];
        if (!identities.SequenceEqual(journal.SurvivorIdentitiesAfter)) reasons.Add("The surviving customer's channel identities changed since the merge.");
        var messages = await CountMessagesAsync(connection, transaction, merge.SurvivorId, ct);
        if (messages != journal.SurvivorMessagesAfter)
            reasons.Add($"{Math.Abs(messages - journal.SurvivorMessagesAfter)} message(s) came or went since the merge: undo cannot tell whose they are.");
        foreach (var join in journal.Joins)
        {
            if (Differences(join.IntoAfter, await RowAsync(connection, transaction, "conversations", join.Into, ct)) is { Count: > 0 } threadChanged)
                reasons.Add($"Conversation {join.Into} changed since the merge ({string.Join(", ", threadChanged)}).");
        }
        return reasons;
    }

    private static List<string> Differences(Dictionary<string, object?> then, Dictionary<string, object?> now)
        => then.Keys.Union(now.Keys).Where(k => !Equals(then.GetValueOrDefault(k), now.GetValueOrDefault(k))).Order(StringComparer.Ordinal).ToList();

    public async Task<CustomerMerge?> GetMergeAsync(Guid workspaceId, Guid mergeId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return (await QueryMergesAsync(connection, null, "WHERE workspace_id = $workspace AND id = $customer", workspaceId, mergeId, ct)).FirstOrDefault().Merge;
    }

    public async Task<IReadOnlyList<CustomerMerge>> ListMergesAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_customer_merges_survivor and ix_customer_merges_merged (a customer takes part in few merges).
        var found = await QueryMergesAsync(connection, null, "WHERE workspace_id = $workspace AND (survivor_id = $customer OR merged_id = $customer)",
            workspaceId, customerId, ct);
        return found.Select(f => f.Merge).OrderByDescending(m => m.MergedAt).ThenBy(m => m.Id).ToList();
    }

    private static async Task<List<(CustomerMerge Merge, MergeJournal Journal)>> QueryMergesAsync(SqliteConnection connection, SqliteTransaction? transaction,
        string where, Guid workspaceId, Guid customerOrMergeId, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, $"""
            SELECT id, workspace_id, survivor_id, merged_id, merged_by, automatic, merged_at, undone_at, undone_by, moved_json, joined_json, journal_json
            FROM customer_merges {where}
            """, ("$workspace", workspaceId.ToString()), ("$customer", customerOrMergeId.ToString()));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var merges = new List<(CustomerMerge, MergeJournal)>();
        while (await reader.ReadAsync(ct))
        {
            var merge = new CustomerMerge(Guid.Parse(reader.GetString(0)), WorkspaceOf(reader, 1), Guid.Parse(reader.GetString(2)), Guid.Parse(reader.GetString(3)),
                NullableGuid(reader, 4), reader.GetInt64(5) != 0, FromTicks(reader.GetInt64(6)),
                JsonSerializer.Deserialize<List<Guid>>(reader.GetString(9), Json) ?? [],
                JsonSerializer.Deserialize<List<JoinedConversation>>(reader.GetString(10), Json) ?? [])
            {
                UndoneAt = reader.IsDBNull(7) ? null : FromTicks(reader.GetInt64(7)),
                UndoneBy = NullableGuid(reader, 8),
            };
            merges.Add((merge, MergeJournal.Read(reader.GetString(11))));
        }
        return merges;
    }

    public async Task<IReadOnlyList<(Guid CustomerId, IReadOnlyList<MatchKey> Keys)>> FindMatchKeysAsync(Guid workspaceId, Guid customerId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // ix_customer_match_keys_value, one seek per key of the customer (a handful).
        var keys = await QueryMatchKeysAsync(connection, """
            SELECT k.customer_id, k.kind, k.value, k.raw, k.verified, k.source FROM customer_match_keys k
            WHERE k.workspace_id = $workspace AND EXISTS (
                SELECT 1 FROM customer_match_keys mine WHERE mine.customer_id = $customer AND mine.workspace_id = $workspace
                  AND mine.kind = k.kind AND mine.value = k.value)
            """, ct, ("$workspace", workspaceId.ToString()), ("$customer", customerId.ToString()));
        return keys.GroupBy(k => k.CustomerId).Select(g => (g.Key, (IReadOnlyList<MatchKey>)g.Select(k => k.Key).ToList())).ToList();
    }

    public async Task<IReadOnlyList<(string Kind, string Value, IReadOnlyList<(Guid CustomerId, MatchKey Key)> Holders)>> ListSharedMatchKeysAsync(Guid workspaceId,
        string? afterValue, int take, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        var shared = new List<(string Kind, string Value)>();
        await using (var command = Command(connection, null, SharedMatchKeysSql, ("$workspace", workspaceId.ToString()), ("$after", afterValue ?? ""), ("$take", take)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) shared.Add((reader.GetString(0), reader.GetString(1)));
        var result = new List<(string, string, IReadOnlyList<(Guid, MatchKey)>)>();
        foreach (var (kind, value) in shared)
        {
            // ix_customer_match_keys_value
            var holders = await QueryMatchKeysAsync(connection, """
                SELECT customer_id, kind, value, raw, verified, source FROM customer_match_keys WHERE workspace_id = $workspace AND kind = $kind AND value = $value
                """, ct, ("$workspace", workspaceId.ToString()), ("$kind", kind), ("$value", value));
            result.Add((kind, value, holders.Select(h => (h.CustomerId, h.Key)).ToList()));
        }
        return result;
    }

    private static async Task<List<(Guid CustomerId, MatchKey Key)>> QueryMatchKeysAsync(SqliteConnection connection, string sql, CancellationToken ct,
        params (string, object?)[] parameters)
    {
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var keys = new List<(Guid, MatchKey)>();
        while (await reader.ReadAsync(ct))
            keys.Add((Guid.Parse(reader.GetString(0)), new MatchKey(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4) != 0, reader.GetString(5))));
        return keys;
    }

    /// <summary>Writes the customer's match keys again from its profile and identities (none for a merged-away customer).</summary>
    private static async Task RefreshMatchKeysAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId, CancellationToken ct)
    {
        if (await GetProfileAsync(connection, transaction, workspaceId, customerId, ct) is { } profile
            && await MergedIntoAsync(connection, transaction, workspaceId, customerId, ct) is null)
            await RefreshMatchKeysAsync(connection, transaction, workspaceId, customerId, profile.Fields, profile.Identities, ct);
        else
            await ExecuteAsync(connection, transaction, "DELETE FROM customer_match_keys WHERE customer_id = $id", ct, ("$id", customerId.ToString()));
    }

    /// <summary>The same from fields and identities already read (a profile write has them: an import writes many).</summary>
    private static async Task RefreshMatchKeysAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId,
        CustomerProfileFields fields, IReadOnlyList<ChannelIdentity> identities, CancellationToken ct)
    {
        // Primary key of customer_match_keys.
        await ExecuteAsync(connection, transaction, "DELETE FROM customer_match_keys WHERE customer_id = $id", ct, ("$id", customerId.ToString()));
        foreach (var key in CustomerMergeRules.MatchKeys(fields, identities))
            await InsertMatchKeyAsync(connection, transaction, workspaceId, customerId, key, ct);
    }

    /// <summary>A new customer's WhatsApp number is a match key from its first message (one row per new customer, none per message).</summary>
    private static async Task InsertIdentityMatchKeysAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId,
        ChannelIdentity identity, CancellationToken ct)
    {
        foreach (var key in CustomerMergeRules.MatchKeys(new CustomerProfileFields(), [identity]))
            await InsertMatchKeyAsync(connection, transaction, workspaceId, customerId, key, ct);
    }

    private const string InsertMatchKeySql = """
        INSERT OR IGNORE INTO customer_match_keys (workspace_id, customer_id, kind, value, raw, verified, source)
        VALUES ($workspace, $customer, $kind, $value, $raw, $verified, $source)
        """;

    private static Task<int> InsertMatchKeyAsync(SqliteConnection connection, SqliteTransaction transaction, Guid workspaceId, Guid customerId, MatchKey key, CancellationToken ct)
        => ExecuteAsync(connection, transaction, InsertMatchKeySql, ct, MatchKeyParameters(workspaceId, customerId, key));

    private static (string, object?)[] MatchKeyParameters(Guid workspaceId, Guid customerId, MatchKey key)
        => [("$workspace", workspaceId.ToString()), ("$customer", customerId.ToString()), ("$kind", key.Kind), ("$value", key.Value),
            ("$raw", key.Raw), ("$verified", key.Verified ? 1 : 0), ("$source", key.Source)];

    public async Task<bool> GetAutoMergeAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await ScalarAsync<long>(connection, null, "SELECT auto_merge FROM customer_settings WHERE workspace_id = $workspace", ct,
            ("$workspace", workspaceId.ToString())) != 0;
    }

    public Task SetAutoMergeAsync(Guid workspaceId, bool on, CancellationToken ct = default)
        => WriteAsync((connection, transaction) => ExecuteAsync(connection, transaction, """
            INSERT INTO customer_settings (workspace_id, auto_merge) VALUES ($workspace, $on)
            ON CONFLICT (workspace_id) DO UPDATE SET auto_merge = excluded.auto_merge
            """, ct, ("$workspace", workspaceId.ToString()), ("$on", on ? 1 : 0)), ct);

    private static Task<long> CountMessagesAsync(SqliteConnection connection, SqliteTransaction transaction, Guid customerId, CancellationToken ct)
        // ix_messages_customer_timeline
        => ScalarAsync<long>(connection, transaction, "SELECT COUNT(*) FROM messages WHERE customer_id = $id", ct, ("$id", customerId.ToString()));

    private static async Task<List<Guid>> IdsAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(ct)) ids.Add(Guid.Parse(reader.GetString(0)));
        return ids;
    }

    /// <summary>
    /// A whole row by id, every column (those other features added too) and its rowid (restored with it: the search index is
    /// keyed by it, and a customer's labels are listed in its order), as plain values.
    /// </summary>
    private static async Task<Dictionary<string, object?>> RowAsync(SqliteConnection connection, SqliteTransaction transaction, string table, Guid id, CancellationToken ct)
        => (await RowsAsync(connection, transaction, table, "id", [id.ToString()], ct)).FirstOrDefault() ?? [];

    private static async Task<List<Dictionary<string, object?>>> RowsAsync(SqliteConnection connection, SqliteTransaction transaction, string table, string keyColumn,
        IReadOnlyList<string> keys, CancellationToken ct)
    {
        var names = keys.Select((_, i) => $"$k{i}").ToList();
        await using var command = Command(connection, transaction,
            $"SELECT rowid, * FROM {table} WHERE {keyColumn} IN ({string.Join(", ", names)})",
            keys.Select((k, i) => (names[i], (object?)k)).ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync(ct))
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        // In one fixed order, so rows read before and after compare equal when they are.
        return rows.OrderBy(r => JsonSerializer.Serialize(r, Json), StringComparer.Ordinal).ToList();
    }

    /// <summary>The rows of the side tables for both customers.</summary>
    private static async Task<Dictionary<string, List<Dictionary<string, object?>>>> SideRowsAsync(SqliteConnection connection, SqliteTransaction transaction,
        IReadOnlyList<string> customerIds, CancellationToken ct)
    {
        var side = new Dictionary<string, List<Dictionary<string, object?>>>(StringComparer.Ordinal);
        foreach (var table in CustomerSideTables)
            side[table] = await RowsAsync(connection, transaction, table, "customer_id", customerIds, ct);
        return side;
    }

    /// <summary>Sets every column of the row back (an UPDATE: the row keeps its rowid).</summary>
    private static Task<int> RestoreRowAsync(SqliteConnection connection, SqliteTransaction transaction, string table, Guid id, Dictionary<string, object?> row, CancellationToken ct)
    {
        var columns = row.Keys.Where(c => c != "id").ToList();
        return ExecuteAsync(connection, transaction, $"UPDATE {table} SET {string.Join(", ", columns.Select((c, i) => $"\"{c}\" = $p{i}"))} WHERE id = $id", ct,
            [("$id", id.ToString()), .. columns.Select((c, i) => ($"$p{i}", row[c]))]);
    }

    private static async Task InsertRowsAsync(SqliteConnection connection, SqliteTransaction transaction, string table, IEnumerable<Dictionary<string, object?>> rows,
        CancellationToken ct)
    {
        foreach (var row in rows)
        {
            var columns = row.Keys.ToList();
            await ExecuteAsync(connection, transaction,
                $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => $"$p{i}"))})", ct,
                columns.Select((c, i) => ($"$p{i}", row[c])).ToArray());
        }
    }

    /// <summary>What a merge changed, as whole rows before and after: enough to put everything back, and to see what changed since.</summary>
    private sealed class MergeJournal
    {
        public Dictionary<string, object?> SurvivorBefore { get; set; } = [];
        public Dictionary<string, object?> MergedBefore { get; set; } = [];
        public Dictionary<string, object?> SurvivorAfter { get; set; } = [];
        public Dictionary<string, object?> MergedAfter { get; set; } = [];
        public Dictionary<string, List<Dictionary<string, object?>>> SideBefore { get; set; } = [];
        public Dictionary<string, List<Dictionary<string, object?>>> SideAfter { get; set; } = [];
        public List<ChannelIdentity> MovedIdentities { get; set; } = [];
        public List<ChannelIdentity> SurvivorIdentitiesAfter { get; set; } = [];
        public List<Guid> MovedConversations { get; set; } = [];
        public List<Guid> MovedChanges { get; set; } = [];
        public List<JoinJournal> Joins { get; set; } = [];
        public long SurvivorMessagesAfter { get; set; }

        /// <summary>JSON numbers come back as <see cref="long"/> (or <see cref="double"/>), strings as strings: the values SQLite gave.</summary>
        public static MergeJournal Read(string json)
        {
            var journal = JsonSerializer.Deserialize<MergeJournal>(json, Json)!;
            Plain(journal.SurvivorBefore);
            Plain(journal.MergedBefore);
            Plain(journal.SurvivorAfter);
            Plain(journal.MergedAfter);
            foreach (var rows in journal.SideBefore.Values.Concat(journal.SideAfter.Values)) rows.ForEach(Plain);
            foreach (var join in journal.Joins)
            {
                Plain(join.FromBefore);
                Plain(join.IntoBefore);
                Plain(join.IntoAfter);
                join.ReadsBefore.ForEach(Plain);
                join.LabelsBefore.ForEach(Plain);
            }
            return journal;
        }

        private static void Plain(Dictionary<string, object?> row)
        {
            foreach (var key in row.Keys.ToList())
            {
                row[key] = row[key] is JsonElement e
                    ? e.ValueKind switch
                    {
                        JsonValueKind.Number => e.TryGetInt64(out var l) ? (object)l : e.GetDouble(),
                        JsonValueKind.String => e.GetString(),
                        _ => null,
                    }
                    : row[key];
            }
        }
    }

    private sealed class JoinJournal
    {
        public Guid From { get; set; }
        public Guid Into { get; set; }
        public Dictionary<string, object?> FromBefore { get; set; } = [];
        public Dictionary<string, object?> IntoBefore { get; set; } = [];
        public Dictionary<string, object?> IntoAfter { get; set; } = [];
        public List<Dictionary<string, object?>> ReadsBefore { get; set; } = [];
        public List<Dictionary<string, object?>> LabelsBefore { get; set; } = [];
        public List<Guid> Messages { get; set; } = [];
    }
}
