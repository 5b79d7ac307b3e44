using FlowState.Checkpoints;
using FlowState.Postgres;
using FlowState.Redis;
using FlowState.S3;
using FlowState.Streaming;
using YamlDotNet.RepresentationModel;

namespace FlowState.Cli.Streams;

/// <summary>
/// A stream pipeline file (YAML): <c>name</c>, <c>state</c> (the seed's settings: <c>enabled</c>, <c>backend_type</c>,
/// <c>checkpoint_interval_ms</c>, <c>retained_checkpoints</c>, <c>exactly_once</c>, <c>s3_config</c>, plus
/// <c>checkpoint_dir</c>, <c>full_checkpoint_every</c> and <c>tolerable_checkpoint_failures</c>) and <c>pipeline</c> (<c>partitions</c>, <c>batch_size</c>,
/// <c>sources</c>, <c>processors</c>, <c>sinks</c>). Inputs are read relative to the file; outputs and checkpoints
/// are written relative to the working directory.
/// </summary>
internal sealed class PipelineFile
{
    // The keys each part of a pipeline file may have (docs/schemas/pipeline-file.schema.json lists the same; a test checks).
    public static readonly string[] RootKeys = ["name", "state", "pipeline"];
    public static readonly string[] StateKeys = ["enabled", "backend_type", "path", "checkpoint_dir", "checkpoint_interval_ms", "retained_checkpoints", "full_checkpoint_every", "tolerable_checkpoint_failures", "exactly_once", "s3_config"];
    public static readonly string[] S3Keys = ["bucket", "region", "prefix", "endpoint", "use_ssl"];
    public static readonly string[] PipelineKeys = ["partitions", "batch_size", "sources", "processors", "sinks"];
    public static readonly string[] SourceKeys = ["type", "name", "path", "format", "key_field", "id_field", "follow", "configuration", "stream", "value_field", "stop_at_end"];
    public static readonly string[] ProcessorKeys = ["type", "name", "field", "min_length", "gap_ms", "time_field", "exactly_once", "dedupe_window"];
    public static readonly string[] SinkKeys = ["type", "name", "path", "include_keys", "connection_string", "table"];

    private readonly List<Func<ISource>> _sources = [];
    private readonly List<Func<IProcessor>> _processors = [];
    private readonly List<Func<ISink>> _sinks = [];

    private PipelineFile(string path)
    {
        Path = path;
        Directory = System.IO.Path.GetDirectoryName(path)!;
    }

    public string Path { get; }

    public string Directory { get; }

    public StreamPipelineOptions Options { get; } = new();

    /// <summary>False when <c>state.enabled: false</c>: no checkpoints, state in memory only.</summary>
    public bool StateEnabled { get; private set; } = true;

    /// <summary>Memory, Sqlite, RocksDb or S3.</summary>
    public string BackendType { get; private set; } = "Sqlite";

    /// <summary>The store for Sqlite/RocksDb state (relative to the working directory); null: the CLI's store.</summary>
    public string? StorePath { get; private set; }

    /// <summary>Where checkpoints go (full path).</summary>
    public string CheckpointDirectory { get; private set; } = string.Empty;

    /// <summary>Where checkpoints go with <c>backend_type: S3</c> (keyed state then lives in memory).</summary>
    public S3CheckpointStorageOptions? S3 { get; private set; }

    /// <summary>The names of the processors that count per key, whose top keys the CLI prints.</summary>
    public IReadOnlyList<string> CountingProcessors { get; private set; } = [];

    /// <summary>True when the YAML document is a pipeline file (it has <c>pipeline:</c>).</summary>
    public static bool IsPipelineFile(string path)
    {
        var root = LoadRoot(path);
        return root is YamlMappingNode mapping && mapping.Children.ContainsKey(new YamlScalarNode("pipeline"));
    }

    /// <exception cref="StreamDefinitionException">An unknown key or a bad value, with its line.</exception>
    public static PipelineFile Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var file = new PipelineFile(full);
        var root = new YamlMap(LoadRoot(path) ?? new YamlMappingNode(), path, "(file)", RootKeys);
        file.Options.Name = root.String("name", required: true)!;
        if (StreamNames.Problem(file.Options.Name) is { } problem)
        {
            throw root.Error(root.Get("name")!, $"the pipeline name is not valid: {problem}");
        }

        file.ReadState(root.Map("state", StateKeys));
        file.ReadPipeline(root.Map("pipeline", PipelineKeys));
        return file;
    }

    /// <summary>Builds the pipeline on <paramref name="store"/>.</summary>
    /// <summary>The pipeline's checkpoint storage: its folder, or its S3 bucket and prefix.</summary>
    public ICheckpointStorage OpenCheckpointStorage() => S3 is null ? new DirectoryCheckpointStorage(CheckpointDirectory) : new S3CheckpointStorage(S3);

    public StreamPipeline Build(StateStore store)
    {
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

        if (StateEnabled)
        {
            builder.WithCheckpoints(OpenCheckpointStorage());
        }

        return builder.Build();
    }

    private static YamlNode? LoadRoot(string path) => YamlFileReader.LoadRoot(path, "file");

    private void ReadState(YamlMap state)
    {
        StateEnabled = state.Bool("enabled") ?? true;
        BackendType = state.OneOf("backend_type", "Memory", "Sqlite", "RocksDb", "S3") ?? "Sqlite";
        if (BackendType == "S3")
        {
            var s3 = state.Map("s3_config", S3Keys);
            S3 = new S3CheckpointStorageOptions
            {
                Bucket = s3.String("bucket") ?? throw state.Error(state.Get("backend_type")!, "backend_type S3 needs s3_config with at least 'bucket'"),
                Region = s3.String("region") ?? "us-east-1",
                Prefix = s3.String("prefix") ?? $"flowstate/{Options.Name}/",
                Endpoint = s3.String("endpoint"),
                UseSsl = s3.Bool("use_ssl") ?? true,
                // Credentials come from the SDK's usual places: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, a role.
            };
        }
        else if (state.Has("s3_config"))
        {
            throw state.Error(state.Get("s3_config")!, "s3_config is only read with backend_type: S3");
        }

        StorePath = state.String("path");
        CheckpointDirectory = System.IO.Path.GetFullPath(state.String("checkpoint_dir") ?? System.IO.Path.Combine("flowstate-checkpoints", Options.Name));
        if (state.Int("checkpoint_interval_ms", 1, int.MaxValue) is { } interval)
        {
            Options.CheckpointInterval = TimeSpan.FromMilliseconds(interval);
        }

        Options.RetainedCheckpoints = state.Int("retained_checkpoints", 1, 10_000) ?? Options.RetainedCheckpoints;
        Options.FullCheckpointEvery = state.Int("full_checkpoint_every", 1, 10_000) ?? Options.FullCheckpointEvery;
        Options.TolerableCheckpointFailures = state.Int("tolerable_checkpoint_failures", 0, 10_000) ?? Options.TolerableCheckpointFailures;
        Options.ExactlyOnce = state.Bool("exactly_once") ?? false;
        if (Options.ExactlyOnce && !StateEnabled)
        {
            throw state.Error(state.Get("exactly_once")!, "exactly_once needs checkpoints; set state.enabled to true");
        }
    }

    private void ReadPipeline(YamlMap pipeline)
    {
        Options.Partitions = pipeline.Int("partitions", 1, 4096) ?? 1;
        Options.BatchSize = pipeline.Int("batch_size", 1, 1_000_000) ?? Options.BatchSize;
        var sources = pipeline.List("sources");
        if (sources.Count == 0)
        {
            throw pipeline.Error(pipeline.Node, "'pipeline' needs at least one entry under 'sources'");
        }

        foreach (var node in sources)
        {
            var source = new YamlMap(node, Path, "pipeline.sources[]", SourceKeys);
            var type = source.OneOf("type", "file", "redis") ?? "file";
            var name = source.String("name", required: true)!;
            var keyField = source.String("key_field");
            if (type == "redis")
            {
                var configuration = source.String("configuration", required: true)!;
                var stream = source.String("stream", required: true)!;
                var valueField = source.String("value_field");
                var stopAtEnd = source.Bool("stop_at_end") ?? false;
                _sources.Add(() => new RedisStreamSource(name, configuration, stream) { KeyField = keyField, ValueField = valueField, StopAtEnd = stopAtEnd });
                continue;
            }

            var input = System.IO.Path.Combine(Directory, source.String("path", required: true)!);
            var format = source.OneOf("format", "json", "text") == "text" ? JsonLinesFileFormat.Text : JsonLinesFileFormat.Json;
            var idField = source.String("id_field");
            var follow = source.Bool("follow") ?? false;
            _sources.Add(() => new JsonLinesFileSource(name, input) { Format = format, KeyField = keyField, IdField = idField, Follow = follow });
        }

        var counting = new List<string>();
        foreach (var node in pipeline.List("processors"))
        {
            var processor = new YamlMap(node, Path, "pipeline.processors[]", ProcessorKeys);
            var type = processor.OneOf("type", "tokenize", "count", "session_window")
                ?? throw processor.Error(node, "a processor needs 'type': tokenize, count or session_window");
            var name = processor.String("name") ?? type;
            var field = processor.String("field");
            var minLength = processor.Int("min_length", 1, 1000) ?? 1;
            var gap = processor.Int("gap_ms", 1, int.MaxValue);
            var timeField = processor.String("time_field");
            var exactlyOnce = processor.Bool("exactly_once") ?? false;
            var window = processor.Int("dedupe_window", 1, 1_000_000) ?? 1024;
            if (type == "session_window" && gap is null)
            {
                throw processor.Error(node, "a session_window processor needs 'gap_ms', the largest gap within one session");
            }

            if (type == "count")
            {
                counting.Add(name);
            }

            _processors.Add(() =>
            {
                IProcessor made = type switch
                {
                    "tokenize" => new TokenizeProcessor(name) { Field = field, MinimumLength = minLength },
                    "count" => new CountByKeyProcessor(name),
                    _ => new SessionWindowProcessor(name, TimeSpan.FromMilliseconds(gap!.Value)) { TimeField = timeField },
                };
                return exactlyOnce ? new ExactlyOnceProcessor(made, window) : made;
            });
        }

        CountingProcessors = counting;
        foreach (var node in pipeline.List("sinks"))
        {
            var sink = new YamlMap(node, Path, "pipeline.sinks[]", SinkKeys);
            var type = sink.OneOf("type", "file", "postgres") ?? "file";
            var name = sink.String("name", required: true)!;
            if (type == "postgres")
            {
                var connectionString = sink.String("connection_string", required: true)!;
                var table = sink.String("table", required: true)!;
                try
                {
                    new PostgresSink(name, connectionString, table).DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
                catch (ArgumentException ex)
                {
                    throw sink.Error(node, ex.Message);
                }

                _sinks.Add(() => new PostgresSink(name, connectionString, table));
                continue;
            }

            var output = System.IO.Path.GetFullPath(sink.String("path", required: true)!);
            var includeKeys = sink.Bool("include_keys") ?? false;
            _sinks.Add(() => new JsonLinesFileSink(name, output) { IncludeKeys = includeKeys });
        }
    }
}
