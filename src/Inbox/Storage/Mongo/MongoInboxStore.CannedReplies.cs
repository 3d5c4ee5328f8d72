using System.Text.RegularExpressions;
using Crm.Inbox.Conversations;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>The workspace's canned replies; the upper-cased shortcut is the unique key, as SQLite's NOCASE index.</summary>
public sealed partial class MongoInboxStore
{
    private IMongoCollection<CannedReplyDocument> CannedReplies => database.GetCollection<CannedReplyDocument>("cannedReplies");

    private static FilterDefinitionBuilder<CannedReplyDocument> CannedFilter => Builders<CannedReplyDocument>.Filter;

    private Task InitializeCannedRepliesAsync(CancellationToken ct)
        => CannedReplies.Indexes.CreateOneAsync(new CreateIndexModel<CannedReplyDocument>(
            Builders<CannedReplyDocument>.IndexKeys.Ascending(r => r.WorkspaceId).Ascending(r => r.ShortcutKey),
            new CreateIndexOptions { Name = "ux_canned_replies_workspace_shortcut", Unique = true }), cancellationToken: ct);

    public async Task<CannedReply?> AddCannedReplyAsync(CannedReply reply, CancellationToken ct = default)
    {
        return await TryUniqueAsync(() => CannedReplies.InsertOneAsync(ToDocument(reply), cancellationToken: ct)) ? reply : null;
    }

    public async Task<IReadOnlyList<CannedReply>> ListCannedRepliesAsync(Guid workspaceId, string? prefix, CancellationToken ct = default)
    {
        var filter = CannedFilter.Eq(r => r.WorkspaceId, workspaceId);
        // A prefix on the upper-cased key is a range of ux_canned_replies_workspace_shortcut.
        if (!string.IsNullOrEmpty(prefix)) filter &= CannedFilter.Regex(r => r.ShortcutKey, new BsonRegularExpression("^" + Regex.Escape(prefix.ToUpperInvariant())));
        return (await CannedReplies.Find(filter).Sort(Builders<CannedReplyDocument>.Sort.Ascending(r => r.ShortcutKey)).ToListAsync(ct)).Select(ToCannedReply).ToList();
    }

    public async Task<CannedReply?> GetCannedReplyAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => await CannedReplies.Find(CannedFilter.Eq(r => r.Id, id) & CannedFilter.Eq(r => r.WorkspaceId, workspaceId)).FirstOrDefaultAsync(ct) is { } found
            ? ToCannedReply(found)
            : null;

    public async Task<CannedReply?> UpdateCannedReplyAsync(Guid workspaceId, Guid id, string shortcut, string content, CancellationToken ct = default)
    {
        if (!await TryUniqueAsync(() => CannedReplies.UpdateOneAsync(CannedFilter.Eq(r => r.Id, id) & CannedFilter.Eq(r => r.WorkspaceId, workspaceId),
                Builders<CannedReplyDocument>.Update.Set(r => r.Shortcut, shortcut).Set(r => r.ShortcutKey, shortcut.ToUpperInvariant()).Set(r => r.Content, content),
                cancellationToken: ct))) return null;
        return await GetCannedReplyAsync(workspaceId, id, ct);
    }

    public async Task<bool> DeleteCannedReplyAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => (await CannedReplies.DeleteOneAsync(CannedFilter.Eq(r => r.Id, id) & CannedFilter.Eq(r => r.WorkspaceId, workspaceId), ct)).DeletedCount > 0;

    private static CannedReplyDocument ToDocument(CannedReply reply) => new()
    {
        Id = reply.Id, WorkspaceId = reply.WorkspaceId, Shortcut = reply.Shortcut, ShortcutKey = reply.Shortcut.ToUpperInvariant(),
        Content = reply.Content, CreatedAtTicks = reply.CreatedAt.UtcTicks,
    };

    private static CannedReply ToCannedReply(CannedReplyDocument d) => new(d.Id, d.WorkspaceId, d.Shortcut, d.Content, FromTicks(d.CreatedAtTicks));

    private sealed class CannedReplyDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("shortcut")] public string Shortcut { get; set; } = "";
        [BsonElement("shortcutKey")] public string ShortcutKey { get; set; } = "";
        [BsonElement("content")] public string Content { get; set; } = "";
        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
    }
}
