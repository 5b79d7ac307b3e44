using System.Text;

namespace FlowState.Flows;

/// <summary>
/// One key a committed step wrote, with its value before and after as JSON text. A value larger than
/// <see cref="FlowRunnerOptions.EventValueLimit"/> is left out (null) and only its size is given.
/// </summary>
/// <param name="Scope">The scope's path (the run's scope, a step's scope, or global).</param>
/// <param name="Key">The key.</param>
/// <param name="OldValue">The value before the step; null when the key was absent or the value is past the limit.</param>
/// <param name="NewValue">The value after the step; null when the step deleted the key or the value is past the limit.</param>
/// <param name="OldSize">The UTF-8 size of the value before (0: absent).</param>
/// <param name="NewSize">The UTF-8 size of the value after (0: deleted).</param>
public sealed record FlowKeyChange(string Scope, string Key, string? OldValue, string? NewValue, int OldSize, int NewSize)
{
    /// <summary>Whether the step deleted the key.</summary>
    public bool Deleted => NewSize == 0;

    /// <summary>
    /// A change of stored UTF-8 values (null: absent before, deleted after); a value past <paramref name="valueLimit"/>
    /// bytes is given by its size only.
    /// </summary>
    internal static FlowKeyChange FromUtf8(string scope, string key, ReadOnlyMemory<byte>? before, ReadOnlyMemory<byte>? after, int valueLimit) =>
        new(scope, key, Text(before, valueLimit), Text(after, valueLimit), before?.Length ?? 0, after?.Length ?? 0);

    private static string? Text(ReadOnlyMemory<byte>? utf8, int valueLimit) =>
        utf8 is { } bytes && bytes.Length <= valueLimit ? Encoding.UTF8.GetString(bytes.Span) : null;
}
