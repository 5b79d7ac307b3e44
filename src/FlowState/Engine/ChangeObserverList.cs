namespace FlowState;

/// <summary>
/// The engine's internal listeners (the stream runtime, the run index), told of every key set, deleted, expired,
/// evicted or undone; at most one of each type.
/// </summary>
/// <remarks>
/// Lock: the store's write lock, for every call; the array is replaced whole, never changed in place, so a
/// notification in progress sees one list.
/// </remarks>
internal sealed class ChangeObserverList
{
    private IStateChangeObserver[] _observers = [];

    /// <summary>Installs <paramref name="observer"/> unless one of the same type is installed already.</summary>
    /// <returns>Whether it was installed (or was installed already).</returns>
    public bool TryAdd(IStateChangeObserver observer)
    {
        if (Array.IndexOf(_observers, observer) >= 0)
        {
            return true;
        }

        if (Array.Exists(_observers, installed => installed.GetType() == observer.GetType()))
        {
            return false;
        }

        _observers = [.. _observers, observer];
        return true;
    }

    public void Remove(IStateChangeObserver observer) =>
        _observers = Array.FindAll(_observers, installed => !ReferenceEquals(installed, observer));

    public void Notify(StateScope scope, string key)
    {
        foreach (var observer in _observers)
        {
            observer.OnChanged(scope, key);
        }
    }
}
