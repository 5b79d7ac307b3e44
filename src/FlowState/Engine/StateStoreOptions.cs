using System.Text.Json;

namespace FlowState;

/// <summary>Options of a <see cref="StateStore"/>; bind with <c>IOptions&lt;StateStoreOptions&gt;</c> or set in code.</summary>
public sealed class StateStoreOptions
{
    /// <summary>The store's name in metrics (the tag <c>flowstate.store</c>); default <c>default</c>.</summary>
    public string Name { get; set; } = "default";

    /// <summary>
    /// Most live entries in the whole store; past it the least recently used are evicted (<see cref="EvictionReason.Capacity"/>).
    /// With a <see cref="Backend"/>, most values held in memory: past it the least recently used values are paged out
    /// to the backend and read back on demand, and nothing is evicted. Null: unbounded.
    /// </summary>
    public long? MaxEntries { get; set; }

    /// <summary>
    /// Most bytes (UTF-8 keys plus values) in the whole store; past it the least recently used are evicted. With a
    /// <see cref="Backend"/>, most bytes of entries whose values are in memory (the rest are paged out). Null: unbounded.
    /// </summary>
    public long? MaxBytes { get; set; }

    /// <summary>Time to live of entries written without one. Null: entries do not expire.</summary>
    public TimeSpan? DefaultTimeToLive { get; set; }

    /// <summary>How often expired entries are purged in the background (so eviction callbacks fire promptly).</summary>
    public TimeSpan ExpirationScanInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How often, at most, the renewals of sliding expirations that reads made are saved to the <see cref="Backend"/>
    /// (default 1 s). A read renews a sliding entry in memory at once; the new deadline reaches the backend with the next
    /// save (a key read a thousand times in between is written once), when its value is paged out, and when the store
    /// is closed. So a clean close keeps every renewal, and a crash loses at most the renewals of the last interval.
    /// </summary>
    public TimeSpan SlidingExpirationSaveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Called, outside any lock, when an entry leaves the store. An exception it throws is logged and ignored.</summary>
    public Action<StateEviction>? OnEvicted { get; set; }

    /// <summary>Limits applied to every value and to the store as a whole (the global scope). Default: 1 MiB values, depth 64.</summary>
    public StateLimits Limits { get; set; } = StateLimits.Default;

    /// <summary>Limits of particular scopes (and their child scopes), on top of <see cref="Limits"/>.</summary>
    public IDictionary<StateScope, StateLimits> ScopeLimits { get; } = new Dictionary<StateScope, StateLimits>();

    /// <summary>
    /// Limits of every workflow run's scope (<c>workflow:{runId}:</c> and its child scopes), declared once for the runs
    /// flows create on the fly: each run is checked on its own (a <see cref="StateLimits.MaxKeys"/> of 100 is 100 keys
    /// per run). An entry of <see cref="ScopeLimits"/> for one run's scope replaces it for that run.
    /// </summary>
    public StateLimits? RunScopeLimits { get; set; }

    /// <summary>
    /// Version history, opt-in per scope: <c>History[scope] = n</c> keeps the last n versions of every key in the
    /// scope and its child scopes (the nearest enclosing entry wins), readable with
    /// <see cref="IStateReader.GetHistoryAsync"/> and kept in the backend with the entries.
    /// </summary>
    public IDictionary<StateScope, int> History { get; } = new Dictionary<StateScope, int>();

    /// <summary>The clock for expiry; inject a fake one in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Makes the meter the store, and flows and pipelines on it, record on (<see cref="FlowStateMetrics"/>); a host's
    /// is passed on by <c>AddFlowState</c>. Null: a process-wide meter of the same name.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// A backend transaction (one group commit) that takes longer is logged as a warning naming the store, the backend,
    /// the time and the commits that waited for it; 1 second by default.
    /// </summary>
    public TimeSpan SlowCommitThreshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Serializer options for typed access. Null: <see cref="JsonSerializerOptions.Default"/>.</summary>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }

    /// <summary>Interceptors run, in order, before every write.</summary>
    public IList<IStateInterceptor> Interceptors { get; } = [];

    /// <summary>Wrappers applied, in order, to every store handed out by <see cref="StateStore.For"/> (logging, metrics).</summary>
    public IList<Func<IStateStore, IStateStore>> Decorators { get; } = [];

    /// <summary>How many changes a watcher may fall behind before it fails with <see cref="StateLimitExceededException"/>.</summary>
    public int WatchBufferCapacity { get; set; } = 10_000;

    /// <summary>
    /// Where state is kept durably (SQLite, RocksDB, ...). Null: memory only. A store with a backend is opened with
    /// <see cref="StateStore.OpenAsync"/>, owns the backend and disposes it.
    /// </summary>
    public IStateBackend? Backend { get; set; }

    /// <summary>What an acknowledged write survives when there is a <see cref="Backend"/>.</summary>
    public Durability Durability { get; set; } = Durability.Process;

    /// <summary>
    /// Migrations applied by <see cref="StateStore.OpenAsync"/> to a store with a <see cref="Backend"/>: those above
    /// the store's recorded <see cref="StateStore.MigrationVersion"/>, in ascending version order.
    /// </summary>
    public IList<IStateMigration> Migrations { get; } = [];

    /// <summary>Most commits waiting to become durable; further writers wait (backpressure).</summary>
    public int MaxPendingCommits { get; set; } = 4096;

    /// <summary>Whether to count hits and misses per scope (a few nanoseconds a read).</summary>
    public bool TrackAccessStatistics { get; set; } = true;
}
