namespace Crm.Inbox.Customers.Import;

/// <summary>What applying an imported row to an existing customer changes; the same in both stores.</summary>
public static class CustomerImportChanges
{
    /// <summary>
    /// Only the row's non-empty cells change a field; phones and emails are added to the customer's, never removed
    /// (a CSV without the work number does not mean the customer lost it).
    /// </summary>
    public static CustomerProfileFields Apply(CustomerProfileFields current, ImportRecord record)
    {
        var row = record.Fields;
        return current with
        {
            Name = row.Name ?? current.Name,
            Language = row.Language ?? current.Language,
            TimeZone = row.TimeZone ?? current.TimeZone,
            Birthday = row.Birthday ?? current.Birthday,
            Company = row.Company ?? current.Company,
            Notes = row.Notes ?? current.Notes,
            LifecycleStage = row.LifecycleStage ?? current.LifecycleStage,
            OwnerAgentId = row.OwnerAgentId ?? current.OwnerAgentId,
            ValueTier = row.ValueTier ?? current.ValueTier,
            Phones = [.. current.Phones, .. row.Phones.Where(p => current.Phones.All(c => c.Number != p.Number))],
            Emails = [.. current.Emails, .. row.Emails.Where(e => current.Emails.All(c => !c.Address.Equals(e.Address, StringComparison.OrdinalIgnoreCase)))],
            Attributes = row.Attributes.Count == 0 ? current.Attributes
                : current.Attributes.Where(a => !row.Attributes.ContainsKey(a.Key)).Concat(row.Attributes).ToDictionary(),
        };
    }
}

/// <summary>The rows of a chunk in file order, the same in both stores; the store supplies its own write of one row.</summary>
public static class CustomerImportChunks
{
    /// <summary>
    /// Decides each row (<see cref="ImportMatches.Decide"/>) and hands the ones to apply to <paramref name="write"/> with the
    /// customer they update (null: create one), which returns the customer's id; the counts and every rejection (the
    /// chunk's own and those decided here) come back for the checkpoint.
    /// </summary>
    public static async Task<(ImportCounters Counts, List<ImportRejection> Rejections)> ApplyAsync(ImportChunk chunk, ImportMatches owners,
        Func<ImportRecord, Guid?, Task<Guid>> write)
    {
        var rejections = chunk.Rejections.ToList();
        int created = 0, updated = 0, skipped = 0;
        foreach (var record in chunk.Records)
        {
            var (rejection, skip, match) = owners.Decide(chunk.Dedupe, record);
            if (rejection is not null)
            {
                rejections.Add(new ImportRejection(record.RowNumber, record.Cells, [rejection]));
                continue;
            }
            if (skip)
            {
                skipped++;
                continue;
            }
            var customerId = await write(record, match);
            if (match is null) created++;
            else updated++;
            // Later rows of the file meet this customer as an existing one.
            owners.Remember(customerId, record);
        }
        return (new ImportCounters(chunk.NextRow - chunk.FromRow, created, updated, skipped, rejections.Count), rejections);
    }
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
        DedupeKeys.Phone => record.Fields.Phones.Select(p => Phones.TryGetValue(p.Number, out var id) ? id : (Guid?)null).FirstOrDefault(id => id is not null),
        DedupeKeys.Email => record.Fields.Emails.Select(e => Emails.TryGetValue(e.Address.ToLowerInvariant(), out var id) ? id : (Guid?)null)
            .FirstOrDefault(id => id is not null),
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
        foreach (var phone in record.Fields.Phones) Phones.TryAdd(phone.Number, customerId);
        foreach (var email in record.Fields.Emails) Emails.TryAdd(email.Address.ToLowerInvariant(), customerId);
        if (record.WhatsApp is { } identity) Identities.TryAdd(identity, customerId);
    }
}
