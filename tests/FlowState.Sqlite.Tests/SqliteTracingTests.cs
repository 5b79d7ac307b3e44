using System.Collections.Concurrent;
using System.Diagnostics;
using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>The <c>FlowState</c> activity source: a span per backend transaction and per stream checkpoint.</summary>
public sealed class SqliteTracingTests : IDisposable
{
    private readonly ConcurrentBag<Activity> _stopped = [];
    private readonly ActivityListener _listener;
    private readonly TemporaryDirectory _directory = new();

    public SqliteTracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is FlowStateActivities.SourceName or "FlowState.Sqlite.Tests.Tracing",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Add,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Each_backend_transaction_is_a_commit_span_with_its_store_durability_and_size()
    {
        var name = $"traced-{Guid.NewGuid():N}";
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Name = name, Backend = new SqliteStateBackend(_directory.File("traced.db")), Durability = Durability.Machine }))
        {
            await store.ApplyAsync(store.CreateBatch().Set("a", 1).Set("b", 2).Set("c", 3).Set("d", 4).Set("e", 5));
        }

        var commit = Assert.Single(_stopped, a => a.OperationName == "flowstate.commit" && (string?)a.GetTagItem("flowstate.store") == name);
        Assert.Equal("Machine", commit.GetTagItem("flowstate.durability"));
        Assert.Equal(1, commit.GetTagItem("flowstate.commit.group_size"));
        Assert.Equal(5, commit.GetTagItem("flowstate.commit.changes"));
        Assert.Contains("traced.db", (string?)commit.GetTagItem("flowstate.backend"), StringComparison.Ordinal);
        Assert.Equal(ActivityStatusCode.Unset, commit.Status);
    }

    [Fact]
    public async Task A_commit_without_a_writers_span_is_a_trace_of_its_own_not_a_child_of_whatever_opened_the_store()
    {
        using var source = new ActivitySource("FlowState.Sqlite.Tests.Tracing");
        var name = $"traced-{Guid.NewGuid():N}";
        StateStore store;
        ActivityTraceId openingTrace;
        using (var opening = source.StartActivity("opening"))
        {
            openingTrace = opening!.TraceId;
            store = await StateStore.OpenAsync(new StateStoreOptions { Name = name, Backend = new SqliteStateBackend(_directory.File("opened-in-a-span.db")) });
        }

        await using (store)
        {
            await store.SetAsync("k", 1);
        }

        var commit = Assert.Single(_stopped, a => a.OperationName == "flowstate.commit" && (string?)a.GetTagItem("flowstate.store") == name);
        Assert.NotEqual(openingTrace, commit.TraceId);
        Assert.Equal(default, commit.ParentSpanId);
    }

    [Fact]
    public async Task Each_completed_stream_checkpoint_is_a_span_from_barrier_to_manifest()
    {
        var name = $"traced-{Guid.NewGuid():N}";
        SequenceInput.Write(_directory.File("in.jsonl"), 40, 4);
        await using (var pipeline = new StreamPipelineBuilder(name)
            .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key" })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .WithCheckpoints(new DirectoryCheckpointStorage(_directory.File("checkpoints")))
            .Build())
        {
            await pipeline.RunAsync();
        }

        var checkpoint = Assert.Single(_stopped, a => a.OperationName == "flowstate.checkpoint" && (string?)a.GetTagItem("flowstate.pipeline") == name);
        Assert.Equal("full", checkpoint.GetTagItem("flowstate.checkpoint.kind"));
        Assert.True((long)checkpoint.GetTagItem("flowstate.checkpoint.bytes")! > 0);
        Assert.True(checkpoint.Duration > TimeSpan.Zero);
    }
}
