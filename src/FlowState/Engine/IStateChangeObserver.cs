namespace FlowState;

/// <summary>
/// Told of every key a store writes or removes (sets, merges, deletes, clears, expiries, evictions, and changes undone
/// after a failed commit), under the store's write lock, in commit order. Used by the stream runtime to know which keys
/// changed since its last checkpoint and by the flow runtime's run index to know which runs changed. Implementations
/// must be fast and must not call back into the store.
/// </summary>
internal interface IStateChangeObserver
{
    void OnChanged(StateScope scope, string key);
}
