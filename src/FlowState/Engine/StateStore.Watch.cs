using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace FlowState;

public sealed partial class StateStore
{
    private readonly WatchHub _watch;

    internal IAsyncEnumerable<StateChange> Watch(StateScope scope, string? prefix, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        WatchSubscription subscription;
        lock (_writeLock)
        {
            subscription = _watch.SubscribeLocked(scope, prefix);
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
                _watch.UnsubscribeLocked(subscription);
            }
        }
    }
}
