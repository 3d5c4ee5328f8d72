namespace Crm.Connectors.Connections;

/// <summary>
/// One provider account a workspace talks to its customers through (a Twilio account and its WhatsApp senders
/// today; a WeChat official account, a Messenger page or a WhatsApp Cloud number next). What differs by type
/// lives in <see cref="SettingsJson"/> (non-secret, readable) and <see cref="ProtectedSecrets"/> (encrypted
/// with Data Protection, never returned nor logged). <see cref="Senders"/> are the business identities the
/// connection answers for, kept beside the settings so the store can keep each one to a single enabled connection.
/// </summary>
public sealed record ChannelConnection(
    Guid Id,
    Guid WorkspaceId,
    string Type,
    string DisplayName,
    bool Enabled,
    Guid? RoutingTeamId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<string> Senders,
    string SettingsJson,
    string ProtectedSecrets)
{
    /// <summary>The templates agents and campaigns may send through it when the reply window is closed.</summary>
    public IReadOnlyList<Crm.Contracts.MessageTemplate> Templates { get; init; } = [];
}

/// <summary>Connection types. Values are stored, so never rename one.</summary>
public static class ChannelConnectionTypes
{
    public const string TwilioWhatsApp = "twilio-whatsapp";
    public const string WhatsAppCloud = "whatsapp-cloud";
    public const string WeChat = "wechat";
    public const string Messenger = "messenger";
}

/// <summary>A sender is already answered by another enabled connection of this deployment.</summary>
public sealed class SenderTakenException(string sender)
    : Exception($"{sender} already belongs to another enabled channel connection.")
{
    public string Sender { get; } = sender;
}
