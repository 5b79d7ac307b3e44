namespace FlowState;

/// <summary>
/// The watchers of the store's scopes: each hangs on its scope's node and is fed, in version order, every change of
/// that subtree whose key matches its prefix; one that falls a buffer behind is stopped with an error rather than miss
/// a change.
/// </summary>
/// <remarks>
/// Invariant: <c>_count</c> is the number of subscriptions hanging on the tree (0 lets a change skip the walk up the
/// tree). Lock: the store's write lock, for every call; watchers are fed under it, which is what orders their changes.
/// </remarks>
internal sealed class WatchHub(ScopeTree tree, int bufferCapacity)
{
    private int _count;

    public WatchSubscription SubscribeLocked(StateScope scope, string? prefix)
    {
        var node = tree.GetOrCreateLocked(scope);
        var subscription = new WatchSubscription(node, prefix, bufferCapacity);
        node.Watchers = [.. node.Watchers, subscription];
        _count++;
        return subscription;
    }

    /// <summary>Tells the watchers of <paramref name="node"/> and its ancestors; <paramref name="previous"/> is the entry the change replaced or removed.</summary>
    public void PublishLocked(ScopeNode node, string key, StateChangeKind kind, long version, ReadOnlyMemory<byte> value, StateEntry? previous)
    {
        if (_count == 0)
        {
            return;
        }

        StateChange? change = null;
        for (var n = node; n is not null; n = n.Parent)
        {
            foreach (var watcher in n.Watchers)
            {
                if (!watcher.Matches(key))
                {
                    continue;
                }

                change ??= new StateChange(node.Scope, key, kind, version, value)
                {
                    PreviousVersion = previous?.Version ?? 0,
                    PreviousValue = previous?.ResidentUtf8Json ?? ReadOnlyMemory<byte>.Empty,
                };
                if (!watcher.Channel.Writer.TryWrite(change))
                {
                    watcher.Channel.Writer.TryComplete(new StateLimitExceededException(
                        $"A watcher of scope '{watcher.Node.Scope}' fell more than {bufferCapacity} changes behind and was stopped so that it never silently misses one; consume changes faster, watch a narrower scope or raise StateStoreOptions.WatchBufferCapacity, then watch again.")
                    {
                        Limit = "WatcherBuffer",
                        LimitValue = bufferCapacity,
                        Scope = watcher.Node.Scope,
                    });
                    UnsubscribeLocked(watcher);
                }
            }
        }
    }

    public void UnsubscribeLocked(WatchSubscription subscription)
    {
        var node = subscription.Node;
        var index = Array.IndexOf(node.Watchers, subscription);
        if (index < 0)
        {
            return;
        }

        node.Watchers = [.. node.Watchers[..index], .. node.Watchers[(index + 1)..]];
        _count--;
        subscription.Channel.Writer.TryComplete();
        ScopeTree.PruneLocked(node);
    }

    /// <summary>Ends every watcher with <paramref name="error"/> and unsubscribes it.</summary>
    public void EndAllLocked(Exception error) => End(tree.Root, error);

    /// <summary>Completes every watcher's feed (the store is closing).</summary>
    public void CompleteAllLocked() => Complete(tree.Root);

    private void End(ScopeNode node, Exception error)
    {
        if (node.Children is not null)
        {
            foreach (var child in node.Children.Values.ToArray())
            {
                End(child, error);
            }
        }

        foreach (var watcher in node.Watchers)
        {
            watcher.Channel.Writer.TryComplete(error);
            UnsubscribeLocked(watcher);
        }
    }

    private static void Complete(ScopeNode node)
    {
        foreach (var watcher in node.Watchers)
        {
            watcher.Channel.Writer.TryComplete();
        }

        if (node.Children is not null)
        {
            foreach (var child in node.Children.Values)
            {
                Complete(child);
            }
        }
    }
}
