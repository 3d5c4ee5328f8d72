using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Crm.Connectors.Connections;

/// <summary>
/// Encrypts a connection's secrets for the store with Data Protection; the key ring is shared by every
/// process of the deployment (see <see cref="SqliteKeyRing"/> / <see cref="MongoKeyRing"/>).
/// </summary>
public sealed class ConnectionSecrets(IDataProtectionProvider protection)
{
    public const string Purpose = "Crm.ChannelConnections.Secrets.v1";

    private readonly IDataProtector protector = protection.CreateProtector(Purpose);

    public string Protect<TSecrets>(TSecrets secrets) => protector.Protect(JsonSerializer.Serialize(secrets));

    public TSecrets Unprotect<TSecrets>(string protectedSecrets)
        => JsonSerializer.Deserialize<TSecrets>(protector.Unprotect(protectedSecrets))
           ?? throw new InvalidDataException("A channel connection's secrets are empty.");
}
