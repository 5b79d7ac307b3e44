namespace FlowState.Flows;

/// <summary>The static breakpoints of one call of the runner (<see cref="FlowRunOptions.InterruptBefore"/>, <see cref="FlowRunOptions.InterruptAfter"/>).</summary>
internal sealed class FlowBreakpoints
{
    private readonly HashSet<string> _before;
    private readonly HashSet<string> _after;

    private FlowBreakpoints(HashSet<string> before, HashSet<string> after)
    {
        _before = before;
        _after = after;
    }

    /// <summary>The options' breakpoints, checked against the flow's nodes; null when there are none.</summary>
    /// <exception cref="ArgumentException">A breakpoint names no node of the flow.</exception>
    public static FlowBreakpoints? From(Flow flow, FlowRunOptions options)
    {
        if (options.InterruptBefore is not { Count: > 0 } && options.InterruptAfter is not { Count: > 0 })
        {
            return null;
        }

        var nodes = flow.AllNodeNames().ToHashSet(StringComparer.Ordinal);
        var before = Checked(options.InterruptBefore, nameof(FlowRunOptions.InterruptBefore));
        var after = Checked(options.InterruptAfter, nameof(FlowRunOptions.InterruptAfter));
        return new FlowBreakpoints(before, after);

        HashSet<string> Checked(IReadOnlyCollection<string>? names, string option)
        {
            var set = new HashSet<string>(names ?? [], StringComparer.Ordinal);
            if (set.FirstOrDefault(name => !nodes.Contains(name)) is { } unknown)
            {
                throw new ArgumentException(
                    $"FlowRunOptions.{option} names '{unknown}', which is no node of flow '{flow.Name}'; its nodes are {string.Join(", ", nodes.Order(StringComparer.Ordinal).Select(n => $"'{n}'"))}.",
                    nameof(options));
            }

            return set;
        }
    }

    public bool StopsBefore(string node) => _before.Contains(node);

    public bool StopsAfter(string node) => _after.Contains(node);
}
