using System.Text.Json;

namespace FlowState;

/// <summary>Options of <see cref="SharedStateStore"/>.</summary>
public sealed class SharedStateStoreOptions
{
    /// <summary>The server the state lives on (required), e.g. <c>RedisSharedStateBackend</c> or <c>PostgresSharedStateBackend</c>. The store owns and disposes it.</summary>
    public ISharedStateBackend? Backend { get; set; }

    /// <summary>What an acknowledged write survives (default <see cref="Durability.Process"/>); see each backend for what the server needs for <see cref="Durability.Machine"/>.</summary>
    public Durability Durability { get; set; } = Durability.Process;

    /// <summary>Expiry of entries written without a time to live; null: they never expire.</summary>
    public TimeSpan? DefaultTimeToLive { get; set; }

    /// <summary>
    /// How many times <c>UpdateAsync</c>, <c>MergeAsync</c> and <c>ClearAsync</c> re-read and retry when another
    /// writer changed a key between their read and their commit (default 1000); then <see cref="StateConflictException"/>.
    /// </summary>
    public int MaxConflictRetries { get; set; } = 1000;

    /// <summary>The largest value accepted, in bytes of UTF-8 JSON (default 16 MiB).</summary>
    public long MaxValueBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The deepest nesting of a value accepted (default 64).</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>How many changes a watcher may fall behind before it is stopped with <see cref="StateLimitExceededException"/> (default 10 000).</summary>
    public int WatchBufferCapacity { get; set; } = 10_000;

    /// <summary>The clock for expiry (default <see cref="TimeProvider.System"/>); every process sharing a store should agree on the time.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How values are serialized (default <see cref="JsonSerializerOptions.Default"/>).</summary>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
