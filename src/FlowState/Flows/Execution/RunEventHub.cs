using System.Collections.Concurrent;

namespace FlowState.Flows;

/// <summary>
/// The event streams of a runner's runs, by run id: a run's stream lives while the run executes in this process or
/// somebody watches it, so that a watcher and an execution always meet on the same stream.
/// </summary>
internal sealed class RunEventHub(int capacity)
{
    private readonly ConcurrentDictionary<string, RunEventStream> _streams = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The stream an execution of <paramref name="runId"/> publishes to until <see cref="Detach"/>.</summary>
    public RunEventStream Attach(string runId)
    {
        lock (_lock)
        {
            var stream = _streams.GetOrAdd(runId, static (id, capacity) => new RunEventStream(id, capacity), capacity);
            stream.Executions++;
            return stream;
        }
    }

    public void Detach(RunEventStream stream)
    {
        lock (_lock)
        {
            if (--stream.Executions == 0 && !stream.IsWatched)
            {
                Remove(stream);
            }
        }
    }

    /// <summary>Adds a watcher of <paramref name="runId"/>; it receives every event published from now on.</summary>
    public (RunEventStream Stream, RunEventBuffer Buffer) Subscribe(string runId)
    {
        lock (_lock)
        {
            var stream = _streams.GetOrAdd(runId, static (id, capacity) => new RunEventStream(id, capacity), capacity);
            return (stream, stream.Subscribe());
        }
    }

    public void Unsubscribe(RunEventStream stream, RunEventBuffer buffer)
    {
        lock (_lock)
        {
            if (!stream.Unsubscribe(buffer) && stream.Executions == 0)
            {
                Remove(stream);
            }
        }
    }

    private void Remove(RunEventStream stream) => _streams.TryRemove(KeyValuePair.Create(stream.RunId, stream));
}
