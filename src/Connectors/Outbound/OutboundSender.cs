using Crm.Connectors.Connections;
using Crm.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Crm.Connectors.Outbound;

/// <summary>
/// Sends a reply through its conversation's channel connection, whichever provider that is, at most once per
/// message, and always tells the inbox how it ended: accepted, refused, retrying (the provider certainly did not get
/// it; the inbox sends the command again later), or unknown (the provider may have it). It never waits for the bus
/// to retry a send: only infrastructure failures (the ledger's or the connections' store unreachable before
/// claiming) escape as exceptions. What differs by provider is an <see cref="IChannelSender"/>.
/// </summary>
public sealed class OutboundSender(
    IEnumerable<IChannelSender> senders,
    ChannelConnections connections,
    IOutboundLedger ledger,
    TimeProvider clock,
    ILogger<OutboundSender> logger)
{
    private readonly Dictionary<string, IChannelSender> byType = senders.ToDictionary(s => s.ConnectionType, StringComparer.Ordinal);

    public async Task SendAsync(ConsumeContext<SendOutboundMessage> context)
    {
        var command = context.Message;
        // Read before claiming, so a store outage here is retried by the bus with nothing claimed.
        var (connection, sender, unavailable) = await ResolveAsync(command, context.CancellationToken);
        var provider = sender?.Provider ?? "The provider";
        var lease = (sender?.Options ?? DefaultOptions).SendLease();
        var claim = await ledger.ClaimAsync(command.MessageId, lease, context.CancellationToken);
        switch (claim.Outcome)
        {
            case ClaimOutcome.AlreadySent:
                // A redelivery: tell the inbox again (harmless), but do not call the provider.
                await context.Publish(new OutboundMessageAccepted(command.MessageId, command.Channel, claim.ChannelMessageId!, MessageStatuses.Queued, clock.GetUtcNow()));
                return;
            case ClaimOutcome.AlreadyRefused:
                await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, claim.ErrorCode, claim.Reason ?? $"{provider} refused the message.", clock.GetUtcNow()));
                return;
            case ClaimOutcome.InFlight:
                // The live sender reports the outcome; a second report now could only be a guess.
                logger.LogInformation("Message {MessageId} is being sent by another delivery; leaving it to that one", command.MessageId);
                return;
            case ClaimOutcome.OutcomeUnknown:
                await PublishUnknownAsync(context, command, $"An earlier attempt may or may not have reached {provider}; it is not sent again.");
                return;
            case ClaimOutcome.Abandoned:
                logger.LogWarning("Message {MessageId} was claimed by a sender that stopped mid-send; its outcome is unknown", command.MessageId);
                await SettleAsync(command.MessageId, "unknown outcome", () => ledger.RecordUnknownAsync(command.MessageId));
                await PublishUnknownAsync(context, command, $"The sender stopped mid-send; the message may or may not have reached {provider}. It is not sent again.");
                return;
        }

        if (connection is null || sender is null)
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

        SendResult result;
        try
        {
            // Not the consume's token: a send that has started is let finish (it is bounded by the
            // request timeout), so even a stopping process reports what really happened.
            result = await sender.SendAsync(connection, command, CancellationToken.None);
        }
        catch (Exception error) when (error is System.Security.Cryptography.CryptographicException)
        {
            // Senders decrypt before any request: nothing left, and nothing will until the key ring is fixed.
            const string why = "The channel connection's credentials cannot be decrypted (is the Data Protection key ring shared by every process?).";
            logger.LogError("Message {MessageId} was not sent: {Reason}", command.MessageId, why);
            await SettleAsync(command.MessageId, "refusal", () => ledger.RecordRefusedAsync(command.MessageId, SendFailures.ConnectionUnavailable, why));
            await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, SendFailures.ConnectionUnavailable, why, clock.GetUtcNow()));
            return;
        }
        catch (HttpRequestException error) when (NeverReached(error))
        {
            logger.LogWarning("Could not reach {Provider} for message {MessageId} (attempt {Attempt}): {Error}", provider, command.MessageId, command.Attempt, error.Message);
            await SettleAsync(command.MessageId, "release", () => ledger.ReleaseAsync(command.MessageId));
            await ReportUnreachableAsync(context, command, sender, null, $"Could not reach {provider}: {error.Message}", null);
            return;
        }
        catch (Exception error)
        {
            // A timeout or an unreadable answer: the provider may have taken it. Sending again could message the
            // customer twice, so the ledger settles it as unknown and a later status callback can settle it.
            logger.LogWarning(error, "Unknown outcome sending message {MessageId}", command.MessageId);
            await SettleAsync(command.MessageId, "unknown outcome", () => ledger.RecordUnknownAsync(command.MessageId));
            await PublishUnknownAsync(context, command, $"{provider} did not answer; the message may or may not have been sent.");
            return;
        }

        switch (result.Outcome)
        {
            case SendOutcome.Accepted:
                await SettleAsync(command.MessageId, "sent", () => ledger.RecordSentAsync(command.MessageId, result.ChannelMessageId!));
                await context.Publish(new OutboundMessageAccepted(command.MessageId, command.Channel, result.ChannelMessageId!,
                    result.Status ?? MessageStatuses.Queued, clock.GetUtcNow()));
                return;
            case SendOutcome.Refused:
                var code = result.ErrorCode ?? SendFailures.Refused;
                var reason = result.Reason ?? $"{provider} refused the message.";
                logger.LogWarning("{Provider} refused message {MessageId}: {Code} {Reason}", provider, command.MessageId, code, reason);
                // Kept, not released: a stale redelivery must hear the same refusal, not succeed behind a "failed" the agent already saw.
                await SettleAsync(command.MessageId, "refusal", () => ledger.RecordRefusedAsync(command.MessageId, code, reason));
                await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, code, reason, clock.GetUtcNow()));
                return;
            default:
                logger.LogWarning("{Provider} was unavailable for message {MessageId} (attempt {Attempt}): {Code} {Reason}",
                    provider, command.MessageId, command.Attempt, result.ErrorCode, result.Reason);
                await SettleAsync(command.MessageId, "release", () => ledger.ReleaseAsync(command.MessageId));
                await ReportUnreachableAsync(context, command, sender, result.ErrorCode, result.Reason ?? $"{provider} was unavailable.", result.RetryAfter);
                return;
        }
    }

    private static readonly ProviderSendOptions DefaultOptions = new();

    /// <summary>The provider certainly did not get it: the inbox tries again later, or gives up when that would be past the deadline.</summary>
    private async Task ReportUnreachableAsync(ConsumeContext context, SendOutboundMessage command, IChannelSender sender, string? errorCode, string reason, TimeSpan? retryAfter)
    {
        var now = clock.GetUtcNow();
        var delay = sender.Options.NextAttemptDelay(command.Attempt);
        if (retryAfter > delay) delay = retryAfter.Value;
        var nextAttemptAt = now + delay;
        if (nextAttemptAt > command.NotAfter)
        {
            await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, SendFailures.ProviderUnreachable,
                $"{sender.Provider} could not be reached before the send deadline. {reason}", now));
            return;
        }
        await context.Publish(new OutboundMessageRetrying(command.MessageId, command.Channel, command.Attempt, errorCode, reason, nextAttemptAt, now));
    }

    /// <summary>
    /// The connection to send through: the command's, or for commands queued before connections were data (no id),
    /// the enabled connection that owns the command's sender. Null, with the reason in words, when there is none
    /// usable: unknown, disabled, of another workspace, of a type no sender here knows, or not owning the sender the
    /// conversation came in on.
    /// </summary>
    private async Task<(ChannelConnection? Connection, IChannelSender? Sender, string? Unavailable)> ResolveAsync(SendOutboundMessage command, CancellationToken ct)
    {
        ChannelConnection? connection;
        if (command.ConnectionId is { } connectionId)
        {
            connection = await connections.Store.FindAsync(connectionId, ct);
            if (connection is not { Enabled: true }) return (null, null, $"The channel connection {connectionId} is missing or disabled.");
        }
        else if (command.From is { } from)
        {
            connection = await connections.Store.FindEnabledBySenderAsync(from, ct);
            if (connection is null) return (null, null, $"No enabled channel connection sends from {from}.");
        }
        else
        {
            return (null, null, "The reply names neither a channel connection nor a sender.");
        }

        if (!byType.TryGetValue(connection.Type, out var sender))
            return (null, null, $"The channel connection {connection.Id} is of type {connection.Type}, which this process cannot send through.");
        if (command.WorkspaceId != Guid.Empty && connection.WorkspaceId != command.WorkspaceId)
            return (null, sender, $"The channel connection {connection.Id} belongs to another workspace.");
        if (command.From is { } sent && !connection.Senders.Contains(sent, StringComparer.Ordinal))
            return (null, sender, $"{sent} is not one of the senders of channel connection {connection.Id}.");
        return (connection, sender, null);
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

    private static bool NeverReached(HttpRequestException error) => error.HttpRequestError
        is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;
}

/// <summary>Replies on WhatsApp, through Twilio or Meta's Cloud API, whichever the conversation's connection is.</summary>
public sealed class SendWhatsAppMessageConsumer(OutboundSender sender) : IConsumer<SendOutboundMessage>
{
    public Task Consume(ConsumeContext<SendOutboundMessage> context) => sender.SendAsync(context);
}

/// <summary>Replies on WeChat, through the official account's customer-service message API.</summary>
public sealed class SendWeChatMessageConsumer(OutboundSender sender) : IConsumer<SendOutboundMessage>
{
    public Task Consume(ConsumeContext<SendOutboundMessage> context) => sender.SendAsync(context);
}

/// <summary>Replies on Messenger, through the page's Send API.</summary>
public sealed class SendMessengerMessageConsumer(OutboundSender sender) : IConsumer<SendOutboundMessage>
{
    public Task Consume(ConsumeContext<SendOutboundMessage> context) => sender.SendAsync(context);
}
