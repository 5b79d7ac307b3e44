using FlowState.Checkpoints;
using Microsoft.Extensions.Logging;

namespace FlowState.Streaming;

/// <summary>Assembles a <see cref="StreamPipeline"/>; <see cref="Build"/> checks the whole definition.</summary>
/// <example>
/// <code>
/// await using var pipeline = new StreamPipelineBuilder("word-count")
///     .AddSource(new JsonLinesFileSource("texts", "texts.txt") { Format = JsonLinesFileFormat.Text })
///     .AddProcessor(new TokenizeProcessor("words"))
///     .AddProcessor(new CountByKeyProcessor("counts"))
///     .AddSink(new JsonLinesFileSink("out", "out/"))
///     .WithPartitions(4)
///     .WithCheckpoints(new DirectoryCheckpointStorage("checkpoints/"), TimeSpan.FromSeconds(1))
///     .Build();
/// await pipeline.RunAsync();
/// </code>
/// </example>
public sealed class StreamPipelineBuilder
{
    private readonly List<ISource> _sources = [];
    private readonly List<IProcessor> _processors = [];
    private readonly List<ISink> _sinks = [];
    private readonly StreamPipelineOptions _options;
    private ICheckpointStorage? _checkpoints;
    private StateStore? _store;
    private ILogger? _logger;

    /// <summary>Starts a pipeline named <paramref name="name"/>.</summary>
    public StreamPipelineBuilder(string name)
    {
        _options = new StreamPipelineOptions { Name = name };
    }

    /// <summary>Starts a pipeline from options (copied).</summary>
    public StreamPipelineBuilder(StreamPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
    }

    /// <summary>Adds a source; sources are read in parallel.</summary>
    public StreamPipelineBuilder AddSource(ISource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _sources.Add(source);
        return this;
    }

    /// <summary>Adds the next processor; each one's input is routed to its partitions by message key.</summary>
    public StreamPipelineBuilder AddProcessor(IProcessor processor)
    {
        ArgumentNullException.ThrowIfNull(processor);
        _processors.Add(processor);
        return this;
    }

    /// <summary>Adds a sink; every sink receives every output message.</summary>
    public StreamPipelineBuilder AddSink(ISink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sinks.Add(sink);
        return this;
    }

    /// <summary>Sets the partitions per processor.</summary>
    public StreamPipelineBuilder WithPartitions(int partitions)
    {
        _options.Partitions = partitions;
        return this;
    }

    /// <summary>Takes checkpoints into <paramref name="storage"/>, every <paramref name="interval"/> when given.</summary>
    public StreamPipelineBuilder WithCheckpoints(ICheckpointStorage storage, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _checkpoints = storage;
        _options.CheckpointInterval = interval ?? _options.CheckpointInterval;
        return this;
    }

    /// <summary>
    /// Keeps the keyed state in <paramref name="store"/> (not disposed by the pipeline) instead of a new in-memory store,
    /// e.g. a SQLite- or RocksDB-backed one for state larger than you want to rebuild from a checkpoint's base alone.
    /// A store serves one pipeline at a time (building a second pipeline on it throws <see cref="InvalidOperationException"/>
    /// until the first is disposed); recovery replaces everything under the pipeline's scope with the checkpoint's state.
    /// </summary>
    public StreamPipelineBuilder WithStateStore(StateStore store)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        return this;
    }

    /// <summary>Logs checkpoints and recoveries.</summary>
    public StreamPipelineBuilder WithLogger(ILogger logger)
    {
        _logger = logger;
        return this;
    }

    /// <summary>Changes options.</summary>
    public StreamPipelineBuilder Configure(Action<StreamPipelineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(_options);
        return this;
    }

    /// <summary>Checks the definition and builds the pipeline.</summary>
    /// <exception cref="StreamDefinitionException">What is wrong, naming the part.</exception>
    public StreamPipeline Build()
    {
        var o = _options;
        var name = o.Name;
        Require(!string.IsNullOrWhiteSpace(name), "a pipeline needs a name");
        StreamNames.Validate(name, "pipeline");
        foreach (var (kind, names) in new[] { ("source", _sources.Select(s => s.Name)), ("processor", _processors.Select(p => p.Name)), ("sink", _sinks.Select(s => s.Name)) })
        {
            foreach (var part in names)
            {
                if (StreamNames.Problem(part) is { } problem)
                {
                    Require(false, $"the {kind} name is not valid: {problem}");
                }
            }
        }

        try
        {
            _ = StateScope.Custom("stream").Child(name);
            foreach (var processor in _processors)
            {
                _ = StateScope.Global.Child(processor.Name);
            }
        }
        catch (ArgumentException ex)
        {
            throw new StreamDefinitionException($"Pipeline '{name}': {ex.Message}", ex);
        }

        Require(_sources.Count > 0, "it has no source");
        Require(_processors.Count + _sinks.Count > 0, "it has neither a processor nor a sink");
        Unique(_sources.Select(s => s.Name), "source");
        Unique(_processors.Select(p => p.Name), "processor");
        Unique(_sinks.Select(s => s.Name), "sink");
        Require(o.Partitions is >= 1 and <= 4096, $"partitions is {o.Partitions}; use 1 to 4096");
        Require(o.BatchSize >= 1, $"batch size is {o.BatchSize}; use at least 1");
        Require(o.ChannelCapacity >= 1, $"channel capacity is {o.ChannelCapacity}; use at least 1");
        Require(o.FullCheckpointEvery >= 1, $"full checkpoint every {o.FullCheckpointEvery}; use at least 1");
        Require(o.RetainedCheckpoints >= 1, $"retained checkpoints is {o.RetainedCheckpoints}; keep at least 1");
        Require(o.TolerableCheckpointFailures >= 0, $"tolerable checkpoint failures is {o.TolerableCheckpointFailures}; use 0 or more");
        Require(o.CheckpointInterval is null || o.CheckpointInterval > TimeSpan.Zero, "the checkpoint interval must be positive");
        Require(o.PollInterval > TimeSpan.Zero, "the poll interval must be positive");
        Require(o.CheckpointTimeout > TimeSpan.Zero || o.CheckpointTimeout == Timeout.InfiniteTimeSpan, "the checkpoint timeout must be positive (or Timeout.InfiniteTimeSpan for none)");
        Require(o.Watermarks is null || o.Watermarks.MaxOutOfOrderness >= TimeSpan.Zero, "the watermarks' max out-of-orderness must be 0 or more");
        Require(o.Watermarks?.IdleTimeout is null || o.Watermarks.IdleTimeout > TimeSpan.Zero, "the watermarks' idle timeout must be positive (or null: sources are never idle)");
        if (o.ExactlyOnce)
        {
            Require(_checkpoints is not null, "exactly-once needs checkpoint storage (WithCheckpoints)");
            foreach (var sink in _sinks.Where(s => s is not TwoPhaseCommitSink))
            {
                Require(false, $"exactly-once needs two-phase-commit sinks, and sink '{sink.Name}' ({sink.GetType().Name}) is not one");
            }
        }

        foreach (var sink in _sinks.OfType<TwoPhaseCommitSink>())
        {
            sink.AttachToPipeline(name);
        }

        return new StreamPipeline(o, [.. _sources], [.. _processors], [.. _sinks], _checkpoints, _store, _logger);

        void Require(bool condition, string problem)
        {
            if (!condition)
            {
                throw new StreamDefinitionException($"Pipeline '{name}' is not valid: {problem}.");
            }
        }

        void Unique(IEnumerable<string> names, string kind)
        {
            foreach (var group in names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                Require(false, $"two {kind}s are named '{group.Key}'; names must be unique");
            }
        }
    }
}
