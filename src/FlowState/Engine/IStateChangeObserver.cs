namespace FlowState;

/// <summary>
/// Told of every key a store writes or removes (sets, merges, deletes, clears, expiries, evictions), under the store's
/// write lock, in commit order. Used by the stream runtime to know which keys changed since its last checkpoint.
/// Implementations must be fast and must not call back into the store.
/// </summary>
internal interface IStateChangeObserver
{
    void OnChanged(StateScope scope, string key);
}
