using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace FlowState;

/// <summary>
/// What every <see cref="SharedStateStore"/> view of one store shares: the backend, the clock, serialization, and the
/// one change-feed subscription fanned out to local watchers. Reads go to the server; writes are conditional commits,
/// retried after a re-read when another writer got in between (optimistic concurrency).
/// </summary>
internal sealed class SharedStateEngine : IAsyncDisposable
{
    private readonly SharedStateStoreOptions _options;
    private readonly ISharedStateBackend _backend;
    private readonly JsonSerializerOptions _json;
    private readonly JsonSerializerOptions _jsonDeep;
    private readonly Lock _watchLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private SharedWatcher[] _watchers = [];
    private Task? _feed;
    private string? _watchUnsupported;
    private Exception? _feedBroken;

    /// <summary>Why the change feed stopped, or null.</summary>
    public Exception? ChangeFeedFault => Volatile.Read(ref _feedBroken);
    private int _disposed;

    private SharedStateEngine(SharedStateStoreOptions options, ISharedStateBackend backend)
    {
        _options = options;
        _backend = backend;
        _json = options.JsonSerializerOptions ?? JsonSerializerOptions.Default;
        _jsonDeep = JsonValueCodec.Deep(_json);
    }

    public JsonSerializerOptions SerializerOptions => _json;

    public JsonSerializerOptions DeepSerializerOptions => _jsonDeep;

    /// <summary>The largest value a write may store, in bytes of JSON.</summary>
    public long MaxValueBytes => _options.MaxValueBytes;

    public string Description => _backend.Description;

    public TimeProvider Time => _options.TimeProvider;

    public static async ValueTask<SharedStateEngine> OpenAsync(SharedStateStoreOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var backend = options.Backend ?? throw new ArgumentException("SharedStateStoreOptions.Backend is required: the server the state lives on.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConflictRetries, 1, "options.MaxConflictRetries");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxValueBytes, 1, "options.MaxValueBytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDepth, 1, "options.MaxDepth");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WatchBufferCapacity, 1, "options.WatchBufferCapacity");
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
        if (options.DefaultTimeToLive is { } ttl)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero, "options.DefaultTimeToLive");
        }

        var engine = new SharedStateEngine(options, backend);
        try
        {
            await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var feed = await backend.SubscribeAsync(engine._stopping.Token).ConfigureAwait(false);
                engine._feed = Task.Run(() => engine.PumpAsync(feed), CancellationToken.None);
            }
            catch (NotSupportedException ex)
            {
                engine._watchUnsupported = ex.Message; // the backend was configured without a change feed
            }

            return engine;
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask<StateEntry?> GetAsync(StateScope scope, string key, CancellationToken cancellationToken)
    {
        StateNameValidator.ValidateKey(key);
        ThrowIfDisposed();
        var stored = await _backend.GetAsync(scope.StorageKey, key, cancellationToken).ConfigureAwait(false);
        return stored is null || IsExpired(stored, NowTicks()) ? null : ToEntry(scope, stored);
    }

    public async IAsyncEnumerable<BackendEntry> ScanLiveAsync(StateScope scope, bool includeChildScopes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var now = NowTicks();
        await foreach (var stored in _backend.ScanAsync(scope.StorageKey, includeChildScopes, cancellationToken).ConfigureAwait(false))
        {
            if (!IsExpired(stored, now) && !stored.ScopeKey.StartsWith('$'))
            {
                yield return stored;
            }
        }
    }

    /// <summary>
    /// Commits <paramref name="writes"/> as one atomic, conditional change (with <paramref name="fence"/>'s lease check
    /// last); merges re-read and retry on conflicts.
    /// </summary>
    public async ValueTask<SharedCommitResult> CommitAsync(PreparedWrite[] writes, SharedFence? fence, CancellationToken cancellationToken)
    {
        if (fence is not null)
        {
            writes = [.. writes, fence.ToCheck()];
        }

        ThrowIfDisposed();
        foreach (var write in writes)
        {
            RefuseSlidingExpiration(write.Options, write.Scope, write.Key);

            if (write.Kind is StateOperationKind.Set or StateOperationKind.Merge)
            {
                JsonValueCodec.Validate(write.Utf8Json, _options.MaxValueBytes, _options.MaxDepth, write.Scope, write.Key);
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = NowTicks();
            var (changes, internalChecks) = await PlanAsync(writes, now, cancellationToken).ConfigureAwait(false);
            var result = await CommitToServerAsync(changes, now, _options.Durability, cancellationToken).ConfigureAwait(false);
            if (result.Committed)
            {
                return result;
            }

            var conflicting = changes[result.ConflictIndex];
            if (fence is not null && result.ConflictIndex == changes.Length - 1)
            {
                throw fence.Refused(result.ActualVersion, attempt);
            }

            if (!internalChecks[result.ConflictIndex] || attempt >= _options.MaxConflictRetries)
            {
                throw StateStore.Conflict(writes.First(w => w.Scope.StorageKey == conflicting.ScopeKey && w.Key == conflicting.Key).Scope, conflicting.Key, conflicting.ExpectedVersion ?? 0, result.ActualVersion, attempt);
            }

            // Another process changed a key this commit computed from (a merge's base) between our read and our commit.
        }
    }

    // One span per round trip to the server, under whatever caused it (a flow step's span, a request's).
    private async ValueTask<SharedCommitResult> CommitToServerAsync(IReadOnlyList<SharedChange> changes, long nowUtcTicks, Durability durability, CancellationToken cancellationToken)
    {
        using var activity = FlowStateActivities.Source.StartActivity("flowstate.commit");
        if (activity is not null)
        {
            activity.SetTag("flowstate.backend", _backend.Description);
            activity.SetTag("flowstate.durability", durability.ToString());
            activity.SetTag("flowstate.commit.changes", changes.Count);
        }

        try
        {
            var result = await _backend.CommitAsync(changes, nowUtcTicks, durability, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("flowstate.commit.conflict", !result.Committed);
            return result;
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }

    public async ValueTask<T> UpdateAsync<T>(StateScope scope, string key, Func<T?, T> update, StateWriteOptions? options, SharedFence? fence, CancellationToken cancellationToken)
    {
        StateNameValidator.ValidateKey(key);
        ArgumentNullException.ThrowIfNull(update);
        RefuseSlidingExpiration(options, scope, key);

        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = NowTicks();
            var stored = await _backend.GetAsync(scope.StorageKey, key, cancellationToken).ConfigureAwait(false);
            var current = stored is null || IsExpired(stored, now) ? null : ToEntry(scope, stored);
            var currentVersion = current?.Version ?? 0;
            if (options?.ExpectedVersion is { } expected && expected != currentVersion)
            {
                throw StateStore.Conflict(scope, key, expected, currentVersion, attempt);
            }

            var next = update(current is null ? default : current.Deserialize<T>(_jsonDeep));
            var json = JsonValueCodec.Serialize(next, _jsonDeep, key, _options.MaxValueBytes, scope);
            JsonValueCodec.Validate(json, _options.MaxValueBytes, _options.MaxDepth, scope, key);
            var ttl = TimeToLiveTicks(options, current?.TimeToLiveTicks);
            var change = new SharedChange(SharedChangeKind.Upsert, scope.StorageKey, key, currentVersion, json, ttl == 0 ? 0 : now + ttl, ttl);
            var result = await CommitToServerAsync(fence is null ? [change] : [change, fence.ToChange()], now, _options.Durability, cancellationToken).ConfigureAwait(false);
            if (result.Committed)
            {
                return next;
            }

            if (fence is not null && result.ConflictIndex == 1)
            {
                throw fence.Refused(result.ActualVersion, attempt);
            }

            if (options?.ExpectedVersion is not null || attempt >= _options.MaxConflictRetries)
            {
                throw StateStore.Conflict(scope, key, currentVersion, result.ActualVersion, attempt);
            }
        }
    }

    /// <summary>
    /// Deletes every live entry of the cleared scope (and its child scopes when the clear includes them) in one commit
    /// (except the lease and fence entries of the run <paramref name="fence"/> guards); returns how many.
    /// </summary>
    public async ValueTask<long> ClearAsync(ScopeClear clear, SharedFence? fence, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var changes = new List<SharedChange>();
            await foreach (var stored in ScanLiveAsync(clear.Scope, clear.IncludesChildScopes, cancellationToken).ConfigureAwait(false))
            {
                if (fence is null || !fence.Guards(stored.ScopeKey, stored.Key))
                {
                    changes.Add(new SharedChange(SharedChangeKind.Delete, stored.ScopeKey, stored.Key, null));
                }
            }

            if (changes.Count == 0)
            {
                return 0;
            }

            if (fence is not null)
            {
                changes.Add(fence.ToChange());
            }

            var result = await CommitToServerAsync(changes, NowTicks(), _options.Durability, cancellationToken).ConfigureAwait(false);
            if (result.Committed)
            {
                return result.PreviousVersions.Take(changes.Count - (fence is null ? 0 : 1)).Count(v => v != 0);
            }

            if (fence is not null && result.ConflictIndex == changes.Count - 1)
            {
                throw fence.Refused(result.ActualVersion, attempt);
            }

            if (attempt >= _options.MaxConflictRetries)
            {
                throw new StateConflictException($"Scope '{clear.Scope}' kept changing while it was cleared ({attempt} attempts); retry later.");
            }
        }
    }

    public async ValueTask<long> CountAsync(StateScope scope, CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (var unused in ScanLiveAsync(scope, includeChildScopes: true, cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    public IAsyncEnumerable<StateChange> Watch(StateScope scope, string? prefix, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_watchUnsupported is { } reason)
        {
            throw new NotSupportedException(reason);
        }

        var watcher = new SharedWatcher(scope, prefix, _options.WatchBufferCapacity);
        lock (_watchLock)
        {
            if (_feedBroken is { } broken)
            {
                // Nothing would deliver this watcher's changes: say so instead of waiting forever.
                throw new StateBackendException(
                    $"The change feed of this shared store broke ({broken.Message}); changes can no longer be watched through it. Open the store again once the server is reachable.",
                    broken);
            }

            _watchers = [.. _watchers, watcher];
        }

        // Registered now, not at the first MoveNext, so changes committed right after the call are seen.
        return ReadChangesAsync(watcher, cancellationToken);
    }

    public static StateEntry ToEntry(StateScope scope, BackendEntry stored) =>
        new(scope, stored.Key, Encoding.UTF8.GetByteCount(stored.Key), stored.Value, stored.Version, stored.ExpiresAtUtcTicks, stored.TimeToLiveTicks, stored.Sliding);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_feed is { } feed)
        {
            await feed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        lock (_watchLock)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Channel.Writer.TryComplete();
            }

            _watchers = [];
        }

        await _backend.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static void RefuseSlidingExpiration(StateWriteOptions? options, StateScope scope, string key)
    {
        if (options?.SlidingExpiration == true)
        {
            throw new NotSupportedException($"Sliding expiration (key '{key}' in scope '{scope}') is not supported by a shared store: a read would have to write to renew it. Use a plain time to live.");
        }
    }

    private static bool IsExpired(BackendEntry entry, long now) => entry.ExpiresAtUtcTicks != 0 && entry.ExpiresAtUtcTicks <= now;

    private async ValueTask<(SharedChange[] Changes, bool[] InternalChecks)> PlanAsync(PreparedWrite[] writes, long now, CancellationToken cancellationToken)
    {
        var changes = new SharedChange[writes.Length];
        var internalChecks = new bool[writes.Length];

        // The value and time to live each key has so far in this batch (a merge after a set builds on the set).
        var pending = new Dictionary<(string ScopeKey, string Key), (byte[]? Value, long TimeToLive)>();
        for (var i = 0; i < writes.Length; i++)
        {
            var write = writes[i];
            var id = (write.Scope.StorageKey, write.Key);
            var firstTouch = !pending.ContainsKey(id);
            var expected = write.Options?.ExpectedVersion;
            if (expected is not null && !firstTouch)
            {
                throw new ArgumentException($"Key '{write.Key}' in scope '{write.Scope}' is checked for a version after an earlier operation of the same batch changed it; check a key's version at its first operation in the batch.", nameof(writes));
            }

            switch (write.Kind)
            {
                case StateOperationKind.Set:
                {
                    var ttl = TimeToLiveTicks(write.Options, null);
                    changes[i] = new SharedChange(SharedChangeKind.Upsert, id.StorageKey, write.Key, expected, write.Utf8Json, ttl == 0 ? 0 : now + ttl, ttl);
                    pending[id] = (write.Utf8Json, ttl);
                    break;
                }

                case StateOperationKind.Merge:
                {
                    byte[]? baseValue;
                    long baseTtl;
                    long? checkedVersion = expected;
                    if (firstTouch)
                    {
                        var stored = await _backend.GetAsync(id.StorageKey, write.Key, cancellationToken).ConfigureAwait(false);
                        var live = stored is not null && !IsExpired(stored, now) ? stored : null;
                        baseValue = live?.Value;
                        baseTtl = live?.TimeToLiveTicks ?? 0;
                        if (expected is null)
                        {
                            checkedVersion = live?.Version ?? 0;
                            internalChecks[i] = true;
                        }
                    }
                    else
                    {
                        (baseValue, baseTtl) = pending[id];
                    }

                    var merged = JsonMergePatch.Apply(baseValue, write.Utf8Json!);
                    JsonValueCodec.Validate(merged, _options.MaxValueBytes, _options.MaxDepth, write.Scope, write.Key);
                    var ttl = TimeToLiveTicks(write.Options, baseValue is null ? null : baseTtl);
                    changes[i] = new SharedChange(SharedChangeKind.Upsert, id.StorageKey, write.Key, checkedVersion, merged, ttl == 0 ? 0 : now + ttl, ttl);
                    pending[id] = (merged, ttl);
                    break;
                }

                case StateOperationKind.Delete:
                    changes[i] = new SharedChange(SharedChangeKind.Delete, id.StorageKey, write.Key, expected);
                    pending[id] = (null, 0);
                    break;
                case StateOperationKind.Check:
                    changes[i] = new SharedChange(SharedChangeKind.Check, id.StorageKey, write.Key, expected);
                    break;
                default:
                    throw new ArgumentException($"A shared store cannot commit a {write.Kind} operation inside a batch.", nameof(writes));
            }
        }

        return (changes, internalChecks);
    }

    /// <summary>The time to live of a write: its own, else the inherited one (merges and updates), else the store's default; 0 for none.</summary>
    private long TimeToLiveTicks(StateWriteOptions? options, long? inherited)
    {
        if (options?.TimeToLive is { } ttl)
        {
            if (ttl <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(options), ttl, "A time to live must be positive.");
            }

            return ttl.Ticks;
        }

        return inherited ?? _options.DefaultTimeToLive?.Ticks ?? 0;
    }

    private long NowTicks() => _options.TimeProvider.GetUtcNow().UtcTicks;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private async Task PumpAsync(IAsyncEnumerable<SharedChangeNotice> feed)
    {
        try
        {
            await foreach (var notice in feed.WithCancellation(_stopping.Token).ConfigureAwait(false))
            {
                var watchers = Volatile.Read(ref _watchers);
                if (watchers.Length == 0 || notice.ScopeKey.StartsWith('$'))
                {
                    continue;
                }

                StateChange? change = null;
                foreach (var watcher in watchers)
                {
                    if (!watcher.Matches(notice.ScopeKey, notice.Key))
                    {
                        continue;
                    }

                    change ??= await ToChangeAsync(notice).ConfigureAwait(false);
                    if (!watcher.Channel.Writer.TryWrite(change))
                    {
                        watcher.Channel.Writer.TryComplete(new StateLimitExceededException(
                            $"A watcher of scope '{watcher.Scope}' fell more than {_options.WatchBufferCapacity} changes behind and was stopped so that it never silently misses one; consume changes faster, watch a narrower scope or raise SharedStateStoreOptions.WatchBufferCapacity, then watch again.")
                        {
                            Limit = "WatcherBuffer",
                            LimitValue = _options.WatchBufferCapacity,
                            Scope = watcher.Scope,
                        });
                        Remove(watcher);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is StateException or IOException or InvalidOperationException)
        {
            // The feed broke (the server went away): stop the watchers with the reason rather than leave them waiting.
            lock (_watchLock)
            {
                foreach (var watcher in _watchers)
                {
                    watcher.Channel.Writer.TryComplete(ex);
                }

                _watchers = [];
                _feedBroken = ex;
            }
        }
    }

    private async ValueTask<StateChange> ToChangeAsync(SharedChangeNotice notice)
    {
        var scope = StateScope.FromStorageKey(notice.ScopeKey);
        if (notice.Deleted)
        {
            return new StateChange(scope, notice.Key, StateChangeKind.Deleted, notice.Version, ReadOnlyMemory<byte>.Empty)
            {
                PreviousVersion = notice.PreviousVersion,
                PreviousValue = notice.PreviousValue,
            };
        }

        var value = notice.Value;
        if (value is null)
        {
            // The feed could not carry the value (too large): read it; a later write may already have replaced it.
            var stored = await _backend.GetAsync(notice.ScopeKey, notice.Key, _stopping.Token).ConfigureAwait(false);
            value = stored?.Value ?? [];
        }

        return new StateChange(scope, notice.Key, StateChangeKind.Set, notice.Version, value)
        {
            PreviousVersion = notice.PreviousVersion,
            PreviousValue = notice.PreviousValue,
        };
    }

    private async IAsyncEnumerable<StateChange> ReadChangesAsync(SharedWatcher watcher, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in watcher.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            Remove(watcher);
        }
    }

    private void Remove(SharedWatcher watcher)
    {
        lock (_watchLock)
        {
            var index = Array.IndexOf(_watchers, watcher);
            if (index >= 0)
            {
                _watchers = [.. _watchers[..index], .. _watchers[(index + 1)..]];
            }
        }
    }

    private sealed class SharedWatcher(StateScope scope, string? prefix, int capacity)
    {
        public StateScope Scope { get; } = scope;

        public Channel<StateChange> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<StateChange>(
            new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        public bool Matches(string scopeKey, string key) =>
            scopeKey.StartsWith(Scope.StorageKey, StringComparison.Ordinal) && (prefix is null || key.StartsWith(prefix, StringComparison.Ordinal));
    }
}
