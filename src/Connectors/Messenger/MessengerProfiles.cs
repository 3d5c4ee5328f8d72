using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Messenger;

/// <summary>
/// Customers' names for Messenger's webhooks, which carry only page-scoped ids. Asked of Meta once per customer and
/// kept, within a time budget per delivery: a slow or refusing Graph API costs a webhook at most the budget and the
/// messages then go on without names, never held back or refused for it.
/// </summary>
public sealed class MessengerProfiles(MessengerClient messenger, IOptions<MessengerOptions> options, TimeProvider clock, ILogger<MessengerProfiles> logger)
{
    /// <summary>Past this many remembered customers the memory starts over, so it cannot grow without end.</summary>
    private const int MaxRemembered = 100_000;

    /// <summary>Lookups at once per delivery: a batch from many new customers does not flood Meta.</summary>
    private const int Parallel = 4;

    private readonly ConcurrentDictionary<(Guid Connection, string Psid), (DateTimeOffset Until, string? Name)> known = new();

    /// <summary>The names Meta gives for <paramref name="psids"/> (absent: unknown), asking only about those not remembered.</summary>
    public async Task<IReadOnlyDictionary<string, string>> NamesAsync(MessengerAccount account, IEnumerable<string> psids, CancellationToken ct)
    {
        var settings = options.Value;
        var names = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        var unknown = new List<string>();
        foreach (var psid in psids.Distinct(StringComparer.Ordinal))
        {
            if (known.TryGetValue((account.ConnectionId, psid), out var remembered) && remembered.Until > now)
            {
                if (remembered.Name is { } name) names[psid] = name;
            }
            else unknown.Add(psid);
        }
        if (unknown.Count == 0 || settings.ProfileLookupBudget <= TimeSpan.Zero) return names;

        if (known.Count > MaxRemembered) known.Clear();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(settings.ProfileLookupBudget);
        using var gate = new SemaphoreSlim(Parallel);
        await Task.WhenAll(unknown.Select(async psid =>
        {
            string? name = null;
            var until = clock.GetUtcNow() + settings.ProfileRetryAfter;
            try
            {
                await gate.WaitAsync(budget.Token);
                try
                {
                    name = await messenger.ProfileNameAsync(account, psid, budget.Token);
                    if (name is not null) until = clock.GetUtcNow() + settings.ProfileCacheFor;
                }
                finally { gate.Release(); }
            }
            catch (Exception error) when (error is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException)
            {
                if (ct.IsCancellationRequested) throw;
                logger.LogInformation("No name for a Messenger customer of page {PageId}: {Reason}", account.PageId,
                    error is OperationCanceledException ? "Meta did not answer within the lookup budget" : error.Message);
            }
            known[(account.ConnectionId, psid)] = (until, name);
            if (name is not null) names[psid] = name;
        }));
        return names;
    }
}
