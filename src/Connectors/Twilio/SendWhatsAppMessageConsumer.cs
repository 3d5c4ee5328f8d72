using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Crm.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Twilio;

/// <summary>
/// Sends an agent's reply through Twilio's WhatsApp sender, at most once per message, and always tells the
/// inbox how it ended: accepted, refused, retrying (Twilio certainly did not get it; the inbox sends the
/// command again later), or unknown (Twilio may have it). It never waits for the bus to retry a send:
/// only infrastructure failures (the ledger's or the connections' store unreachable before claiming) escape as exceptions.
/// The reply goes out through the command's channel connection: its account, credentials and API.
/// </summary>
public sealed class SendWhatsAppMessageConsumer(
    TwilioMessagesClient twilio,
    ChannelConnections connections,
    IOutboundLedger ledger,
    IOptions<TwilioOptions> options,
    TimeProvider clock,
    ILogger<SendWhatsAppMessageConsumer> logger) : IConsumer<SendOutboundMessage>
{
    public async Task Consume(ConsumeContext<SendOutboundMessage> context)
    {
        var command = context.Message;
        var settings = options.Value;
        // Read before claiming, so a store outage here is retried by the bus with nothing claimed.
        var (account, unavailable) = await ResolveAccountAsync(command, context.CancellationToken);
        var claim = await ledger.ClaimAsync(command.MessageId, settings.SendLease(), context.CancellationToken);
        switch (claim.Outcome)
        {
            case ClaimOutcome.AlreadySent:
                // A redelivery: tell the inbox again (harmless), but do not call Twilio.
                await context.Publish(new OutboundMessageAccepted(command.MessageId, command.Channel, claim.ChannelMessageId!, MessageStatuses.Queued, clock.GetUtcNow()));
                return;
            case ClaimOutcome.AlreadyRefused:
                await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, claim.ErrorCode, claim.Reason ?? "Twilio refused the message.", clock.GetUtcNow()));
                return;
            case ClaimOutcome.InFlight:
                // The live sender reports the outcome; a second report now could only be a guess.
                logger.LogInformation("Message {MessageId} is being sent by another delivery; leaving it to that one", command.MessageId);
                return;
            case ClaimOutcome.OutcomeUnknown:
                await PublishUnknownAsync(context, command, "An earlier attempt may or may not have reached Twilio; it is not sent again.");
                return;
            case ClaimOutcome.Abandoned:
                logger.LogWarning("Message {MessageId} was claimed by a sender that stopped mid-send; its outcome is unknown", command.MessageId);
                await SettleAsync(command.MessageId, "unknown outcome", () => ledger.RecordUnknownAsync(command.MessageId));
                await PublishUnknownAsync(context, command, "The sender stopped mid-send; the message may or may not have reached Twilio. It is not sent again.");
                return;
        }

        if (account is null)
        {
            logger.LogWarning("Message {MessageId} was not sent: {Reason}", command.MessageId, unavailable);
            // Kept as a refusal: a redelivery after the connection comes back must not send behind a "failed" the agent saw.
            await SettleAsync(command.MessageId, "refusal", () => ledger.RecordRefusedAsync(command.MessageId, SendFailures.ConnectionUnavailable, unavailable!));
            await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, SendFailures.ConnectionUnavailable, unavailable!, clock.GetUtcNow()));
            return;
        }

        if (clock.GetUtcNow() >= command.NotAfter)
        {
            await SettleAsync(command.MessageId, "release", () => ledger.ReleaseAsync(command.MessageId));
            await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, SendFailures.Expired,
                "The reply reached the connector after its send deadline; it was not sent.", clock.GetUtcNow()));
            return;
        }

        TwilioSendResult result;
        try
        {
            // Not the consume's token: a send that has started is let finish (it is bounded by the
            // request timeout), so even a stopping process reports what really happened.
            var from = command.From ?? account.Senders.Order(StringComparer.Ordinal).First();
            result = await twilio.SendAsync(account, WhatsAppNumbers.ToWhatsAppAddress(from), WhatsAppNumbers.ToWhatsAppAddress(command.To), command.Text,
                StatusCallbackFor(settings, account.ConnectionId, command.MessageId), command.NotAfter, CancellationToken.None);
        }
        catch (HttpRequestException error) when (NeverReachedTwilio(error))
        {
            logger.LogWarning("Could not reach Twilio for message {MessageId} (attempt {Attempt}): {Error}", command.MessageId, command.Attempt, error.Message);
            await SettleAsync(command.MessageId, "release", () => ledger.ReleaseAsync(command.MessageId));
            await ReportUnreachableAsync(context, command, null, $"Could not reach Twilio: {error.Message}", null);
            return;
        }
        catch (Exception error)
        {
            // A timeout or an unreadable answer: Twilio may have taken it. Sending again could message the
            // customer twice, so the ledger settles it as unknown and a later status callback can settle it.
            logger.LogWarning(error, "Unknown outcome sending message {MessageId}", command.MessageId);
            await SettleAsync(command.MessageId, "unknown outcome", () => ledger.RecordUnknownAsync(command.MessageId));
            await PublishUnknownAsync(context, command, "Twilio did not answer; the message may or may not have been sent.");
            return;
        }

        switch (result.Outcome)
        {
            case TwilioSendOutcome.Accepted:
                await SettleAsync(command.MessageId, "sent", () => ledger.RecordSentAsync(command.MessageId, result.Sid!));
                await context.Publish(new OutboundMessageAccepted(command.MessageId, command.Channel, result.Sid!,
                    TwilioStatuses.ToInboxStatus(result.Status) ?? MessageStatuses.Queued, clock.GetUtcNow()));
                return;
            case TwilioSendOutcome.Refused:
                var code = result.ErrorCode ?? SendFailures.Refused;
                var reason = result.ErrorMessage ?? "Twilio refused the message.";
                logger.LogWarning("Twilio refused message {MessageId}: {Code} {Reason}", command.MessageId, code, reason);
                // Kept, not released: a stale redelivery must hear the same refusal, not succeed behind a "failed" the agent already saw.
                await SettleAsync(command.MessageId, "refusal", () => ledger.RecordRefusedAsync(command.MessageId, code, reason));
                await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, code, reason, clock.GetUtcNow()));
                return;
            default:
                logger.LogWarning("Twilio was unavailable for message {MessageId} (attempt {Attempt}): {Code} {Reason}",
                    command.MessageId, command.Attempt, result.ErrorCode, result.ErrorMessage);
                await SettleAsync(command.MessageId, "release", () => ledger.ReleaseAsync(command.MessageId));
                await ReportUnreachableAsync(context, command, result.ErrorCode, result.ErrorMessage ?? "Twilio was unavailable.", result.RetryAfter);
                return;
        }
    }

    /// <summary>Twilio certainly did not get it: the inbox tries again later, or gives up when that would be past the deadline.</summary>
    private async Task ReportUnreachableAsync(ConsumeContext context, SendOutboundMessage command, string? errorCode, string reason, TimeSpan? retryAfter)
    {
        var now = clock.GetUtcNow();
        var delay = options.Value.NextAttemptDelay(command.Attempt);
        if (retryAfter > delay) delay = retryAfter.Value;
        var nextAttemptAt = now + delay;
        if (nextAttemptAt > command.NotAfter)
        {
            await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, SendFailures.ProviderUnreachable,
                $"Twilio could not be reached before the send deadline. {reason}", now));
            return;
        }
        await context.Publish(new OutboundMessageRetrying(command.MessageId, command.Channel, command.Attempt, errorCode, reason, nextAttemptAt, now));
    }

    /// <summary>
    /// The connection to send through: the command's, or for commands queued before connections were data (no
    /// id), the enabled connection that owns the command's sender. Null, with the reason in words, when there is none
    /// usable: unknown, disabled, of another workspace, or not owning the sender the conversation came in on.
    /// </summary>
    private async Task<(TwilioAccount? Account, string? Unavailable)> ResolveAccountAsync(SendOutboundMessage command, CancellationToken ct)
    {
        string? sender;
        try
        {
            sender = command.From is { } from ? WhatsAppNumbers.Identity(from) : null;
        }
        catch (FormatException error)
        {
            return (null, $"The reply's sender is unreadable: {error.Message}");
        }
        TwilioAccount? account;
        try
        {
            if (command.ConnectionId is { } connectionId)
            {
                account = await connections.TwilioAccountAsync(connectionId, ct);
                if (account is null) return (null, $"The channel connection {connectionId} is missing or disabled.");
            }
            else if (sender is not null)
            {
                account = await connections.TwilioAccountForSenderAsync(sender, ct);
                if (account is null) return (null, $"No enabled channel connection sends from {sender}.");
            }
            else
            {
                return (null, "The reply names neither a channel connection nor a sender.");
            }
        }
        catch (Exception error) when (error is System.Security.Cryptography.CryptographicException or FormatException)
        {
            return (null, "The channel connection's credentials cannot be decrypted (is the Data Protection key ring shared by every process?).");
        }

        if (command.WorkspaceId != Guid.Empty && account.WorkspaceId != command.WorkspaceId)
            return (null, $"The channel connection {account.ConnectionId} belongs to another workspace.");
        if (sender is not null && !account.Owns(sender))
            return (null, $"{sender} is not one of the numbers of channel connection {account.ConnectionId}.");
        return (account, null);
    }

    private Task PublishUnknownAsync(ConsumeContext context, SendOutboundMessage command, string reason)
        => context.Publish(new OutboundMessageOutcomeUnknown(command.MessageId, command.Channel, reason, clock.GetUtcNow()));

    /// <summary>
    /// Writes what happened to the ledger after the claim, riding out a brief store outage. It never throws:
    /// a bus retry would find this delivery's own claim and take it for another sender. If the write is lost,
    /// the claim reads as abandoned once its lease ends, so the message is still never sent twice.
    /// </summary>
    private async Task SettleAsync(Guid messageId, string what, Func<Task> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write();
                return;
            }
            catch (Exception error) when (attempt < 3)
            {
                logger.LogWarning(error, "Recording {What} for message {MessageId} in the outbound ledger failed; trying again", what, messageId);
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), clock);
            }
            catch (Exception error)
            {
                logger.LogError(error, "Could not record {What} for message {MessageId} in the outbound ledger", what, messageId);
                return;
            }
        }
    }

    private static bool NeverReachedTwilio(HttpRequestException error) => error.HttpRequestError
        is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;

    /// <summary>
    /// The callback names our message id, so a status that arrives before the send's answer is
    /// recorded still finds its message. Twilio can only call back when we know our public URL.
    /// </summary>
    private static Uri? StatusCallbackFor(TwilioOptions settings, Guid connectionId, Guid messageId)
        => settings.PublicBaseUrl is null
            ? null
            : new Uri($"{settings.PublicBaseUrl.ToString().TrimEnd('/')}{TwilioWebhookPaths.StatusOf(connectionId)}?messageId={messageId}");
}

/// <summary>Each connection has its own webhook URLs, so a webhook names the account whose token signed it.</summary>
public static class TwilioWebhookPaths
{
    public const string MessagesRoute = "/webhooks/twilio/{connectionId:guid}";
    public const string StatusRoute = "/webhooks/twilio/{connectionId:guid}/status";

    public static string MessagesOf(Guid connectionId) => $"/webhooks/twilio/{connectionId}";

    public static string StatusOf(Guid connectionId) => $"/webhooks/twilio/{connectionId}/status";
}
