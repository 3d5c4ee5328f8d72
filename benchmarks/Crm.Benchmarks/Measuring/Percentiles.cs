namespace Crm.Benchmarks.Measuring;

public static class Percentiles
{
    /// <summary>Nearest-rank percentile; NaN when there is nothing to rank.</summary>
    public static double Of(double[] values, double percentile)
    {
        if (values.Length == 0) return double.NaN;
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values) => Of([.. values], 50);
}
