using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>
/// Read and write access to one scope of state. Every operation is linearizable per key; batches are
/// atomic; a rejected operation writes nothing.
/// </summary>
public interface IStateStore : IStateReader
{
    /// <summary>Stores a value (serialized to JSON now; later changes to the object do not change state).</summary>
    /// <returns>The entry's new version.</returns>
    /// <exception cref="ArgumentException">The key is invalid.</exception>
    /// <exception cref="StateConflictException">An expected version was given and did not match.</exception>
    /// <exception cref="StateLimitExceededException">The value or scope is over a limit.</exception>
    /// <exception cref="StateValueException">The value cannot be stored as JSON.</exception>
    /// <exception cref="StateRejectedException">An interceptor rejected the write.</exception>
    ValueTask<long> SetAsync<T>(string key, T value, StateWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Stores a value using source-generated metadata.</summary>
    /// <returns>The entry's new version.</returns>
    ValueTask<long> SetAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Stores a value given as UTF-8 JSON (validated: one value, valid UTF-8, unique property names, limits).</summary>
    /// <returns>The entry's new version.</returns>
    ValueTask<long> SetRawAsync(string key, ReadOnlyMemory<byte> utf8Json, StateWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key.</summary>
    /// <returns>True when the key existed.</returns>
    /// <exception cref="StateConflictException">An expected version was given and did not match.</exception>
    ValueTask<bool> DeleteAsync(string key, StateWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a JSON merge patch (RFC 7386) to the key's value: objects merge recursively, <c>null</c> deletes a
    /// member, anything else replaces. A missing key merges into nothing. The time to live is renewed.
    /// </summary>
    /// <returns>The entry's new version.</returns>
    ValueTask<long> MergeAsync<TPatch>(string key, TPatch patch, StateWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically reads, transforms and writes a value (for example a counter). <paramref name="update"/> may be
    /// called more than once when other writers race on the key; it must not have side effects.
    /// </summary>
    /// <returns>The value written.</returns>
    ValueTask<T> UpdateAsync<T>(string key, Func<T?, T> update, StateWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Commits a batch atomically: all operations or none, visible to readers all at once.</summary>
    /// <returns>The version given to every entry the batch wrote.</returns>
    ValueTask<long> ApplyAsync(StateBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams the changes of this scope and its child scopes, in version order, from now until cancelled.
    /// A watcher that falls more than the store's <see cref="StateStoreOptions.WatchBufferCapacity"/> changes behind
    /// fails with <see cref="StateLimitExceededException"/> rather than silently missing changes.
    /// </summary>
    IAsyncEnumerable<StateChange> WatchAsync(string? prefix = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes every key of this scope and of its child scopes, in one commit.</summary>
    /// <returns>The number of keys deleted.</returns>
    ValueTask<long> ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes this scope's keys, in one commit: with <see cref="StateClearExtent.Subtree"/> also those of its child
    /// scopes (the same as <see cref="ClearAsync(CancellationToken)"/>), with <see cref="StateClearExtent.ScopeOnly"/>
    /// only its own (clearing the global scope's settings leaves every run's state alone).
    /// </summary>
    /// <returns>The number of keys deleted.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="extent"/> is not a defined value.</exception>
    ValueTask<long> ClearAsync(StateClearExtent extent, CancellationToken cancellationToken = default);

    /// <summary>A store of the child scope <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    new IStateStore Scope(string name);

    /// <summary>A batch that serializes values with this store's serializer options.</summary>
    StateBatch CreateBatch();
}
