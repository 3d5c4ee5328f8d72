namespace Crm.Connectors.Spool;

/// <summary>
/// Where a webhook's message goes once its signature checked out. <see cref="AcceptAsync{T}"/> returns only
/// when the message is durably kept somewhere that will deliver it to the inbox, so the webhook may then
/// be acknowledged; if it throws, the provider must be told to retry.
/// </summary>
public interface IInboundSpool
{
    Task AcceptAsync<T>(T message, CancellationToken ct) where T : class;
}
