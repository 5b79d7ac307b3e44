namespace FlowState;

/// <summary>A write was refused because it would exceed a limit (value size, JSON depth, keys or bytes of a scope, store capacity, watcher buffer). Nothing was written.</summary>
public class StateLimitExceededException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateLimitExceededException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateLimitExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateLimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// The limit that was hit, by its option's name: <c>MaxValueBytes</c>, <c>MaxDepth</c>, <c>MaxEntries</c>,
    /// <c>MaxBytes</c>, <c>MaxKeys</c>, <c>MaxTotalBytes</c>, <c>WatcherBuffer</c>; null when not told.
    /// </summary>
    public string? Limit { get; init; }

    /// <summary>The limit's value (bytes, levels, entries, keys), when it is a number.</summary>
    public long? LimitValue { get; init; }

    /// <summary>What the write would have made of it (at least this much, for a value refused while it was being written).</summary>
    public long? AttemptedValue { get; init; }

    /// <summary>The scope whose limit it is (or the key's scope), when there is one.</summary>
    public StateScope? Scope { get; init; }

    /// <summary>The key whose value broke the limit, when one did.</summary>
    public string? Key { get; init; }
}
