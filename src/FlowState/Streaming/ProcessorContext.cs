namespace FlowState.Streaming;

/// <summary>What a processor sees of the pipeline while it handles one partition's messages.</summary>
public sealed class ProcessorContext
{
    internal ProcessorContext(
        string pipelineName,
        string processorName,
        int partition,
        int partitionCount,
        IStateStore state,
        IStateStore runtimeState,
        TimeProvider? time = null,
        Func<CompletedCheckpoints>? completed = null,
        Func<StateScope, IReadOnlyList<StateScopeSummary>>? childScopes = null)
    {
        Completed = completed ?? (static () => CompletedCheckpoints.None);
        ChildScopes = childScopes ?? (static _ => []);
        PipelineName = pipelineName;
        ProcessorName = processorName;
        Partition = partition;
        PartitionCount = partitionCount;
        State = state;
        RuntimeState = runtimeState;
        Timers = new ProcessorTimers(this, runtimeState.Scope(TimersScope), time ?? TimeProvider.System);
    }

    // The child scope of the runtime state that keeps timers, one key per message key.
    private const string TimersScope = "timers";

    /// <summary>The pipeline's name.</summary>
    public string PipelineName { get; }

    /// <summary>The processor's name.</summary>
    public string ProcessorName { get; }

    /// <summary>Which partition this is, from 0.</summary>
    public int Partition { get; }

    /// <summary>How many partitions the processor runs in.</summary>
    public int PartitionCount { get; }

    /// <summary>
    /// The processor's keyed state (scope <c>custom:stream:{pipeline}:{processor}:</c>). Store each value under the key
    /// of the message it belongs to (or a key with the same partition): a partition owns the keys that hash to it, the
    /// checkpoint of a partition holds exactly those, and rescaling moves them by that hash. Writing a key of another
    /// partition fails the pipeline with a <see cref="StreamException"/>.
    /// </summary>
    public IStateStore State { get; }

    /// <summary>The pipeline's last two completed checkpoints, as of now.</summary>
    internal Func<CompletedCheckpoints> Completed { get; }

    /// <summary>The child scopes of a scope of the pipeline's state that hold entries (the engine's tree, not a walk of keys).</summary>
    internal Func<StateScope, IReadOnlyList<StateScopeSummary>> ChildScopes { get; }

    /// <summary>The oldest generation of <see cref="ExactlyOnceProcessor"/>'s id logs this partition has kept (older ones it deleted).</summary>
    internal long DedupeKeptFrom { get; set; }

    /// <summary>State the runtime keeps for wrappers such as <see cref="ExactlyOnceProcessor"/>; keyed like <see cref="State"/>.</summary>
    internal IStateStore RuntimeState { get; }

    /// <summary>
    /// This partition's timers: register event-time or processing-time timers per key; they fire through
    /// <see cref="IProcessor.OnTimerAsync"/> and are kept in state like the keys they belong to.
    /// </summary>
    public ProcessorTimers Timers { get; }

    /// <summary>True when <paramref name="key"/> belongs to this partition.</summary>
    public bool Owns(string key) => StreamPartitioner.PartitionOf(key, PartitionCount) == Partition;

    /// <summary>
    /// Keyed state <paramref name="name"/> holding one value per key, in the child scope <c>{name}</c> of
    /// <see cref="State"/>: checkpointed (incrementally: only the keys written since), restored and rescaled with the
    /// processor's other state. The same name gives the same values in every batch and partition.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> cannot name a scope.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The time to live is not positive.</exception>
    public KeyedValueState<T> ValueState<T>(string name, KeyedStateOptions? options = null) => new(new KeyedStateScope(this, name, options));

    /// <summary>Keyed state <paramref name="name"/> holding a list per key; kept as <see cref="ValueState{T}"/> describes.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> cannot name a scope.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The time to live is not positive.</exception>
    public KeyedListState<T> ListState<T>(string name, KeyedStateOptions? options = null) => new(new KeyedStateScope(this, name, options));

    /// <summary>Keyed state <paramref name="name"/> holding a map of named values per key; kept as <see cref="ValueState{T}"/> describes.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> cannot name a scope.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The time to live is not positive.</exception>
    public KeyedMapState<TValue> MapState<TValue>(string name, KeyedStateOptions? options = null) => new(new KeyedStateScope(this, name, options));

    /// <summary>
    /// Keyed state <paramref name="name"/> folding every value added to a key into one with <paramref name="reduce"/>;
    /// kept as <see cref="ValueState{T}"/> describes.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> cannot name a scope.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The time to live is not positive.</exception>
    public KeyedReducingState<T> ReducingState<T>(string name, Func<T, T, T> reduce, KeyedStateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reduce);
        return new(new KeyedStateScope(this, name, options), reduce);
    }

    /// <summary>
    /// Keyed state <paramref name="name"/> adding inputs to an accumulator per key (<paramref name="create"/> starts
    /// one, <paramref name="add"/> adds to it, <paramref name="result"/> reads it); kept as <see cref="ValueState{T}"/> describes.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> cannot name a scope.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The time to live is not positive.</exception>
    public KeyedAggregatingState<TInput, TAccumulator, TOutput> AggregatingState<TInput, TAccumulator, TOutput>(
        string name, Func<TAccumulator> create, Func<TAccumulator, TInput, TAccumulator> add, Func<TAccumulator, TOutput> result, KeyedStateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(result);
        return new(new KeyedStateScope(this, name, options), create, add, result);
    }
}
