using Crm.Connectors.Outbound;
using Crm.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Twilio;

/// <summary>Sends an agent's reply through Twilio's WhatsApp sender, at most once per message.</summary>
public sealed class SendWhatsAppMessageConsumer(
    TwilioMessagesClient twilio,
    IOutboundLedger ledger,
    IOptions<TwilioOptions> options,
    TimeProvider clock,
    ILogger<SendWhatsAppMessageConsumer> logger) : IConsumer<SendOutboundMessage>
{
    public async Task Consume(ConsumeContext<SendOutboundMessage> context)
    {
        var command = context.Message;
        var claim = await ledger.ClaimAsync(command.MessageId);
        switch (claim.Outcome)
        {
            case ClaimOutcome.AlreadySent:
                // A redelivery: tell the inbox again (harmless), but do not call Twilio.
                await context.Publish(new OutboundMessageAccepted(command.MessageId, command.Channel, claim.ChannelMessageId!, MessageStatuses.Queued, clock.GetUtcNow()));
                return;
            case ClaimOutcome.InFlight:
                throw new InvalidOperationException($"Message {command.MessageId} is being sent by another delivery; retrying later.");
        }

        var settings = options.Value;
        TwilioSendResult result;
        try
        {
            result = await twilio.SendAsync(settings.WhatsAppFrom, WhatsAppNumbers.ToWhatsAppAddress(command.To), command.Text,
                StatusCallbackFor(settings, command.MessageId), context.CancellationToken);
        }
        catch (HttpRequestException error) when (NeverReachedTwilio(error))
        {
            // Nothing was sent: let the bus retry.
            await ledger.ReleaseAsync(command.MessageId);
            throw;
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException && !context.CancellationToken.IsCancellationRequested)
        {
            // Twilio may have taken the request without us hearing its answer. Retrying could message
            // the customer twice, so the claim stays and the agent is told to check.
            logger.LogWarning(error, "Unknown outcome sending message {MessageId}", command.MessageId);
            await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, "unknown-outcome",
                "Twilio did not answer; the message may or may not have been sent.", clock.GetUtcNow()));
            return;
        }

        if (result.Accepted)
        {
            await ledger.RecordSentAsync(command.MessageId, result.Sid!);
            await context.Publish(new OutboundMessageAccepted(command.MessageId, command.Channel, result.Sid!,
                TwilioStatuses.ToInboxStatus(result.Status) ?? MessageStatuses.Queued, clock.GetUtcNow()));
            return;
        }

        logger.LogWarning("Twilio refused message {MessageId}: {Code} {Reason}", command.MessageId, result.ErrorCode, result.ErrorMessage);
        await ledger.ReleaseAsync(command.MessageId);
        await context.Publish(new OutboundMessageFailed(command.MessageId, command.Channel, result.ErrorCode,
            result.ErrorMessage ?? "Twilio refused the message.", clock.GetUtcNow()));
    }

    private static bool NeverReachedTwilio(HttpRequestException error) => error.HttpRequestError
        is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError;

    /// <summary>
    /// The callback names our message id, so a status that arrives before the send's answer is
    /// recorded still finds its message. Twilio can only call back when we know our public URL.
    /// </summary>
    private static Uri? StatusCallbackFor(TwilioOptions settings, Guid messageId)
        => settings.PublicBaseUrl is null
            ? null
            : new Uri($"{settings.PublicBaseUrl.ToString().TrimEnd('/')}{TwilioWebhookPaths.Status}?messageId={messageId}");
}

public static class TwilioWebhookPaths
{
    public const string WhatsApp = "/webhooks/twilio/whatsapp";
    public const string Status = "/webhooks/twilio/status";
}
