using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Inbox.Workspaces.Mongo;

public sealed class MongoWorkspaceStore(IMongoDatabase database) : IWorkspaceStore
{
    private readonly IMongoCollection<WorkspaceDocument> workspaces = database.GetCollection<WorkspaceDocument>("workspaces");

    // Lookups are by _id only: no index beyond the default one.
    public Task InitializeAsync(CancellationToken ct = default) => Task.CompletedTask;

    public async Task<bool> TryCreateAsync(Workspace workspace, CancellationToken ct = default)
    {
        try
        {
            await workspaces.InsertOneAsync(new WorkspaceDocument
            {
                Id = workspace.Id, Name = workspace.Name, CreatedAtTicks = workspace.CreatedAt.UtcTicks,
            }, cancellationToken: ct);
            return true;
        }
        catch (MongoWriteException error) when (error.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            return false;
        }
    }

    public async Task<Workspace?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var document = await workspaces.Find(w => w.Id == id).FirstOrDefaultAsync(ct);
        return document is null ? null : new Workspace(document.Id, document.Name, new DateTimeOffset(document.CreatedAtTicks, TimeSpan.Zero));
    }

    private sealed class WorkspaceDocument
    {
        [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)]
        public Guid Id { get; set; }

        [BsonElement("name")] public string Name { get; set; } = "";
        [BsonElement("createdAtTicks")] public long CreatedAtTicks { get; set; }
    }
}
