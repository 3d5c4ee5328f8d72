namespace Crm.FunctionalTests;

/// <summary>Polls until something the system does on its own (a sweep, a consumer, another process) has come true.</summary>
public static class Eventually
{
    /// <summary>Within 30 s: a guard against hanging, not a speed requirement. <paramref name="describe"/> says what was seen instead.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The condition did not come true within 30 s. {(describe is null ? "" : await describe())}");
            await Task.Delay(50);
        }
    }
}
