namespace Crm.Inbox.Replies;

/// <summary>Wakes this process's dispatcher at once when a reply is written here, instead of at its next poll.</summary>
public sealed class ReplyDispatchSignal
{
    private readonly SemaphoreSlim wake = new(0, 1);

    public void Wake()
    {
        // One pending wake-up is enough: the dispatcher takes every due reply per pass.
        try { wake.Release(); }
        catch (SemaphoreFullException) { }
    }

    /// <summary>Returns when woken or after <paramref name="timeout"/>.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => wake.WaitAsync(timeout, ct);
}
