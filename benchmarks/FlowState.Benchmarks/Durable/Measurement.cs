namespace FlowState.Benchmarks.Durable;

/// <summary>Repetitions of one measured quantity: the median, and the spread as min–max.</summary>
internal sealed class Measurement(string unit, IReadOnlyList<double> samples)
{
    public string Unit { get; } = unit;

    public IReadOnlyList<double> Samples { get; } = samples;

    public double Median
    {
        get
        {
            var sorted = Samples.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    public string Describe() =>
        $"{Format(Median)} {Unit} ({Format(Samples.Min())}–{Format(Samples.Max())})";

    private static string Format(double value) => value switch
    {
        >= 1000 => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        >= 10 => value.ToString("N1", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString("N2", System.Globalization.CultureInfo.InvariantCulture),
    };
}
