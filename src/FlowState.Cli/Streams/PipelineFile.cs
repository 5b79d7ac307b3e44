using FlowState.Checkpoints;
using FlowState.Nats;
using FlowState.Postgres;
using FlowState.Redis;
using FlowState.S3;
using FlowState.Streaming;
using FlowState.Yaml;

namespace FlowState.Cli.Streams;

/// <summary>
/// A stream pipeline file for <c>flowstate run</c> and <c>flowstate checkpoints</c>: read by the library's YAML loader
/// (<see cref="StreamPipelineYaml"/>) with every kind of component the CLI ships — the core's, Redis streams,
/// PostgreSQL sinks, S3 checkpoints.
/// </summary>
internal sealed class PipelineFile
{
    /// <summary>The kinds of components a pipeline file may name.</summary>
    public static StreamComponentCatalog Catalog { get; } = StreamComponentCatalog.CreateDefault().AddRedisStreamSource().AddPostgresSink().AddNatsJetStream().AddS3CheckpointStorage();

    private readonly StreamPipelineDefinition _definition;

    private PipelineFile(string path, StreamPipelineDefinition definition)
    {
        Path = path;
        _definition = definition;
    }

    public string Path { get; }

    public StreamPipelineOptions Options => _definition.Options;

    /// <summary>False when <c>state.enabled: false</c>: no checkpoints, state in memory only.</summary>
    public bool StateEnabled => _definition.StateEnabled;

    /// <summary>Memory, Sqlite, RocksDb or S3.</summary>
    public string BackendType => _definition.BackendType;

    /// <summary>The store for Sqlite/RocksDb state (relative to the working directory); null: the CLI's store.</summary>
    public string? StorePath => _definition.StorePath;

    /// <summary>Where checkpoints go when they go to a folder (full path); null when S3 keeps them.</summary>
    public string? CheckpointDirectory => _definition.CheckpointDirectory;

    /// <summary>The names of the processors that count per key, whose top keys the CLI prints.</summary>
    public IReadOnlyList<string> CountingProcessors => _definition.CountingProcessors;

    /// <exception cref="CliException">There is no file.</exception>
    /// <exception cref="StreamDefinitionException">The file is not YAML, or a key is unknown or a value bad, with its line.</exception>
    public static PipelineFile Load(string path) =>
        new(System.IO.Path.GetFullPath(path), FlowFile.Existing(path, p => StreamPipelineYaml.Load(p, Catalog)));

    /// <summary>The pipeline file at <paramref name="path"/>, whose settings were read already (<see cref="FlowFile.Root"/>).</summary>
    /// <exception cref="StreamDefinitionException">A key is unknown or a value bad, with its line.</exception>
    public static PipelineFile Load(string path, ISettingsNode settings) =>
        new(System.IO.Path.GetFullPath(path), StreamPipelineDefinition.Load(settings, Catalog, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!));

    /// <summary>The pipeline's checkpoint storage: its folder, or its S3 bucket and prefix.</summary>
    /// <exception cref="CliException">The pipeline takes no checkpoints.</exception>
    public ICheckpointStorage OpenCheckpointStorage()
    {
        RequireCheckpoints();
        return _definition.CreateCheckpointStorage()!;
    }

    /// <exception cref="CliException">The pipeline takes no checkpoints (<c>state.enabled: false</c>).</exception>
    public void RequireCheckpoints()
    {
        if (!StateEnabled)
        {
            throw new CliException($"{Path} takes no checkpoints (state.enabled is false)");
        }
    }

    /// <summary>Builds the pipeline on <paramref name="store"/>.</summary>
    public StreamPipeline Build(StateStore store) => _definition.Build(store);
}
