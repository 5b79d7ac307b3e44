using FlowState.Checkpoints;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// The stream runtime on the store under test: keyed state, aligned checkpoints (full and incremental), recovery,
/// exactly-once file output, rescaling and the errors of bad pipelines.
/// </summary>
public abstract partial class StreamPipelineConformanceTests : ConformanceTestBase
{
    /// <summary>Input, output and checkpoint folders of one pipeline, kept across its runs.</summary>
    protected sealed record PipelineFiles(string Input, string Output, string Checkpoints);

    protected PipelineFiles NewFiles()
    {
        var root = NewStoragePath("stream");
        Directory.CreateDirectory(root);
        return new PipelineFiles(Path.Combine(root, "input.jsonl"), Path.Combine(root, "out"), Path.Combine(root, "checkpoints"));
    }

    /// <summary>source (keyed by "key") → [extra] → count → exactly-once file sink, checkpointed into the files' folder.</summary>
    protected StreamPipeline CountingPipeline(
        PipelineFiles files,
        int partitions = 4,
        IProcessor? before = null,
        Action<StreamPipelineOptions>? configure = null,
        StateStore? store = null,
        ISource? source = null,
        IProcessor? counter = null)
    {
        var builder = new StreamPipelineBuilder("counting")
            .AddSource(source ?? new JsonLinesFileSource("input", files.Input) { KeyField = "key" });
        if (before is not null)
        {
            builder.AddProcessor(before);
        }

        return builder
            .AddProcessor(counter ?? new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", files.Output))
            .WithPartitions(partitions)
            .WithCheckpoints(new DirectoryCheckpointStorage(files.Checkpoints))
            .WithStateStore(store ?? NewStore())
            .Configure(o =>
            {
                o.ExactlyOnce = true;
                o.BatchSize = 64;
                configure?.Invoke(o);
            })
            .Build();
    }
}
