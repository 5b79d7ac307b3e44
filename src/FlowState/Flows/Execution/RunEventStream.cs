using System.Threading.Channels;

namespace FlowState.Flows;

/// <summary>
/// The events of one run in this process and the watchers that receive them. Publishing costs one volatile read while
/// nobody watches; with watchers, events are numbered and written to every watcher's bounded channel in one order
/// (one publisher at a time), and a full channel makes the run wait.
/// </summary>
internal sealed class RunEventStream(string runId, int capacity) : IDisposable
{
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private readonly Lock _watchersLock = new();
    private Channel<FlowEvent>[] _watchers = [];
    private long _sequence;

    public string RunId { get; } = runId;

    /// <summary>Executions of the run in this process publishing to the stream (guarded by the hub's lock).</summary>
    public int Executions { get; set; }

    public bool IsWatched => Volatile.Read(ref _watchers).Length != 0;

    public Channel<FlowEvent> Subscribe()
    {
        var channel = Channel.CreateBounded<FlowEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait, AllowSynchronousContinuations = true });
        lock (_watchersLock)
        {
            _watchers = [.. _watchers, channel];
        }

        return channel;
    }

    /// <summary>Removes a watcher; a publisher waiting for room in its channel goes on.</summary>
    /// <returns>Whether any watcher is left.</returns>
    public bool Unsubscribe(Channel<FlowEvent> channel)
    {
        channel.Writer.TryComplete();
        lock (_watchersLock)
        {
            _watchers = Array.FindAll(_watchers, c => c != channel);
            return _watchers.Length != 0;
        }
    }

    /// <summary>Numbers <paramref name="flowEvent"/> and hands it to every watcher; after a run's last event, their streams end.</summary>
    public async ValueTask PublishAsync(FlowEvent flowEvent, CancellationToken cancellationToken)
    {
        await _publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Numbered once, by the one publisher at a time, before any watcher can see it.
            var numbered = flowEvent;
            numbered.Sequence = ++_sequence;
            foreach (var watcher in Volatile.Read(ref _watchers))
            {
                try
                {
                    await watcher.Writer.WriteAsync(numbered, cancellationToken).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    // The watcher left while the run waited for it.
                }

                if (numbered.IsFinal)
                {
                    watcher.Writer.TryComplete();
                }
            }
        }
        finally
        {
            _publishing.Release();
        }
    }

    /// <summary>Called by the hub once neither an execution nor a watcher uses the stream.</summary>
    public void Dispose() => _publishing.Dispose();
}
