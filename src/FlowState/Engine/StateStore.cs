using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlowState;

/// <summary>
/// The in-memory state engine: scoped, versioned, bounded, thread-safe. Reads take no lock; writes are
/// serialized by one lock and are linearizable; batches become visible all at once.
/// The store itself is the global scope; <see cref="For"/> hands out stores of other scopes.
/// </summary>
public sealed partial class StateStore : IStateStore, IStateStoreRoot, IAsyncDisposable
{
    private const int LoadChunk = 4096;

    private readonly Lock _writeLock = new();
    private readonly ScopeTree _tree = new();
    private readonly StateStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly JsonSerializerOptions _json;
    private readonly JsonSerializerOptions _jsonDeep;
    private readonly ScopeLimitTable _limits;
    private readonly RecencyQueue _recency = new();
    private readonly ExpiryQueue _expiry = new();
    private readonly IStateInterceptor[] _interceptors;
    private readonly Func<IStateStore, IStateStore>[] _decorators;
    private readonly IStateStore _global;
    private readonly ITimer _expiryTimer;
    private readonly CoarseUtcClock? _coarseClock;
    private readonly IStateBackend? _backend;
    private readonly GroupCommitQueue? _commits;
    private readonly FlowStateInstruments _instruments;
    private readonly UndurableChanges? _undurable;
    private List<BackendChange>? _pendingChanges;

    // Gates of pending evictions whose paged-out values are read after the lock; the next queued changes wait for them.
    private List<Task>? _evictionGates;
    private readonly bool _bounded;
    private readonly bool _readOnly;
    private readonly bool _trackAccess;

    // Odd while a change of several keys is being applied; readers that see it (or see it move) read under the lock.
    private long _batchSequence;
    private long _version;
    private int _disposed;

    /// <summary>Creates an unbounded in-memory store with default options.</summary>
    public StateStore()
        : this(new StateStoreOptions())
    {
    }

    /// <summary>Creates an in-memory store.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">The options name a backend: use <see cref="OpenAsync"/>.</exception>
    public StateStore(StateStoreOptions options)
        : this(WithoutBackend(options), NullLogger<StateStore>.Instance)
    {
    }

    /// <summary>Creates an in-memory store from options bound through dependency injection.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">The options name a backend: use <see cref="OpenAsync"/>.</exception>
    public StateStore(IOptions<StateStoreOptions> options, ILogger<StateStore>? logger = null)
        : this(WithoutBackend((options ?? throw new ArgumentNullException(nameof(options))).Value), logger ?? NullLogger<StateStore>.Instance)
    {
    }

    private StateStore(StateStoreOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptions(options);
        _options = options;
        _logger = logger;
        _time = options.TimeProvider;
        _json = options.JsonSerializerOptions ?? JsonSerializerOptions.Default;
        _jsonDeep = JsonValueCodec.Deep(_json);
        _bounded = options.MaxEntries is not null || options.MaxBytes is not null;
        _trackAccess = options.TrackAccessStatistics;
        _interceptors = [.. options.Interceptors];
        _decorators = [.. options.Decorators];
        _history = new VersionHistory(options.History);
        _watch = new WatchHub(_tree, options.WatchBufferCapacity);

        _limits = new ScopeLimitTable(options.Limits, options.RunScopeLimits, options.ScopeLimits);
        _coarseClock = ReferenceEquals(_time, TimeProvider.System) ? new CoarseUtcClock(_time) : null;
        _backend = options.Backend;
        _resident = _bounded && _backend is not null ? new ResidentSet(options.MaxEntries, options.MaxBytes) : null;
        _readOnly = _backend is IReadOnlyStateBackend { IsReadOnly: true };
        if (_readOnly && _resident is not null)
        {
            throw new ArgumentException("A read-only store keeps every value in memory (it reads the storage once, at open): remove MaxEntries and MaxBytes, or open it writable.", nameof(options));
        }

        // A read-only store never writes, so it has nothing to undo (and no group commit would ever let records go).
        _undurable = _backend is null || _readOnly ? null : new UndurableChanges();
        _renewals = _backend is null || _readOnly ? null : new SlidingRenewals(options.SlidingExpirationSaveInterval.Ticks, _time.GetUtcNow().UtcTicks);
        _instruments = FlowStateInstruments.For(options.MeterFactory);
        _commits = _backend is null ? null : new GroupCommitQueue(_backend, options.MaxPendingCommits, options.Name, _instruments, _logger, options.SlowCommitThreshold, RollBackUndurable);
        _global = For(StateScope.Global);
        // The timer holds the store weakly so that a store nobody disposed can still be collected; the timer then
        // disposes itself.
        var timerState = new ExpiryTimerState(new WeakReference<StateStore>(this));
        // Without suppressing the flow, the timer would capture the creator's ExecutionContext (its AsyncLocals,
        // e.g. the current Activity or test context) and keep it, and what it references, alive.
        using var noFlow = ExecutionContext.IsFlowSuppressed() ? default : ExecutionContext.SuppressFlow();
        _expiryTimer = _time.CreateTimer(
            static state =>
            {
                var timer = (ExpiryTimerState)state!;
                if (timer.Store.TryGetTarget(out var store))
                {
                    store.OnExpiryTimer();
                }
                else
                {
                    timer.Timer?.Dispose();
                }
            },
            timerState,
            options.ExpirationScanInterval,
            options.ExpirationScanInterval);
        timerState.Timer = _expiryTimer;
        _instruments.Register(this);
    }

    /// <inheritdoc />
    public StateScope CurrentScope => StateScope.Global;

    /// <inheritdoc />
    public string Path => string.Empty;

    /// <summary>
    /// Whether a backend write failed (a full disk, a lost connection): the store then refuses every write, its memory
    /// holds what the backend holds, and it must be reopened to write again. <see cref="FaultCause"/> says why.
    /// </summary>
    public bool IsFaulted => _commits?.Fault is not null;

    /// <summary>The backend failure that faulted the store (<see cref="IsFaulted"/>), or null.</summary>
    public Exception? FaultCause => _commits?.Fault;

    /// <summary>
    /// Commits acknowledged to their writers or waiting to be, not yet written by the backend (at most
    /// <see cref="StateStoreOptions.MaxPendingCommits"/>; 0 without a backend). A queue that stays near full means the
    /// backend cannot keep up.
    /// </summary>
    public int PendingCommits => _commits?.Pending ?? 0;

    /// <summary>Whether the store was opened on a read-only backend (<see cref="IReadOnlyStateBackend"/>): every write is refused.</summary>
    public bool IsReadOnly => _readOnly;

    /// <summary>The highest version written so far.</summary>
    public long CurrentVersion => Volatile.Read(ref _version);

    /// <summary>The serializer options of typed access.</summary>
    public JsonSerializerOptions SerializerOptions => _json;

    internal TimeProvider Time => _time;

    TimeProvider IStateStoreRoot.Time => _time;

    internal FlowStateInstruments Instruments => _instruments;

    FlowStateInstruments IStateStoreRoot.Instruments => _instruments;

    bool IStateStoreRoot.HasBackend => _backend is not null;

    /// <summary>The store's name and where it keeps its state, for logs and health reports: <c>StateStore(orders: sqlite:/data/orders.db)</c>.</summary>
    public override string ToString() => $"StateStore({Name}: {_backend?.Description ?? "in memory"})";

    long IStateStoreRoot.MaxValueBytes(StateScope scope) => _limits.ValueLimitsFor(scope).MaxBytes;

    internal long MaxValueBytes(StateScope scope) => _limits.ValueLimitsFor(scope).MaxBytes;

    JsonSerializerOptions IStateStoreRoot.DeepSerializerOptions => _jsonDeep;

    ValueTask<long> IStateStoreRoot.ApplyGlobalAsync(StateBatch batch, CancellationToken cancellationToken) => ApplyAsync(batch, cancellationToken);

    ValueTask<StateEntry?> IStateStoreRoot.ReadEntryAsync(StateScope scope, string key, CancellationToken cancellationToken) => ResidentAsync(Read(FindNode(scope), key), cancellationToken);

    async ValueTask<long> IStateStoreRoot.ApplyGlobalBehindAsync(StateBatch batch, CancellationToken cancellationToken) =>
        (await CommitAsync(Prepare(StateScope.Global, batch), Durability.None, cancellationToken).ConfigureAwait(false)).Version;

    DeferredWrites? IStateStoreRoot.NewDeferredWrites() => _commits is null || _resident is not null || _readOnly ? null : new DeferredWrites();

    async ValueTask<long> IStateStoreRoot.ApplyGlobalDeferredAsync(StateBatch batch, DeferredWrites deferred, CancellationToken cancellationToken) =>
        (await CommitAsync(Prepare(StateScope.Global, batch), new CommitMode(Durability.None, deferred), cancellationToken).ConfigureAwait(false)).Version;

    ValueTask IStateStoreRoot.FlushDeferredAsync(DeferredWrites deferred, CancellationToken cancellationToken) => FlushDeferredAsync(deferred, cancellationToken);

    /// <summary>The store's name in metrics (<see cref="StateStoreOptions.Name"/>).</summary>
    public string Name => _options.Name;

    /// <summary>What the store's state is kept in, as backups record it: the backend's description, or the in-memory store's name.</summary>
    internal string SourceDescription => _backend?.Description ?? $"in memory ({_options.Name})";

    internal bool HasBackend => _backend is not null;

    /// <summary>
    /// Opens a store: with <see cref="StateStoreOptions.Backend"/>, opens the backend and loads every live entry (with
    /// its version and expiry) into memory; new writes continue after the highest stored version.
    /// </summary>
    /// <exception cref="StateBackendException">The backend cannot be opened or read.</exception>
    /// <exception cref="StateCorruptedException">The stored state is damaged.</exception>
    /// <exception cref="StateMigrationException">A migration failed; the store stays at the last completed one.</exception>
    public static async Task<StateStore> OpenAsync(StateStoreOptions options, ILogger<StateStore>? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = new StateStore(options, logger ?? (ILogger)NullLogger<StateStore>.Instance);
        if (store._backend is null)
        {
            return store;
        }

        try
        {
            // Read before the backend opens: a read-only store beside a live writer must not see a mark newer than
            // the state it is about to load.
            var markPath = (store._backend as IHighWaterMarkedStateBackend)?.HighWaterMarkPath;
            var mark = markPath is null ? null : StateHighWaterMark.Read(markPath);
            await store._backend.OpenAsync(cancellationToken).ConfigureAwait(false);
            var description = store._backend.Description;
            var scan = await store.ScanStoredAsync(inChunks: options.Migrations.Count == 0, cancellationToken).ConfigureAwait(false);
            if (mark is { } found)
            {
                ThrowIfOlderThanMark(description, markPath!, found, scan.StoredVersion);
            }

            // Migrations need every entry at once: they get all of them here (without migrations, only the last chunk).
            (var loaded, store.MigrationVersion) = await MigrateAsync(options, store._backend, scan.Rest, scan.MigrationRecord, cancellationToken).ConfigureAwait(false);
            store.Load(loaded, description, writeBehind: true);
            store.LoadHistory(scan.History);
            store.ContinueAfter(scan.VersionMark);
            if (markPath is not null && !store._readOnly)
            {
                store.KeepHighWaterMark(markPath, scan.StoredVersion, mark);
            }

            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A store of <paramref name="scope"/>, wrapped by the configured decorators. It can never reach outside the scope.</summary>
    public IStateStore For(StateScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        IStateStore store = new ScopedStateStore(this, scope);
        foreach (var decorate in _decorators)
        {
            store = decorate(store);
        }

        return store;
    }

    /// <summary>A read-only view of <paramref name="scope"/>; it and its child views can never write.</summary>
    public IStateReader ReaderFor(StateScope scope) => new ReadOnlyStateReader(For(scope));

    /// <summary>Sets (or with null removes) the limits of a scope and its child scopes; later writes are checked against them.</summary>
    public void SetLimits(StateScope scope, StateLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (_writeLock)
        {
            _limits.Set(scope, limits);
        }
    }

    /// <summary>Counters of the whole store.</summary>
    public StateStatistics GetStatistics()
    {
        var total = GetStatistics(StateScope.Global);
        return total with { Misses = total.Misses + _tree.AbsentScopeMisses };
    }

    /// <summary>
    /// The child scopes of <paramref name="scope"/> that hold entries, each with the entries and bytes of its subtree,
    /// in no particular order. Read from the scope tree, not by walking keys, so it costs one step per child scope
    /// however many keys they hold; the counts are those of <see cref="GetStatistics(StateScope)"/> as of the last
    /// expiry purge (a key that expired since may still be counted).
    /// </summary>
    public IReadOnlyList<StateScopeSummary> ListChildScopes(StateScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ThrowIfDisposed();
        return FindNode(scope) is { } node ? ScopeTree.ListChildren(node) : [];
    }

    /// <summary>
    /// The page [<paramref name="offset"/>, offset + <paramref name="limit"/>) of <see cref="ListChildScopes"/> in path
    /// order, how many child scopes there are, and the entries of all of them. Orders only the page (a heap of its end)
    /// and builds a summary only for its scopes: a root with 100,000 runs' scopes answers in a pass over its children.
    /// </summary>
    internal (List<StateScopeSummary> Page, int Total, long Entries) PageChildScopes(StateScope scope, int offset, int limit)
    {
        ThrowIfDisposed();
        return FindNode(scope) is { } node ? ScopeTree.PageChildren(node, offset, limit) : ([], 0, 0);
    }

    /// <summary>
    /// For each child scope of <paramref name="parent"/> of kind <paramref name="kind"/>: its name and the entry of
    /// <paramref name="key"/> in its child scope (<paramref name="withinKind"/>, <paramref name="withinName"/>), null
    /// when there is none. Walks the tree without building a view per scope: what listing every run needs.
    /// </summary>
    internal IEnumerable<(string Name, StateEntry? Entry)> ReadInChildScopes(StateScope parent, ScopeSegmentKind kind, ScopeSegmentKind withinKind, string withinName, string key)
    {
        ThrowIfDisposed();
        if (FindNode(parent)?.Children is not { } children)
        {
            yield break;
        }

        foreach (var child in children.Values)
        {
            if (child.Scope.Kind != kind || child.Detached)
            {
                continue;
            }

            var within = child.Children is { } grandChildren && grandChildren.TryGetValue((withinKind, withinName), out var node) ? node : null;
            yield return (child.Scope.Name, within is null ? null : Read(within, key));
        }
    }

    /// <summary>
    /// Counters of one scope and its child scopes. A pruned (emptied) scope keeps no counters of its own; its parent
    /// does. Hits and misses are summed over the subtree's scopes without holding up writers (a scope pruned during the
    /// sum may be counted twice or not at all); entries, bytes and the store's evictions and expirations are exact.
    /// </summary>
    public StateStatistics GetStatistics(StateScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        PendingEvictions? evictions = null;
        ScopeNode? node;
        StateStatistics counted;
        try
        {
            lock (_writeLock)
            {
                PurgeExpiredLocked(NowTicks(), ref evictions);
                WriteBehindLocked();
                node = FindNode(scope);
                counted = node is null ? new StateStatistics(0, 0, 0, 0, 0, 0)
                    : new StateStatistics(node.SubtreeEntries, node.SubtreeBytes, 0, 0, node == _tree.Root ? _tree.Evictions : 0, node == _tree.Root ? _tree.Expirations : 0);
            }
        }
        finally
        {
            NotifyEvicted(evictions);
        }

        if (node is null)
        {
            return counted;
        }

        // Summed after the lock, so that writers never wait for a walk of the subtree (100 ms and more for a store of
        // 100,000 runs): hits and misses are counted without the lock anyway, and a scope pruned meanwhile may be
        // counted in its parent too, or in neither, as a read racing a prune may be.
        var summed = ScopeTree.SumAccess(node);
        return node == _tree.Root ? counted with { Hits = summed.Hits, Misses = summed.Misses } : summed with { Entries = counted.Entries, Bytes = counted.Bytes };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _instruments.Unregister(this);
        await _expiryTimer.DisposeAsync().ConfigureAwait(false);
        if (_renewals is not null)
        {
            await SaveRenewalsAtCloseAsync().ConfigureAwait(false);
        }

        lock (_writeLock)
        {
            _watch.CompleteAllLocked();
        }

        if (_commits is not null)
        {
            // Drains what is queued, so every write that was acknowledged (or written behind) reaches the backend.
            await _commits.DisposeAsync().ConfigureAwait(false);
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal long NowTicks() => _time.GetUtcNow().UtcTicks;

    internal ScopeNode? FindNode(StateScope scope) => _tree.Find(scope);

    private static void ValidateOptions(StateStoreOptions options)
    {
        if (options.MaxEntries is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxEntries, "StateStoreOptions.MaxEntries must be positive (or null for unbounded).");
        }

        if (options.MaxBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBytes, "StateStoreOptions.MaxBytes must be positive (or null for unbounded).");
        }

        if (options.DefaultTimeToLive is { } ttl && ttl <= TimeSpan.Zero && ttl != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), ttl, "StateStoreOptions.DefaultTimeToLive must be positive (or null for no expiry).");
        }

        if (options.ExpirationScanInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ExpirationScanInterval, "StateStoreOptions.ExpirationScanInterval must be positive.");
        }

        if (options.SlidingExpirationSaveInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SlidingExpirationSaveInterval, "StateStoreOptions.SlidingExpirationSaveInterval must be positive.");
        }

        if (options.Backend is null && options.Migrations.Count > 0)
        {
            throw new ArgumentException(
                "StateStoreOptions.Migrations need a Backend: migrations evolve stored state, and an in-memory store starts empty. Set Backend and open with StateStore.OpenAsync.",
                nameof(options));
        }

        if (options.History.FirstOrDefault(h => h.Value < 1) is { Key: not null } badHistory)
        {
            throw new ArgumentOutOfRangeException(nameof(options), badHistory.Value, $"StateStoreOptions.History[{badHistory.Key}] must keep at least 1 version.");
        }

        if (options.MaxPendingCommits <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxPendingCommits, "StateStoreOptions.MaxPendingCommits must be positive.");
        }

        if (options.WatchBufferCapacity <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.WatchBufferCapacity, "StateStoreOptions.WatchBufferCapacity must be positive.");
        }

        ArgumentNullException.ThrowIfNull(options.Limits, "options.Limits");
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
    }

    /// <summary>
    /// Removes every entry whose time to live has passed, now rather than at the next background sweep (expired entries
    /// are never seen either way; this frees their memory and, with a backend, their storage).
    /// </summary>
    /// <returns>How many entries were removed.</returns>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    public int PurgeExpired()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _coarseClock?.Refresh();
        PendingEvictions? evictions = null;
        int purged;
        try
        {
            lock (_writeLock)
            {
                purged = PurgeExpiredLocked(NowTicks(), ref evictions);
                WriteBehindLocked();
            }
        }
        finally
        {
            NotifyEvicted(evictions);
        }

        return purged;
    }

    private void OnExpiryTimer()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _coarseClock?.Refresh();
        PendingEvictions? evictions = null;
        try
        {
            lock (_writeLock)
            {
                if (_expiry.IsEmpty)
                {
                    return;
                }

                var now = NowTicks();
                PurgeExpiredLocked(now, ref evictions);
                if (_renewals?.IsDue(now) == true)
                {
                    SaveRenewalsLocked(now);
                }

                WriteBehindLocked();
            }
        }
        finally
        {
            NotifyEvicted(evictions);
        }
    }

    /// <summary>
    /// Hands evictions to <see cref="StateStoreOptions.OnEvicted"/>, after the write lock: paged-out values are read
    /// back from the backend first (their removal waits in the group commit until then). Call it in a finally block:
    /// until it runs, the group commit holds back.
    /// </summary>
    private void NotifyEvicted(PendingEvictions? evictions)
    {
        if (evictions is null || _options.OnEvicted is not { } callback)
        {
            return;
        }

        HashSet<int>? unreadable = null;
        try
        {
            foreach (var (index, entry) in evictions.PagedOut ?? [])
            {
                try
                {
                    evictions[index] = evictions[index] with { Value = ValueOf(entry) };
                }
                catch (StateException ex)
                {
                    (unreadable ??= []).Add(index);
                    StateStoreLog.EvictedValueUnreadable(_logger, ex, entry.Key, entry.Scope.Path);
                }
            }
        }
        finally
        {
            evictions.Gate?.TrySetResult();
        }

        for (var i = 0; i < evictions.Count; i++)
        {
            if (unreadable?.Contains(i) == true)
            {
                continue;
            }

            var eviction = evictions[i];
            try
            {
                callback(eviction);
            }
#pragma warning disable CA1031 // A user callback must never break the store; its failure is logged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                StateStoreLog.EvictionCallbackFailed(_logger, ex, eviction.Key, eviction.ScopePath, eviction.Reason);
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>
    /// Checked in the constructor chain, before the engine starts its timer and commit flusher, so that refusing a
    /// backend leaves nothing running.
    /// </summary>
    private static StateStoreOptions WithoutBackend(StateStoreOptions options)
    {
        if (options?.Backend is not null)
        {
            throw new InvalidOperationException($"A store with a backend ({options.Backend.Description}) loads its state when opened: use 'await StateStore.OpenAsync(options)'.");
        }

        return options!;
    }

    private sealed class ExpiryTimerState(WeakReference<StateStore> store)
    {
        public WeakReference<StateStore> Store { get; } = store;

        public ITimer? Timer { get; set; }
    }
}
