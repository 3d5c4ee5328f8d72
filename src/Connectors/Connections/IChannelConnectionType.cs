using System.Text.Json;
using Crm.Contracts;

namespace Crm.Connectors.Connections;

/// <summary>
/// What one connection type (a provider) brings to the shared connection model: how an admin's settings are
/// validated into what is stored, how they are shown (never a secret), the webhook URLs to paste into the
/// provider's console, and how the credentials are tested. Each provider folder registers one; the admin API,
/// the store and the caches are the same for all of them.
/// </summary>
public interface IChannelConnectionType
{
    /// <summary>A <see cref="ChannelConnectionTypes"/> value.</summary>
    string Type { get; }

    /// <summary>The <see cref="Channels"/> value its conversations are on.</summary>
    string Channel { get; }

    /// <summary>The property of the admin API's requests and views that holds this type's settings, e.g. <c>wechat</c>.</summary>
    string SettingsProperty { get; }

    string DefaultDisplayName { get; }

    /// <summary>
    /// Applies <paramref name="input"/> (the <see cref="SettingsProperty"/> of a request; null when absent) over
    /// <paramref name="existing"/> (null when creating: then everything required must be given). Adds errors keyed
    /// <c>{SettingsProperty}.{field}</c> and returns null when anything is wrong. Secrets not given are kept.
    /// </summary>
    StoredSettings? Apply(JsonElement? input, ChannelConnection? existing, Dictionary<string, string[]> errors);

    /// <summary>The settings as the admin API shows them: identifiers and whether each secret is set, never a secret.</summary>
    object View(ChannelConnection connection);

    /// <summary>The paths (from the public base URL) the provider calls, by what they are for (<c>messages</c>, <c>status</c>…).</summary>
    IReadOnlyDictionary<string, string> WebhookPaths(Guid connectionId);

    /// <summary>Asks the provider whether the stored credentials work; never throws for an answer or an unreachable provider.</summary>
    Task<ConnectionCheck> TestAsync(ChannelConnection connection, CancellationToken ct);

    /// <summary>The provider's approved templates, for providers with an API for them; null when templates are entered by hand only.</summary>
    Task<TemplateSync?> FetchTemplatesAsync(ChannelConnection connection, CancellationToken ct) => Task.FromResult<TemplateSync?>(null);
}

/// <summary>What a connection stores for its type: settings as JSON, its secrets encrypted, the business identities it answers for.</summary>
public sealed record StoredSettings(string SettingsJson, string ProtectedSecrets, IReadOnlyList<string> Senders);

/// <summary>Whether a connection's credentials work, in words for the admin.</summary>
public sealed record ConnectionCheck(bool Ok, string Message);

/// <summary>The templates a provider returned, or why none could be read (<see cref="Error"/>, in words).</summary>
public sealed record TemplateSync(IReadOnlyList<MessageTemplate> Templates, string? Error);

/// <summary>The registered connection types, by type.</summary>
public sealed class ChannelConnectionTypeRegistry(IEnumerable<IChannelConnectionType> types)
{
    private readonly Dictionary<string, IChannelConnectionType> byType = types.ToDictionary(t => t.Type, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Types => byType.Keys;

    public IChannelConnectionType? Find(string type) => byType.GetValueOrDefault(type);

    public IChannelConnectionType Of(ChannelConnection connection)
        => Find(connection.Type) ?? throw new InvalidDataException($"Channel connection {connection.Id} has type {connection.Type}, which this build does not know.");
}

/// <summary>Helpers the types share for reading and checking admin input.</summary>
public static class ConnectionInput
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The input as <typeparamref name="T"/>; null (with an error) when it is not an object of that shape.</summary>
    public static T? Read<T>(JsonElement? input, string property, Dictionary<string, string[]> errors) where T : class
    {
        if (input is not { } element || element.ValueKind == JsonValueKind.Null) return null;
        try
        {
            if (element.ValueKind == JsonValueKind.Object) return element.Deserialize<T>(Json);
        }
        catch (JsonException)
        {
        }
        errors[property] = [$"{property} must be an object with this type's settings."];
        return null;
    }

    /// <summary>A required text (given now, or kept from before), 1 to <paramref name="max"/> characters without control characters.</summary>
    public static string? Text(string? given, string? existing, string field, int max, Dictionary<string, string[]> errors, string? hint = null)
    {
        var value = given?.Trim() ?? existing;
        if (value is { Length: > 0 } && value.Length <= max && !value.Any(char.IsControl)) return value;
        errors[field] = [hint ?? $"{field} is required: 1 to {max} characters."];
        return null;
    }

    /// <summary>An optional absolute http(s) URL without credentials; empty clears it back to the provider's own.</summary>
    public static Uri? Url(string? given, Uri? existing, string field, Dictionary<string, string[]> errors)
    {
        if (given is null) return existing;
        if (given.Length == 0) return null;
        if (Uri.TryCreate(given, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && parsed.UserInfo.Length == 0) return parsed;
        errors[field] = [$"{field} must be an absolute http(s) URL, or empty for the provider's own API."];
        return existing;
    }

    public static string Serialize<T>(T settings) => JsonSerializer.Serialize(settings, Json);

    public static T Settings<T>(ChannelConnection connection)
        => JsonSerializer.Deserialize<T>(connection.SettingsJson, Json) ?? throw new InvalidDataException($"Channel connection {connection.Id} has no settings.");
}
