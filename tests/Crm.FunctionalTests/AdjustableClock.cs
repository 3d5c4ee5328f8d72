namespace Crm.FunctionalTests;

/// <summary>The real clock, moved forward on demand: lets a test see what happens days later without waiting.</summary>
public sealed class AdjustableClock : TimeProvider
{
    private TimeSpan offset;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;

    public void Advance(TimeSpan by) => offset += by;
}
