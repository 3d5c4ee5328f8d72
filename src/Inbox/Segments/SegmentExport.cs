using System.Globalization;
using System.Text.Json;
using Crm.Inbox.Customers;
using CsvHelper;

namespace Crm.Inbox.Segments;

/// <summary>
/// A segment as CSV (<see cref="SpreadsheetCsv"/>), written batch by batch straight to the response (never the whole file
/// in memory).
/// </summary>
public static class SegmentExport
{
    public const int BatchSize = 500;

    private static readonly string[] FixedColumns =
    [
        "id", "name", "phones", "emails", "language", "timeZone", "birthday", "company", "lifecycleStage", "ownerAgentId", "valueTier", "createdAt",
        "identities", "labels", "consent", "firstSeenAt", "lastInboundAt", "lastOutboundAgentAt", "lastOutboundAutomationAt", "lastChannel",
        "inboundCount", "outboundCount",
    ];

    public static async Task WriteAsync(Stream output, ISegmentStore store, Guid workspaceId, SegmentGroup filter, DateTimeOffset now,
        IReadOnlyDictionary<Guid, string> labelNames, IReadOnlyList<CustomerAttributeDefinition> definitions, CancellationToken ct)
    {
        await using var csv = CsvWriter.Create(output, SpreadsheetCsv.Options, leaveOpen: true);
        foreach (var column in FixedColumns) csv.WriteField(column);
        foreach (var definition in definitions) csv.WriteField(CustomerProfileFields.AttributeFieldPrefix + definition.Key);
        await csv.EndRecordAsync(ct);

        CustomerPageCursor? after = null;
        while (true)
        {
            var batch = await store.ListSegmentAsync(workspaceId, filter, now, after, BatchSize, ct);
            if (batch.Count == 0) break;
            foreach (var customer in await store.WithBehaviourAndConsentsAsync(batch, ct))
            {
                WriteRow(csv, customer, labelNames, definitions);
                await csv.EndRecordAsync(ct);
            }
            // Each batch goes out as it is read: a large segment starts downloading at once.
            await csv.FlushAsync(ct);
            if (batch.Count < BatchSize) break;
            after = new CustomerPageCursor(batch[^1].Fields.Name ?? "", batch[^1].Id);
        }
    }

    private static void WriteRow(CsvWriter csv, CustomerProfile customer, IReadOnlyDictionary<Guid, string> labelNames,
        IReadOnlyList<CustomerAttributeDefinition> definitions)
    {
        static string? Time(DateTimeOffset? at) => at?.ToString("O", CultureInfo.InvariantCulture);
        var f = customer.Fields;
        csv.WriteField(customer.Id.ToString());
        csv.WriteField(f.Name);
        csv.WriteField(string.Join("; ", f.Phones.Select(p => p.Number)));
        csv.WriteField(string.Join("; ", f.Emails.Select(e => e.Address)));
        csv.WriteField(f.Language);
        csv.WriteField(f.TimeZone);
        csv.WriteField(f.Birthday?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        csv.WriteField(f.Company);
        csv.WriteField(f.LifecycleStage);
        csv.WriteField(f.OwnerAgentId?.ToString());
        csv.WriteField(f.ValueTier);
        csv.WriteField(Time(customer.CreatedAt));
        csv.WriteField(string.Join("; ", customer.Identities.Select(i => $"{i.Channel}:{i.Value}")));
        csv.WriteField(string.Join("; ", customer.LabelIds.Select(id => labelNames.GetValueOrDefault(id)).OfType<string>()));
        csv.WriteField(string.Join("; ", customer.Consents.Select(c => $"{c.Channel}:{c.State}")));
        var behaviour = customer.Behaviour;
        csv.WriteField(Time(behaviour.FirstSeenAt));
        csv.WriteField(Time(behaviour.LastInboundAt));
        csv.WriteField(Time(behaviour.LastOutboundAgentAt));
        csv.WriteField(Time(behaviour.LastOutboundAutomationAt));
        csv.WriteField(behaviour.LastChannel);
        csv.WriteField(behaviour.InboundCount.ToString(CultureInfo.InvariantCulture));
        csv.WriteField(behaviour.OutboundCount.ToString(CultureInfo.InvariantCulture));
        foreach (var definition in definitions)
            csv.WriteField(f.Attributes.TryGetValue(definition.Key, out var value) ? Cell(value) : null);
    }

    /// <summary>An attribute as a cell: text as itself, a multi-choice as its choices joined, anything else as JSON.</summary>
    private static string? Cell(JsonElement value) => value.ValueKind == JsonValueKind.Array
        ? string.Join("; ", value.EnumerateArray().Select(v => CustomerProfileFields.AttributeText(v)))
        : CustomerProfileFields.AttributeText(value);
}
