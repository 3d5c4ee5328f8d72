namespace Crm.Connectors.Twilio;

/// <summary>Each connection has its own webhook URLs, so a webhook names the account whose token signed it.</summary>
public static class TwilioWebhookPaths
{
    public const string MessagesRoute = "/webhooks/twilio/{connectionId:guid}";
    public const string StatusRoute = "/webhooks/twilio/{connectionId:guid}/status";

    public static string MessagesOf(Guid connectionId) => $"/webhooks/twilio/{connectionId}";

    public static string StatusOf(Guid connectionId) => $"/webhooks/twilio/{connectionId}/status";
}
