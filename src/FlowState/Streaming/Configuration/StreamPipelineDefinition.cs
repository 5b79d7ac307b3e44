using FlowState.Checkpoints;
using Microsoft.Extensions.Configuration;

namespace FlowState.Streaming;

/// <summary>
/// A stream pipeline described by settings — a YAML file (<c>FlowState.Yaml</c>), a configuration section, or any
/// <see cref="ISettingsNode"/> — read strictly and checked, ready to <see cref="Build"/>. The settings: <c>name</c>;
/// <c>state</c> (<c>enabled</c>, <c>backend_type</c>, <c>path</c>, <c>checkpoint_dir</c>,
/// <c>checkpoint_interval_ms</c>, <c>retained_checkpoints</c>, <c>full_checkpoint_every</c>,
/// <c>tolerable_checkpoint_failures</c>, <c>exactly_once</c>, and the settings of registered checkpoint storage such as
/// <c>s3_config</c>); <c>pipeline</c> (<c>partitions</c>, <c>batch_size</c>, <c>watermarks</c> with
/// <c>max_out_of_orderness_ms</c> and <c>idle_timeout_ms</c>, <c>sources</c>, <c>processors</c>, <c>sinks</c>, each entry with its <c>type</c> from the <see cref="StreamComponentCatalog"/>).
/// </summary>
public sealed class StreamPipelineDefinition
{
    /// <summary>The top-level keys.</summary>
    public static readonly IReadOnlyList<string> RootKeys = ["name", "state", "pipeline"];

    /// <summary>The <c>state</c> keys of the core (registered checkpoint storage adds its settings key).</summary>
    public static readonly IReadOnlyList<string> StateKeys = ["enabled", "backend_type", "path", "checkpoint_dir", "checkpoint_interval_ms", "retained_checkpoints", "full_checkpoint_every", "checkpoint_timeout_ms", "tolerable_checkpoint_failures", "exactly_once"];

    /// <summary>The <c>pipeline</c> keys.</summary>
    public static readonly IReadOnlyList<string> PipelineKeys = ["partitions", "batch_size", "watermarks", "sources", "processors", "sinks"];

    /// <summary>The keys of <c>pipeline.watermarks</c>.</summary>
    public static readonly IReadOnlyList<string> WatermarkKeys = ["max_out_of_orderness_ms", "idle_timeout_ms"];

    private readonly List<Func<ISource>> _sources = [];
    private readonly List<Func<IProcessor>> _processors = [];
    private readonly List<Func<ISink>> _sinks = [];
    private Func<ICheckpointStorage>? _checkpoints;

    private StreamPipelineDefinition()
    {
    }

    /// <summary>The pipeline's options: name, partitions, batch size, checkpoint interval and retention, exactly-once.</summary>
    public StreamPipelineOptions Options { get; } = new();

    /// <summary>False when <c>state.enabled: false</c>: no checkpoints, state in memory only.</summary>
    public bool StateEnabled { get; private set; } = true;

    /// <summary>Where keyed state lives: Memory, Sqlite, RocksDb, or a registered kind of checkpoint storage (S3), with state in memory.</summary>
    public string BackendType { get; private set; } = "Sqlite";

    /// <summary><c>state.path</c>: the store for Sqlite/RocksDb state, for the host that opens it; null when not given.</summary>
    public string? StorePath { get; private set; }

    /// <summary>The checkpoint folder (full path); null when a registered kind of checkpoint storage (S3) keeps them.</summary>
    public string? CheckpointDirectory { get; private set; }

    /// <summary>The names of the processors of type <c>count</c>, in order.</summary>
    public IReadOnlyList<string> CountingProcessors { get; private set; } = [];

    /// <summary>Reads a pipeline from a configuration section (appsettings.json, environment variables); relative input paths are read from the working directory.</summary>
    /// <exception cref="StreamDefinitionException">A key is unknown or a value is bad; the message names its configuration path.</exception>
    public static StreamPipelineDefinition FromConfiguration(IConfiguration section, StreamComponentCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var path = section is IConfigurationSection named ? named.Path : string.Empty;
        return Load(new ConfigurationSettingsNode(section, path), catalog, Environment.CurrentDirectory, "(section)");
    }

    /// <summary>Reads a pipeline from settings of any format.</summary>
    /// <param name="root">The settings' top-level mapping.</param>
    /// <param name="catalog">The kinds of components the settings may name (default: <see cref="StreamComponentCatalog.CreateDefault"/>).</param>
    /// <param name="baseDirectory">Where relative input paths are read from (outputs and checkpoints are relative to the working directory).</param>
    /// <param name="rootName">How errors name the top level: <c>(file)</c>, <c>(section)</c>.</param>
    /// <exception cref="StreamDefinitionException">A key is unknown or a value is bad; the message names where it was written.</exception>
    public static StreamPipelineDefinition Load(ISettingsNode root, StreamComponentCatalog? catalog, string baseDirectory, string rootName = "(file)")
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        catalog ??= StreamComponentCatalog.CreateDefault();
        var settings = new StrictSettings(root, rootName, RootKeys, baseDirectory);
        var definition = new StreamPipelineDefinition();
        definition.Options.Name = settings.Text("name", required: true)!;
        if (StreamNames.Problem(definition.Options.Name) is { } problem)
        {
            throw settings.Error($"the pipeline name is not valid: {problem}", "name");
        }

        definition.ReadState(settings.Map("state", [.. StateKeys, .. catalog.CheckpointSettingsKeys]), catalog);
        definition.ReadPipeline(settings.Map("pipeline", PipelineKeys), catalog);
        return definition;
    }

    /// <summary>The checkpoint storage the settings name: a folder, or a registered kind (S3); null without checkpoints.</summary>
    public ICheckpointStorage? CreateCheckpointStorage() =>
        !StateEnabled ? null : _checkpoints?.Invoke() ?? new DirectoryCheckpointStorage(CheckpointDirectory!);

    /// <summary>Builds the pipeline on <paramref name="store"/> (its keyed state), with new sources, processors, sinks and checkpoint storage.</summary>
    /// <exception cref="StreamDefinitionException">The pipeline is not valid as a whole (see <see cref="StreamPipelineBuilder.Build"/>).</exception>
    public StreamPipeline Build(StateStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var builder = new StreamPipelineBuilder(Options).WithStateStore(store);
        foreach (var source in _sources)
        {
            builder.AddSource(source());
        }

        foreach (var processor in _processors)
        {
            builder.AddProcessor(processor());
        }

        foreach (var sink in _sinks)
        {
            builder.AddSink(sink());
        }

        if (CreateCheckpointStorage() is { } checkpoints)
        {
            builder.WithCheckpoints(checkpoints);
        }

        return builder.Build();
    }

    private void ReadState(StrictSettings state, StreamComponentCatalog catalog)
    {
        StateEnabled = state.Flag("enabled") ?? true;
        BackendType = state.Choice("backend_type", ["Memory", "Sqlite", "RocksDb", .. catalog.CheckpointStorageTypes]) ?? "Sqlite";
        _checkpoints = catalog.CheckpointStorage(BackendType, state, Options.Name);
        foreach (var key in catalog.CheckpointSettingsKeys)
        {
            if (state.Has(key) && _checkpoints is null)
            {
                throw state.Error($"{key} is only read with the backend_type that uses it", key);
            }
        }

        StorePath = state.Text("path");
        var folder = state.Text("checkpoint_dir");
        CheckpointDirectory = _checkpoints is not null ? null : Path.GetFullPath(folder ?? Path.Combine("flowstate-checkpoints", Options.Name));
        if (state.WholeNumber("checkpoint_interval_ms", 1, int.MaxValue) is { } interval)
        {
            Options.CheckpointInterval = TimeSpan.FromMilliseconds(interval);
        }

        if (state.WholeNumber("checkpoint_timeout_ms", 1, int.MaxValue) is { } timeout)
        {
            Options.CheckpointTimeout = TimeSpan.FromMilliseconds(timeout);
        }

        Options.RetainedCheckpoints = state.WholeNumber("retained_checkpoints", 1, 10_000) ?? Options.RetainedCheckpoints;
        Options.FullCheckpointEvery = state.WholeNumber("full_checkpoint_every", 1, 10_000) ?? Options.FullCheckpointEvery;
        Options.TolerableCheckpointFailures = state.WholeNumber("tolerable_checkpoint_failures", 0, 10_000) ?? Options.TolerableCheckpointFailures;
        Options.ExactlyOnce = state.Flag("exactly_once") ?? false;
        if (Options.ExactlyOnce && !StateEnabled)
        {
            throw state.Error("exactly_once needs checkpoints; set state.enabled to true", "exactly_once");
        }
    }

    private void ReadPipeline(StrictSettings pipeline, StreamComponentCatalog catalog)
    {
        Options.Partitions = pipeline.WholeNumber("partitions", 1, 4096) ?? 1;
        Options.BatchSize = pipeline.WholeNumber("batch_size", 1, 1_000_000) ?? Options.BatchSize;
        if (pipeline.Has("watermarks"))
        {
            var watermarks = pipeline.Map("watermarks", WatermarkKeys);
            Options.Watermarks = new WatermarkOptions
            {
                MaxOutOfOrderness = TimeSpan.FromMilliseconds(watermarks.WholeNumber("max_out_of_orderness_ms", 0, int.MaxValue) ?? 0),
                IdleTimeout = watermarks.WholeNumber("idle_timeout_ms", 1, int.MaxValue) is { } idle ? TimeSpan.FromMilliseconds(idle) : null,
            };
        }
        var sources = pipeline.List("sources");
        if (sources.Count == 0)
        {
            throw pipeline.Error("'pipeline' needs at least one entry under 'sources'");
        }

        foreach (var node in sources)
        {
            _sources.Add(catalog.Source(node, "pipeline.sources[]", pipeline.BaseDirectory));
        }

        var counting = new List<string>();
        foreach (var node in pipeline.List("processors"))
        {
            var (make, type, name) = catalog.Processor(node, "pipeline.processors[]", pipeline.BaseDirectory);
            _processors.Add(make);
            if (type == "count")
            {
                counting.Add(name);
            }
        }

        CountingProcessors = counting;
        foreach (var node in pipeline.List("sinks"))
        {
            _sinks.Add(catalog.Sink(node, "pipeline.sinks[]", pipeline.BaseDirectory));
        }
    }
}
