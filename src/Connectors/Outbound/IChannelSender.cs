using Crm.Connectors.Connections;
using Crm.Contracts;

namespace Crm.Connectors.Outbound;

public enum SendOutcome
{
    /// <summary>The provider took the message.</summary>
    Accepted,

    /// <summary>The provider answered with a refusal: it created no message, and will not.</summary>
    Refused,

    /// <summary>The provider answered "busy" (429, 5xx, or its own code for it) to every inline attempt: nothing was sent, but may be later.</summary>
    Unavailable,
}

/// <summary>The outcome of one send: the provider's message id, or why the provider did not take it.</summary>
/// <param name="Status">The provider's first status as a <see cref="MessageStatuses"/> value; null reads as queued.</param>
/// <param name="ErrorCode">Crm's reason (<see cref="SendFailures"/>) where the provider's code maps to one, else the provider's code.</param>
/// <param name="Reason">In words, with the provider's own code and message.</param>
/// <param name="RetryAfter">The provider's Retry-After when it asked for a longer wait than an inline retry allows.</param>
public sealed record SendResult(SendOutcome Outcome, string? ChannelMessageId, string? Status, string? ErrorCode, string? Reason, TimeSpan? RetryAfter = null)
{
    public static SendResult Accepted(string channelMessageId, string? status = null) => new(SendOutcome.Accepted, channelMessageId, status, null, null);

    public static SendResult Refused(string? errorCode, string reason) => new(SendOutcome.Refused, null, null, errorCode, reason);

    public static SendResult Unavailable(string? errorCode, string reason, TimeSpan? retryAfter = null) => new(SendOutcome.Unavailable, null, null, errorCode, reason, retryAfter);
}

/// <summary>
/// Sends one message through one connection type's provider; <see cref="OutboundSender"/> does the rest (the
/// ledger that keeps it to once, the reports to the inbox). An exception means there was no answer:
/// an <see cref="HttpRequestException"/> saying the request never left (connection refused, DNS) is retried
/// later; a <see cref="System.Security.Cryptography.CryptographicException"/> (secrets are decrypted before any request)
/// refuses it; anything else (a timeout, an unreadable answer) leaves the outcome unknown, and it is never sent again.
/// </summary>
public interface IChannelSender
{
    /// <summary>A <see cref="ChannelConnectionTypes"/> value.</summary>
    string ConnectionType { get; }

    /// <summary>The provider's name in words ("Twilio", "WeChat"…), for failure reasons agents read.</summary>
    string Provider { get; }

    /// <summary>How the sender retries: its inline attempts and waits, and so how long a send may hold its ledger claim.</summary>
    ProviderSendOptions Options { get; }

    /// <summary>Sends <paramref name="command"/> (its text, or its template) through <paramref name="connection"/>, trying again inline only where nothing can have been sent.</summary>
    Task<SendResult> SendAsync(ChannelConnection connection, SendOutboundMessage command, CancellationToken ct);
}
