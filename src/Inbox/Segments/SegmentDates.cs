namespace Crm.Inbox.Segments;

/// <summary>
/// Relative dates resolved against the clock at evaluation: segments are live, so "more than 90 days ago" moves with time.
/// Days are UTC days (a workspace has no zone of its own yet). Both stores use these same bounds.
/// </summary>
public static class SegmentDates
{
    /// <summary>The instant N×24 hours before now: "more than N days ago" is before it, "less than N days ago" after it.</summary>
    public static long DaysAgoTicks(DateTimeOffset now, int days) => now.UtcTicks - TimeSpan.FromDays(days).Ticks;

    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime);

    /// <summary>Midnight UTC starting <paramref name="day"/>, in ticks.</summary>
    public static long StartTicks(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks;

    /// <summary>
    /// The month-days ("MM-dd") whose anniversary falls from today to today + N days. A 29 February birthday counts on 1 March
    /// in years without one, as the age does (<c>CustomerProfile.AgeOn</c>).
    /// </summary>
    public static IReadOnlyList<string> AnniversaryMonthDays(DateTimeOffset now, int days)
    {
        var today = Today(now);
        var monthDays = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i <= days; i++)
        {
            var day = today.AddDays(i);
            monthDays.Add(day.ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            if (day is { Month: 3, Day: 1 } && !DateTime.IsLeapYear(day.Year)) monthDays.Add("02-29");
        }
        return [.. monthDays];
    }
}
