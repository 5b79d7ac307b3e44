using System.Collections.Concurrent;
using FlowState.Checkpoints;

namespace FlowState.Streaming;

/// <summary>
/// Knows which keys of a pipeline's state changed since each partition's last snapshot (told by the store, under its
/// write lock) and takes the snapshots: the changed keys for an incremental checkpoint, every owned key for a full one.
/// Also catches writes of keys a partition does not own.
/// </summary>
internal sealed class StreamStateTracker : IStateChangeObserver
{
    public const string RuntimeSegment = "exactly-once";
    private readonly StateStore _store;
    private readonly StateScope _pipelineScope;
    private readonly Dictionary<string, int> _stageByName;
    private readonly StateScope[] _stageScopes;
    private readonly StateScope[] _runtimeScopes;
    private readonly int _partitions;
    private readonly HashSet<(StateScope Scope, string Key)>[][] _dirty;
    private readonly ConcurrentDictionary<StateScope, int> _stageOfScope = new();
    private readonly AsyncLocal<StreamWorkerTag?> _current = new();
    private volatile bool _suspended;

    public StreamStateTracker(StateStore store, StateScope pipelineScope, IReadOnlyList<string> processors, int partitions)
    {
        _store = store;
        _pipelineScope = pipelineScope;
        _partitions = partitions;
        _stageByName = processors.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        _stageScopes = [.. processors.Select(pipelineScope.Child)];
        var runtime = pipelineScope.ChildOfKind(ScopeSegmentKind.Runtime, RuntimeSegment);
        _runtimeScopes = [.. processors.Select(runtime.Child)];
        _dirty = [.. processors.Select(_ => Enumerable.Range(0, partitions).Select(_ => new HashSet<(StateScope, string)>()).ToArray())];
    }

    public StateScope StageScope(int stage) => _stageScopes[stage];

    public StateScope RuntimeScope(int stage) => _runtimeScopes[stage];

    /// <summary>Marks the current task as running <paramref name="tag"/>'s partition.</summary>
    public void Enter(StreamWorkerTag tag) => _current.Value = tag;

    public void Attach()
    {
        if (!_store.TryAddChangeObserver(this))
        {
            throw new InvalidOperationException(
                $"The state store '{_store.Name}' already serves a stream pipeline; give each pipeline a store of its own.");
        }
    }

    public void Detach() => _store.RemoveChangeObserver(this);

    /// <summary>Restores write the whole state: they are not changes since a checkpoint.</summary>
    public void Suspend(bool suspended) => _suspended = suspended;

    public void OnChanged(StateScope scope, string key)
    {
        if (_suspended)
        {
            return;
        }

        var stage = StageOf(scope);
        if (stage < 0)
        {
            return;
        }

        var partition = StreamPartitioner.PartitionOf(key, _partitions);
        var current = _current.Value;
        if (current is not null && (current.Stage != stage || current.Partition != partition))
        {
            current.Violation ??= current.Stage != stage
                ? $"wrote key '{key}' in the state of another processor ('{scope}')"
                : $"wrote key '{key}', which belongs to partition {partition} of {_partitions}, while processing partition {current.Partition}";
        }

        var dirty = _dirty[stage][partition];
        lock (dirty)
        {
            dirty.Add((scope, key));
        }
    }

    /// <summary>The partition's changed keys since its last snapshot (or all its keys), as checkpoint items.</summary>
    public List<CheckpointStateFile.Item> TakeSnapshot(int stage, int partition, bool full)
    {
        var dirty = _dirty[stage][partition];
        (StateScope Scope, string Key)[] changed;
        lock (dirty)
        {
            changed = [.. dirty];
            dirty.Clear();
        }

        var items = new List<CheckpointStateFile.Item>();
        if (full)
        {
            bool Owned(string key) => StreamPartitioner.PartitionOf(key, _partitions) == partition;
            foreach (var scope in new[] { _stageScopes[stage], _runtimeScopes[stage] })
            {
                foreach (var entry in _store.ReadBackendEntries(scope, Owned))
                {
                    items.Add(new CheckpointStateFile.Item(entry.ScopeKey, entry.Key, entry));
                }
            }

            return items;
        }

        foreach (var (scope, key) in changed)
        {
            items.Add(new CheckpointStateFile.Item(scope.StorageKey, key, _store.ReadBackendEntry(scope, key)));
        }

        return items;
    }

    private int StageOf(StateScope scope)
    {
        if (_stageOfScope.TryGetValue(scope, out var stage))
        {
            return stage;
        }

        stage = -1;
        var depth = _pipelineScope.Depth;
        StateScope? child = null;
        StateScope? grandchild = null;
        for (var s = scope; s is not null && s.Depth > depth; s = s.Parent)
        {
            (grandchild, child) = (child, s);
        }

        if (child is not null && child.Parent == _pipelineScope)
        {
            if (child.Kind == ScopeSegmentKind.Named && _stageByName.TryGetValue(child.Name, out var named))
            {
                stage = named;
            }
            else if (child.Kind == ScopeSegmentKind.Runtime && child.Name == RuntimeSegment && grandchild is not null
                && _stageByName.TryGetValue(grandchild.Name, out var wrapped))
            {
                stage = wrapped;
            }
        }

        _stageOfScope.TryAdd(scope, stage);
        return stage;
    }
}
