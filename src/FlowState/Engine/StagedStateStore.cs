using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>
/// One scope seen through a transaction (a <see cref="StateTransaction"/>, or a flow step's post): reads see the
/// committed state with the transaction's own writes on top; writes are staged in <see cref="StagedWrites"/> and
/// commit all or none. Versions of staged writes are unknown until then, so write methods return 0.
/// </summary>
internal sealed class StagedStateStore(StagedWrites writes, StateScope scope) : IStateStore
{
    private IStateStore? _committedStore;

    public StateScope CurrentScope { get; } = scope;

    public string Path => CurrentScope.Path;

    public async ValueTask<StateEntry?> GetEntryAsync(string key, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        var staged = writes.Find(CurrentScope, key);
        if (staged is not null)
        {
            return staged.Value is null ? null : new StateEntry(CurrentScope, key, 0, staged.Value, 0, 0, 0, false);
        }

        return await Committed.GetEntryAsync(key, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var entry = await GetEntryAsync(key, cancellationToken).ConfigureAwait(false);
        return entry is null ? default : entry.Deserialize<T>(writes.Store.DeepSerializerOptions);
    }

    public async ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var entry = await GetEntryAsync(key, cancellationToken).ConfigureAwait(false);
        return entry is null ? default : entry.Deserialize(typeInfo);
    }

    public async ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var entry = await GetEntryAsync(key, cancellationToken).ConfigureAwait(false);
        return entry is null ? (false, default) : (true, entry.Deserialize<T>(writes.Store.DeepSerializerOptions));
    }

    public async ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        await GetEntryAsync(key, cancellationToken).ConfigureAwait(false) is not null;

    public ValueTask<IReadOnlyList<StateHistoryEntry>> GetHistoryAsync(string key, CancellationToken cancellationToken = default) =>
        Committed.GetHistoryAsync(key, cancellationToken);

    public async IAsyncEnumerable<string> ListKeysAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var key in Committed.ListKeysAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(key);
        }

        foreach (var write in writes.InSubtree(CurrentScope))
        {
            if (write.Scope == CurrentScope && (prefix is null || write.Key.StartsWith(prefix, StringComparison.Ordinal)))
            {
                _ = write.Value is null ? keys.Remove(write.Key) : keys.Add(write.Key);
            }
        }

        foreach (var key in keys)
        {
            yield return key;
        }
    }

    public async IAsyncEnumerable<StateKey> ListAllAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var key in await ListAllKeysAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return key;
        }
    }

    public async ValueTask<long> CountAsync(CancellationToken cancellationToken = default) =>
        (await ListAllKeysAsync(null, cancellationToken).ConfigureAwait(false)).Count;

    public IStateStore Scope(string name) => new StagedStateStore(writes, CurrentScope.Child(name));

    IStateReader IStateReader.Scope(string name) => Scope(name);

    public StateBatch CreateBatch() => new(writes.SerializerOptions);

    public ValueTask<long> SetAsync<T>(string key, T value, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return StageSetAsync(key, JsonValueCodec.Serialize(value, writes.Store.DeepSerializerOptions, key, writes.Store.MaxValueBytes(CurrentScope), CurrentScope), options, cancellationToken);
    }

    public ValueTask<long> SetAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return StageSetAsync(key, JsonValueCodec.Serialize(value, typeInfo, key, writes.Store.MaxValueBytes(CurrentScope), CurrentScope), options, cancellationToken);
    }

    public ValueTask<long> SetRawAsync(string key, ReadOnlyMemory<byte> utf8Json, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return StageSetAsync(key, utf8Json.ToArray(), options, cancellationToken);
    }

    /// <summary>Stages a set; a key with a reducer stages its combination with the current value, checked at commit.</summary>
    private ValueTask<long> StageSetAsync(string key, byte[] value, StateWriteOptions? options, CancellationToken cancellationToken)
    {
        if (writes.ReducerOf?.Invoke(CurrentScope, key) is { } reduce)
        {
            return StageReducedAsync(key, value, reduce, options, cancellationToken);
        }

        writes.Stage(CurrentScope, key, value, options, readVersion: null);
        return ValueTask.FromResult(0L);
    }

    private async ValueTask<long> StageReducedAsync(string key, byte[] value, Func<ReadOnlyMemory<byte>?, byte[], byte[]> reduce, StateWriteOptions? options, CancellationToken cancellationToken)
    {
        var (entry, readVersion) = await ReadForWriteAsync(key, cancellationToken).ConfigureAwait(false);
        // The commit checks the combined value against the store's limits, like every value.
        writes.Stage(CurrentScope, key, reduce(entry?.Value, value), options, readVersion);
        return 0;
    }

    public async ValueTask<bool> DeleteAsync(string key, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (entry, readVersion) = await ReadForWriteAsync(key, cancellationToken).ConfigureAwait(false);
        writes.Stage(CurrentScope, key, null, options, readVersion);
        return entry is not null;
    }

    public async ValueTask<long> MergeAsync<TPatch>(string key, TPatch patch, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        var patchJson = JsonValueCodec.Serialize(patch, writes.Store.DeepSerializerOptions, key);
        await MergeRawAsync(key, patchJson, options, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    public async ValueTask<T> UpdateAsync<T>(string key, Func<T?, T> update, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var (entry, readVersion) = await ReadForWriteAsync(key, cancellationToken).ConfigureAwait(false);
        var current = entry is null ? default : entry.Deserialize<T>(writes.Store.DeepSerializerOptions);
        var next = update(current);
        writes.Stage(CurrentScope, key, JsonValueCodec.Serialize(next, writes.Store.DeepSerializerOptions, key, writes.Store.MaxValueBytes(CurrentScope), CurrentScope), options, readVersion);
        return next;
    }

    public async ValueTask<long> ApplyAsync(StateBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var op in batch.Operations)
        {
            var target = this;
            foreach (var (kind, name) in op.RelativeScope)
            {
                target = new StagedStateStore(writes, target.CurrentScope.ChildOfKind(kind, name));
            }

            switch (op.Kind)
            {
                case StateOperationKind.Set:
                    writes.Stage(target.CurrentScope, op.Key, op.Utf8Json, op.Options, readVersion: null);
                    break;
                case StateOperationKind.Merge:
                    await target.MergeRawAsync(op.Key, op.Utf8Json!, op.Options, cancellationToken).ConfigureAwait(false);
                    break;
                case StateOperationKind.Delete:
                    writes.Stage(target.CurrentScope, op.Key, null, op.Options, readVersion: null);
                    break;
                default:
                    writes.Check(target.CurrentScope, op.Key, op.Options!.ExpectedVersion!.Value);
                    break;
            }
        }

        return 0;
    }

    public IAsyncEnumerable<StateChange> WatchAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        Committed.WatchAsync(prefix, cancellationToken);

    public ValueTask<long> ClearAsync(CancellationToken cancellationToken = default) => ClearAsync(StateClearExtent.Subtree, cancellationToken);

    public async ValueTask<long> ClearAsync(StateClearExtent extent, CancellationToken cancellationToken = default)
    {
        var clear = new ScopeClear(CurrentScope, extent);
        var keys = clear.IncludesChildScopes
            ? await ListAllKeysAsync(null, cancellationToken).ConfigureAwait(false)
            : await ListKeysAsync(null, cancellationToken).Select(key => new StateKey(CurrentScope, key)).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var key in keys)
        {
            writes.Stage(key.Scope, key.Key, null, null, readVersion: null);
        }

        return keys.Count;
    }

    public override string ToString() => $"StagedStateStore({CurrentScope})";

    private IStateStore Committed => _committedStore ??= writes.Store.For(CurrentScope);

    private async ValueTask MergeRawAsync(string key, byte[] patch, StateWriteOptions? options, CancellationToken cancellationToken)
    {
        var (entry, readVersion) = await ReadForWriteAsync(key, cancellationToken).ConfigureAwait(false);
        byte[] merged;
        try
        {
            merged = JsonMergePatch.Apply(entry?.Utf8Json, patch);
        }
        catch (JsonException ex)
        {
            throw new StateValueException($"The merge patch for key '{key}' in scope {CurrentScope} is not valid JSON: {ex.Message}", ex);
        }

        // A merge keeps the entry's time to live (a set would take the store's default instead).
        if (options?.TimeToLive is null && entry is not null && entry.Version != 0)
        {
            options = (options ?? StateWriteOptions.None) with
            {
                TimeToLive = entry.TimeToLiveTicks == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(entry.TimeToLiveTicks),
                SlidingExpiration = entry.Sliding,
            };
        }

        writes.Stage(CurrentScope, key, merged, options, readVersion);
    }

    /// <summary>The current entry and, when the step has not written the key yet, the committed version it was read at.</summary>
    private async ValueTask<(StateEntry? Entry, long? ReadVersion)> ReadForWriteAsync(string key, CancellationToken cancellationToken)
    {
        StateNameValidator.ValidateKey(key);
        if (writes.Find(CurrentScope, key) is not null)
        {
            return (await GetEntryAsync(key, cancellationToken).ConfigureAwait(false), null);
        }

        var entry = await Committed.GetEntryAsync(key, cancellationToken).ConfigureAwait(false);
        return (entry, entry?.Version ?? 0);
    }

    private async ValueTask<List<StateKey>> ListAllKeysAsync(string? prefix, CancellationToken cancellationToken)
    {
        var keys = new SortedDictionary<(string ScopeKey, string Key), StateKey>(StorageNameOrder.Pairs);
        await foreach (var key in Committed.ListAllAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (!writes.HidesRuntimeScopes || !IsRuntimeBookkeeping(key.Scope))
            {
                keys[(key.Scope.StorageKey, key.Key)] = key;
            }
        }

        foreach (var write in writes.InSubtree(CurrentScope))
        {
            if (prefix is not null && !write.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (write.Value is null)
            {
                keys.Remove((write.Scope.StorageKey, write.Key));
            }
            else
            {
                keys[(write.Scope.StorageKey, write.Key)] = new StateKey(write.Scope, write.Key);
            }
        }

        return [.. keys.Values];
    }

    // A flow run's progress records live in a runtime scope inside the run's scope; a post that lists or clears the
    // run's state must not see or delete them (see StagedWrites.HidesRuntimeScopes).
    private bool IsRuntimeBookkeeping(StateScope scope)
    {
        for (var s = scope; s is not null && s.Depth > CurrentScope.Depth; s = s.Parent)
        {
            if (s.Kind == ScopeSegmentKind.Runtime)
            {
                return true;
            }
        }

        return false;
    }
}
