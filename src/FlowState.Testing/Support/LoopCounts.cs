namespace FlowState.Testing;

/// <summary>How many times a long test loops: a default fit for CI, raised by an environment variable for long runs.</summary>
internal static class LoopCounts
{
    /// <summary>The positive whole number in <paramref name="variable"/>, else <paramref name="fallback"/>.</summary>
    public static int FromEnvironment(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var n) && n > 0 ? n : fallback;
}
