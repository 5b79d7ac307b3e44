using System.Collections.Concurrent;

namespace FlowState;

/// <summary>
/// The limits that apply where: the store's own (merged with any set on the global scope), each scope's, and those
/// every run's scope gets.
/// </summary>
/// <remarks>
/// Invariant: <see cref="Global"/> is the store's limits merged with the global scope's. Lock: <see cref="Set"/> runs
/// under the store's write lock; lookups run on writes (under it) and on serialization before a write (without it),
/// which is why the table is a concurrent dictionary and the global limits are read as one reference.
/// </remarks>
internal sealed class ScopeLimitTable
{
    private readonly ConcurrentDictionary<StateScope, StateLimits> _byScope = new();
    private readonly StateLimits _store;
    private readonly StateLimits? _runs;

    // Set once any scope has limits: ConcurrentDictionary.IsEmpty takes every lock when the dictionary is empty, which
    // showed on each write (it is never cleared, so a store that had limits keeps looking them up).
    private volatile bool _hasScopeLimits;
    private volatile StateLimits _global;

    public ScopeLimitTable(StateLimits store, StateLimits? runs, IEnumerable<KeyValuePair<StateScope, StateLimits>> scopes)
    {
        _store = store;
        _runs = runs;
        _hasScopeLimits = runs is not null;
        foreach (var (scope, limits) in scopes)
        {
            _byScope[scope] = limits;
            _hasScopeLimits = true;
        }

        _global = Merge(store, _byScope.GetValueOrDefault(StateScope.Global));
    }

    /// <summary>The limits of the global scope: the store's, merged with those set on it.</summary>
    public StateLimits Global => _global;

    /// <summary>Sets (or with null removes) the limits of <paramref name="scope"/>. Under the write lock.</summary>
    public void Set(StateScope scope, StateLimits? limits)
    {
        if (limits is null)
        {
            _byScope.TryRemove(scope, out _);
        }
        else
        {
            _byScope[scope] = limits;
            _hasScopeLimits = true;
        }

        if (scope.IsGlobal)
        {
            _global = Merge(_store, limits);
        }
    }

    /// <summary>The limits set on <paramref name="scope"/> itself (a run's scope: the run limits unless it has its own), or null.</summary>
    public StateLimits? Of(StateScope scope) =>
        scope.IsGlobal ? _global : _byScope.GetValueOrDefault(scope) ?? (IsRunScope(scope) ? _runs : null);

    /// <summary>The value limits that apply in <paramref name="scope"/>: the smallest along the chain of enclosing scopes.</summary>
    public (long MaxBytes, int MaxDepth) ValueLimitsFor(StateScope scope)
    {
        var global = _global;
        long maxBytes = global.MaxValueBytes ?? long.MaxValue;
        int maxDepth = global.MaxDepth ?? JsonValueCodec.SerializerMaxDepth;
        if (_hasScopeLimits)
        {
            for (var s = scope; !s.IsGlobal; s = s.Parent!)
            {
                if (Of(s) is { } limits)
                {
                    maxBytes = Math.Min(maxBytes, limits.MaxValueBytes ?? long.MaxValue);
                    maxDepth = Math.Min(maxDepth, limits.MaxDepth ?? int.MaxValue);
                }
            }
        }

        return (maxBytes, maxDepth);
    }

    private static bool IsRunScope(StateScope scope) => scope is { Depth: 1, Kind: ScopeSegmentKind.Workflow };

    private static StateLimits Merge(StateLimits store, StateLimits? global) => global is null ? store : new StateLimits
    {
        MaxKeys = Min(store.MaxKeys, global.MaxKeys),
        MaxTotalBytes = Min(store.MaxTotalBytes, global.MaxTotalBytes),
        MaxValueBytes = Min(store.MaxValueBytes, global.MaxValueBytes),
        MaxDepth = (int?)Min(store.MaxDepth, global.MaxDepth),
    };

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
