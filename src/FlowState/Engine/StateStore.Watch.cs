using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace FlowState;

public sealed partial class StateStore
{
    internal IAsyncEnumerable<StateChange> Watch(StateScope scope, string? prefix, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        WatchSubscription subscription;
        lock (_writeLock)
        {
            var node = GetOrCreateNodeLocked(scope);
            subscription = new WatchSubscription(node, prefix, _options.WatchBufferCapacity);
            node.Watchers = [.. node.Watchers, subscription];
            _watcherCount++;
        }

        // Subscribed now, not at the first MoveNext, so changes made right after the call are seen.
        return ReadChangesAsync(subscription, cancellationToken);
    }

    private async IAsyncEnumerable<StateChange> ReadChangesAsync(WatchSubscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in subscription.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            lock (_writeLock)
            {
                Unsubscribe(subscription);
            }
        }
    }

    /// <summary>Tells the watchers of <paramref name="node"/> and its ancestors; <paramref name="previous"/> is the entry the change replaced or removed.</summary>
    private void PublishLocked(ScopeNode node, string key, StateChangeKind kind, long version, ReadOnlyMemory<byte> value, StateEntry? previous)
    {
        if (_watcherCount == 0)
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
                        $"A watcher of scope '{watcher.Node.Scope}' fell more than {_options.WatchBufferCapacity} changes behind and was stopped so that it never silently misses one; consume changes faster, watch a narrower scope or raise StateStoreOptions.WatchBufferCapacity, then watch again.")
                    {
                        Limit = "WatcherBuffer",
                        LimitValue = _options.WatchBufferCapacity,
                        Scope = watcher.Node.Scope,
                    });
                    Unsubscribe(watcher);
                }
            }
        }
    }

    private void Unsubscribe(WatchSubscription subscription)
    {
        var node = subscription.Node;
        var index = Array.IndexOf(node.Watchers, subscription);
        if (index < 0)
        {
            return;
        }

        node.Watchers = [.. node.Watchers[..index], .. node.Watchers[(index + 1)..]];
        _watcherCount--;
        subscription.Channel.Writer.TryComplete();
        PruneLocked(node);
    }

    /// <summary>Ends every watcher with <paramref name="error"/> and unsubscribes it.</summary>
    private void EndWatchersLocked(ScopeNode node, Exception error)
    {
        if (node.Children is not null)
        {
            foreach (var child in node.Children.Values.ToArray())
            {
                EndWatchersLocked(child, error);
            }
        }

        foreach (var watcher in node.Watchers)
        {
            watcher.Channel.Writer.TryComplete(error);
            Unsubscribe(watcher);
        }
    }

    private static void CompleteWatchers(ScopeNode node)
    {
        foreach (var watcher in node.Watchers)
        {
            watcher.Channel.Writer.TryComplete();
        }

        if (node.Children is not null)
        {
            foreach (var child in node.Children.Values)
            {
                CompleteWatchers(child);
            }
        }
    }
}
