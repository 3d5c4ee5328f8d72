using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Data.Sqlite;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Crm.Connectors.Connections;

/// <summary>
/// Data Protection's key ring as a table of the deployment's SQLite database, so every process that shares
/// the store decrypts what any other encrypted. Data Protection caches the ring and calls this rarely.
/// </summary>
public sealed class SqliteKeyRing(string connectionString) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT xml FROM data_protection_keys ORDER BY id";
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read()) elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO data_protection_keys (friendly_name, xml) VALUES ($name, $xml)";
        command.Parameters.AddWithValue("$name", friendlyName);
        command.Parameters.AddWithValue("$xml", element.ToString(SaveOptions.DisableFormatting));
        command.ExecuteNonQuery();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        // Created here, not at start: Data Protection may read the ring before any hosted service runs.
        command.CommandText = """
            PRAGMA busy_timeout = 5000;
            CREATE TABLE IF NOT EXISTS data_protection_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, friendly_name TEXT NOT NULL, xml TEXT NOT NULL);
            """;
        command.ExecuteNonQuery();
        return connection;
    }
}

/// <summary>Data Protection's key ring as a collection of the distributed MongoDB database.</summary>
public sealed class MongoKeyRing(IMongoDatabase database) : IXmlRepository
{
    private readonly IMongoCollection<KeyDocument> keys = database.GetCollection<KeyDocument>("data_protection_keys")
        .WithWriteConcern(WriteConcern.WMajority)
        .WithReadConcern(ReadConcern.Majority);

    public IReadOnlyCollection<XElement> GetAllElements()
        => keys.Find(FilterDefinition<KeyDocument>.Empty).SortBy(k => k.Id).ToList().Select(k => XElement.Parse(k.Xml)).ToList();

    public void StoreElement(XElement element, string friendlyName)
        => keys.InsertOne(new KeyDocument { Id = ObjectId.GenerateNewId(), FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });

    private sealed class KeyDocument
    {
        [BsonId] public ObjectId Id { get; set; }
        public string FriendlyName { get; set; } = "";
        public string Xml { get; set; } = "";
    }
}
