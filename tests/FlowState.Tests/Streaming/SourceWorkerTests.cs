using System.Threading.Channels;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowState.Tests.Streaming;

public sealed class SourceWorkerTests
{
    [Fact]
    public async Task A_source_whose_task_starts_after_the_first_barrier_was_requested_still_injects_it()
    {
        var source = new ListSource("input", [StreamMessage.Create("k", 1, id: "m1")]);
        await using var store = new StateStore();
        using var pipeline = new PipelineContext(new StreamPipelineOptions { Name = "late-source" }, [source], [], [new PlainListSink("out")], store, store.Instruments, NullLogger.Instance);
        var coordinator = new CheckpointCoordinator(pipeline, null);
        await coordinator.RecoverAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var checkpoint = coordinator.TriggerAsync(final: false, stop.Token);
        var edge = Channel.CreateUnbounded<StreamEvent>();

        // The worker starts only now, after barrier 1 was requested.
        var worker = new SourceWorker(pipeline, coordinator, source, new EdgeRouter([edge.Writer], byKey: false)).RunAsync(stop.Token);

        var first = await edge.Reader.ReadAsync(stop.Token);
        Assert.Equal(1, Assert.IsType<StreamEvent.Barrier>(first).CheckpointId);
        Assert.False(checkpoint.IsCompleted);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => worker);
    }
}
