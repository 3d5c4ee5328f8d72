using MongoDB.Driver;

namespace Crm.Inbox.Storage.Mongo;

/// <summary>Writes that a unique index may refuse (a name or shortcut the workspace already uses): refused is an answer, not an error.</summary>
public sealed partial class MongoInboxStore
{
    /// <summary>False when a unique index refused it.</summary>
    private static async Task<bool> TryUniqueAsync(Func<Task> write)
    {
        try
        {
            await write();
            return true;
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            return false;
        }
    }
}
