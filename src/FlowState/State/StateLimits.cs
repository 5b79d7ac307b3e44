namespace FlowState;

/// <summary>
/// Limits of a scope. A child scope counts toward every enclosing scope's limits. A write that would
/// exceed one raises <see cref="StateLimitExceededException"/> and writes nothing. Null: no limit.
/// </summary>
public sealed record StateLimits
{
    /// <summary>Default store-wide limits: 1 MiB values, JSON depth 64.</summary>
    public static StateLimits Default { get; } = new() { MaxValueBytes = 1024 * 1024, MaxDepth = 64 };

    /// <summary>Most keys in the scope and its child scopes.</summary>
    public long? MaxKeys { get; init; }

    /// <summary>Largest single value, in UTF-8 JSON bytes.</summary>
    public long? MaxValueBytes { get; init; }

    /// <summary>Most bytes (keys plus values) in the scope and its child scopes.</summary>
    public long? MaxTotalBytes { get; init; }

    /// <summary>Deepest JSON nesting of a value (an array or object nests one level).</summary>
    public int? MaxDepth { get; init; }
}
