namespace FlowState;

/// <summary>Options of one write.</summary>
public sealed record StateWriteOptions
{
    /// <summary>No TTL beyond the store's default and no version check.</summary>
    public static StateWriteOptions None { get; } = new();

    /// <summary>
    /// How long the entry lives, counted from this write. Null uses the store's
    /// <see cref="StateStoreOptions.DefaultTimeToLive"/>; <see cref="Timeout.InfiniteTimeSpan"/> means never expire.
    /// </summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>When true, every read renews the time to live (sliding expiry).</summary>
    public bool SlidingExpiration { get; init; }

    /// <summary>
    /// The version the key must have for the write to happen; 0 means the key must not exist. A mismatch
    /// raises <see cref="StateConflictException"/> and nothing is written. Null: no check.
    /// </summary>
    public long? ExpectedVersion { get; init; }

    /// <summary>Options with only a time to live.</summary>
    public static StateWriteOptions WithTimeToLive(TimeSpan timeToLive) => new() { TimeToLive = timeToLive };

    /// <summary>Options with only an expected version.</summary>
    public static StateWriteOptions IfVersion(long expectedVersion) => new() { ExpectedVersion = expectedVersion };
}
