namespace FlowState.Streaming;

/// <summary>
/// Where one named keyed state keeps its values: a child scope of the processor's state, one key per message key (so
/// the key's partition owns it, its checkpoint holds it and rescaling moves it by that key), written with the state's
/// time to live.
/// </summary>
internal sealed class KeyedStateScope
{
    private readonly ProcessorContext _context;

    public KeyedStateScope(ProcessorContext context, string name, KeyedStateOptions? options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new KeyedStateOptions();
        if (options.TimeToLive is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), ttl, $"The time to live of keyed state '{name}' must be positive, or null to keep values until they are cleared.");
        }

        _context = context;
        Name = name;
        Store = context.State.Scope(name);
        WriteOptions = options.TimeToLive is { } timeToLive
            ? new StateWriteOptions { TimeToLive = timeToLive, SlidingExpiration = options.RefreshOnRead }
            : StateWriteOptions.None;
    }

    public string Name { get; }

    public IStateStore Store { get; }

    public StateWriteOptions WriteOptions { get; }

    /// <summary>Refuses, before anything is written, a key that another partition owns.</summary>
    public string Owned(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_context.Owns(key))
        {
            throw new StreamException(
                $"Processor '{_context.ProcessorName}' wrote key '{key}' of keyed state '{Name}' while processing partition {_context.Partition} of {_context.PartitionCount}, and the key belongs to partition {StreamPartitioner.PartitionOf(key, _context.PartitionCount)}; keep state under the keys of the messages being processed.");
        }

        return key;
    }
}
