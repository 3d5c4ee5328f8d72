using Crm.Inbox.Conversations;
using Crm.Inbox.Timelines;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>Workspace labels; a conversation keeps the ids of its labels in an array (multikey index for the filter).</summary>
public sealed partial class MongoInboxStore
{
    private IMongoCollection<LabelDocument> Labels => database.GetCollection<LabelDocument>("labels");

    private static FilterDefinitionBuilder<LabelDocument> LabelFilter => Builders<LabelDocument>.Filter;

    private async Task InitializeLabelsAsync(CancellationToken ct)
    {
        await Labels.Indexes.CreateOneAsync(new CreateIndexModel<LabelDocument>(
            Builders<LabelDocument>.IndexKeys.Ascending(l => l.WorkspaceId).Ascending(l => l.NameKey),
            new CreateIndexOptions { Name = "ux_labels_workspace_name", Unique = true }), cancellationToken: ct);
        await conversations.Indexes.CreateOneAsync(new CreateIndexModel<ConversationDocument>(
            Builders<ConversationDocument>.IndexKeys.Ascending(c => c.WorkspaceId).Ascending(c => c.Labels).Descending(c => c.LastMessageAtTicks),
            new CreateIndexOptions { Name = "ix_conversations_workspace_labels" }), cancellationToken: ct);
    }

    public async Task<Label?> AddLabelAsync(Label label, CancellationToken ct = default)
    {
        return await TryUniqueAsync(() => Labels.InsertOneAsync(ToDocument(label), cancellationToken: ct)) ? label : null;
    }

    public async Task<IReadOnlyList<Label>> ListLabelsAsync(Guid workspaceId, CancellationToken ct = default)
        => (await Labels.Find(LabelFilter.Eq(l => l.WorkspaceId, workspaceId)).Sort(Builders<LabelDocument>.Sort.Ascending(l => l.NameKey)).ToListAsync(ct))
            .Select(ToLabel).ToList();

    public async Task<Label?> GetLabelAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
        => await Labels.Find(LabelFilter.Eq(l => l.Id, id) & LabelFilter.Eq(l => l.WorkspaceId, workspaceId)).FirstOrDefaultAsync(ct) is { } found
            ? ToLabel(found)
            : null;

    public async Task<Label?> UpdateLabelAsync(Guid workspaceId, Guid id, string name, string color, CancellationToken ct = default)
    {
        if (!await TryUniqueAsync(() => Labels.UpdateOneAsync(LabelFilter.Eq(l => l.Id, id) & LabelFilter.Eq(l => l.WorkspaceId, workspaceId),
                Builders<LabelDocument>.Update.Set(l => l.Name, name).Set(l => l.NameKey, name.ToUpperInvariant()).Set(l => l.Color, color),
                cancellationToken: ct))) return null;
        return await GetLabelAsync(workspaceId, id, ct);
    }

    public async Task<bool> DeleteLabelAsync(Guid workspaceId, Guid id, CancellationToken ct = default)
    {
        // One transaction: a crash midway never leaves conversations or customers carrying a label that no longer exists.
        using var session = await database.Client.StartSessionAsync(cancellationToken: ct);
        return await session.WithTransactionAsync(async (s, token) =>
        {
            var deleted = await Labels.DeleteOneAsync(s, LabelFilter.Eq(l => l.Id, id) & LabelFilter.Eq(l => l.WorkspaceId, workspaceId), cancellationToken: token);
            if (deleted.DeletedCount == 0) return false;
            await conversations.UpdateManyAsync(s, ConversationFilter.Eq(c => c.WorkspaceId, workspaceId) & ConversationFilter.AnyEq(c => c.Labels, id),
                Builders<ConversationDocument>.Update.Pull(c => c.Labels, id), cancellationToken: token);
            await RemoveLabelFromCustomersAsync(s, workspaceId, id, token);
            return true;
        }, cancellationToken: ct);
    }

    public async Task<ConversationChanged?> LabelConversationAsync(Guid conversationId, Label label, bool add, string? actor, DateTimeOffset at,
        CancellationToken ct = default)
    {
        var update = add
            ? Builders<ConversationDocument>.Update.AddToSet(c => c.Labels, label.Id)
            : Builders<ConversationDocument>.Update.Pull(c => c.Labels, label.Id);
        // Only the change that actually adds (or removes) it records an entry, however many race.
        var filter = ConversationFilter.Eq(c => c.Id, conversationId)
                     & (add ? ConversationFilter.Not(ConversationFilter.AnyEq(c => c.Labels, label.Id)) : ConversationFilter.AnyEq(c => c.Labels, label.Id));
        var changed = await conversations.UpdateOneAsync(filter, update, cancellationToken: ct);
        var after = await conversations.Find(ConversationFilter.Eq(c => c.Id, conversationId)).FirstOrDefaultAsync(ct);
        if (after is null) return null;
        if (changed.ModifiedCount == 0) return new ConversationChanged(ToConversation(after), []);
        var conversation = ToConversation(after);
        var entry = TimelineEntries.Activity(conversation,
            new ActivityEntry(add ? ActivityKinds.LabelAdded : ActivityKinds.LabelRemoved, add ? null : label.Name, add ? label.Name : null), actor, at);
        await messages.InsertOneAsync(ToDocument(entry), cancellationToken: ct);
        return new ConversationChanged(conversation, [entry]);
    }

    private static LabelDocument ToDocument(Label label) => new()
    {
        Id = label.Id, WorkspaceId = label.WorkspaceId, Name = label.Name, NameKey = label.Name.ToUpperInvariant(), Color = label.Color,
        CreatedAtTicks = label.CreatedAt.UtcTicks,
    };

    private static Label ToLabel(LabelDocument d) => new(d.Id, d.WorkspaceId, d.Name, d.Color, FromTicks(d.CreatedAtTicks));

    private sealed class LabelDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("workspaceId"), BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid WorkspaceId { get; set; }

        [BsonElement("name")] public string Name { get; set; } = "";

        // Upper-cased name: unique per workspace whatever the case.
        [BsonElement("nameKey")] public string NameKey { get; set; } = "";

        [BsonElement("color")] public string Color { get; set; } = "";
        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
    }
}
