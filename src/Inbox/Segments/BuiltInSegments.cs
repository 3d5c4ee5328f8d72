namespace Crm.Inbox.Segments;

/// <summary>
/// The segments every workspace has from the start. Their ids are the same everywhere; a workspace may save its own version
/// of one (e.g. dormant after 60 days instead of 90: agents change N where they see it, in the segment itself) and deleting
/// that version brings the default back: a built-in never disappears.
/// </summary>
public static class BuiltInSegments
{
    public static readonly Guid Dormant = Guid.Parse("00000000-0000-0000-0000-00000000d001");
    public static readonly Guid BirthdayThisWeek = Guid.Parse("00000000-0000-0000-0000-00000000d002");
    public static readonly Guid OptedOut = Guid.Parse("00000000-0000-0000-0000-00000000d003");

    /// <summary>
    /// "No inbound for N days": customers who last wrote more than N days ago, and those who never wrote and have been
    /// customers for longer than that (an import from last year is dormant; one from yesterday is not yet).
    /// </summary>
    public static string DormantFilter(int days) => $$"""
        {"op":"or","conditions":[
          {"field":"lastInboundAt","operator":"moreThanDaysAgo","value":{{days}}},
          {"op":"and","conditions":[
            {"field":"lastInboundAt","operator":"never"},
            {"field":"createdAt","operator":"moreThanDaysAgo","value":{{days}}}]}]}
        """;

    /// <summary>Today and the six days after it.</summary>
    public const string BirthdayThisWeekFilter = """{"op":"and","conditions":[{"field":"birthday","operator":"anniversaryWithinDays","value":6}]}""";

    public const string OptedOutFilter = """{"op":"and","conditions":[{"field":"consent","operator":"equals","value":"opted-out"}]}""";

    public static readonly IReadOnlyList<(Guid Id, string Name, string FilterJson)> All =
    [
        (Dormant, "Dormant: no inbound for 90 days", DormantFilter(90)),
        (BirthdayThisWeek, "Birthday this week", BirthdayThisWeekFilter),
        (OptedOut, "Opted out", OptedOutFilter),
    ];

    public static bool IsBuiltIn(Guid id) => All.Any(b => b.Id == id);

    /// <summary>The built-in as it is before a workspace changes it.</summary>
    public static Segment Default(Guid workspaceId, Guid id)
    {
        var (_, name, filter) = All.Single(b => b.Id == id);
        // Normalized once, so the default reads the same as a saved filter does.
        var compact = System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(filter).RootElement);
        return new Segment(id, workspaceId, name, compact, true, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
    }
}
