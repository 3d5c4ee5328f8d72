namespace Crm.Inbox.Customers.Import;

/// <summary>What applying an imported row to an existing customer changes; the same in both stores.</summary>
public static class CustomerImportChanges
{
    /// <summary>
    /// Only the row's non-empty cells change a field; phones and emails are added to the customer's, never removed
    /// (a CSV without the work number does not mean the customer lost it).
    /// </summary>
    public static CustomerProfileFields Apply(CustomerProfileFields current, ImportRecord record) => current with
    {
        Name = record.Name ?? current.Name,
        Language = record.Language ?? current.Language,
        TimeZone = record.TimeZone ?? current.TimeZone,
        Birthday = record.Birthday ?? current.Birthday,
        Company = record.Company ?? current.Company,
        Notes = record.Notes ?? current.Notes,
        LifecycleStage = record.LifecycleStage ?? current.LifecycleStage,
        OwnerAgentId = record.OwnerAgentId ?? current.OwnerAgentId,
        ValueTier = record.ValueTier ?? current.ValueTier,
        Phones = [.. current.Phones, .. record.Phones.Where(p => current.Phones.All(c => c.Number != p)).Select(p => new ContactPhone(p, false))],
        Emails = [.. current.Emails, .. record.Emails.Where(e => current.Emails.All(c => !c.Address.Equals(e, StringComparison.OrdinalIgnoreCase)))
            .Select(e => new ContactEmail(e, false))],
        Attributes = record.Attributes.Count == 0 ? current.Attributes
            : current.Attributes.Where(a => !record.Attributes.ContainsKey(a.Key)).Concat(record.Attributes).ToDictionary(),
    };
}

/// <summary>
/// Who holds each phone, email (lower case) and WhatsApp identity a chunk's rows carry, as found in the store at the start
/// of the chunk's transaction and kept up to date as its rows create customers.
/// </summary>
public sealed class ImportMatches
{
    public Dictionary<string, Guid> Phones { get; } = [];
    public Dictionary<string, Guid> Emails { get; } = [];
    public Dictionary<string, Guid> Identities { get; } = [];

    /// <summary>The customer the row meets on the dedupe key; null when none (or the row has no value for the key).</summary>
    private Guid? Match(string dedupeOn, ImportRecord record) => dedupeOn switch
    {
        DedupeKeys.Phone => record.Phones.Select(p => Phones.TryGetValue(p, out var id) ? id : (Guid?)null).FirstOrDefault(id => id is not null),
        DedupeKeys.Email => record.Emails.Select(e => Emails.TryGetValue(e.ToLowerInvariant(), out var id) ? id : (Guid?)null).FirstOrDefault(id => id is not null),
        DedupeKeys.Identity => record.WhatsApp is { } identity && Identities.TryGetValue(identity, out var id) ? id : null,
        _ => null,
    };

    /// <summary>
    /// What to do with the row, the same in both stores: reject it (a WhatsApp number that is another customer's identity:
    /// the reason), skip it (found, and the rule says skip), update the customer found, or create one (no match).
    /// </summary>
    public (string? Rejection, bool Skip, Guid? Update) Decide(DedupeRule dedupe, ImportRecord record)
    {
        var match = Match(dedupe.On, record);
        if (record.WhatsApp is { } whatsApp && Identities.TryGetValue(whatsApp, out var holder) && holder != match)
            return ($"The WhatsApp number {whatsApp} is already another customer's channel identity.", false, null);
        return match is not null && dedupe.WhenFound == WhenFound.Skip ? (null, true, null) : (null, false, match);
    }

    /// <summary>After the row was applied to <paramref name="customerId"/>: later rows with the same keys meet that customer.</summary>
    public void Remember(Guid customerId, ImportRecord record)
    {
        foreach (var phone in record.Phones) Phones.TryAdd(phone, customerId);
        foreach (var email in record.Emails) Emails.TryAdd(email.ToLowerInvariant(), customerId);
        if (record.WhatsApp is { } identity) Identities.TryAdd(identity, customerId);
    }
}
