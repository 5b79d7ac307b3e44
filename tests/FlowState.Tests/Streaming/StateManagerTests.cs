using System.Text.Json;
using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.Time.Testing;

namespace FlowState.Tests.Streaming;

/// <summary>The ArkFlow-named facade: batches pushed by the caller, exactly-once through checkpoints and recovery.</summary>
public sealed class StateManagerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("flowstate-state-manager-").FullName;

    private string Output => Path.Combine(_root, "out");

    private string Checkpoints => Path.Combine(_root, "checkpoints");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private StreamPipelineBuilder Counting(StateStore? store = null, IProcessor? processor = null) =>
        new StreamPipelineBuilder("orders")
            .AddProcessor(processor ?? new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", Output))
            .WithPartitions(2)
            .WithCheckpoints(new DirectoryCheckpointStorage(Checkpoints))
            .WithStateStore(store ?? new StateStore())
            .Configure(o => o.ExactlyOnce = true);

    private static List<StreamMessage> Batch(int from, int count, int keys) =>
        [.. Enumerable.Range(from, count).Select(i => StreamMessage.Create($"k{i % keys}", new { seq = i }))];

    [Fact]
    public async Task Batches_are_counted_once_checkpointed_and_visible_after_the_checkpoint()
    {
        await using var manager = await StateManager.StartAsync(Counting());

        Assert.Null(manager.RecoveredCheckpointId);
        Assert.Equal(0, manager.Position);
        Assert.Equal(100, await manager.ProcessBatchAsync(Batch(0, 100, 7)));
        Assert.Equal(250, await manager.ProcessBatchAsync(Batch(100, 150, 7)));
        var checkpoint = await manager.CreateCheckpointAsync();
        var stats = await manager.GetStatsAsync();

        Assert.Equal(checkpoint, stats.LastCheckpointId);
        Assert.Equal(250, stats.MessagesRead);
        Assert.Equal(7, stats.StateEntries);
        Assert.True(stats.LastCheckpointBytes > 0);
        Assert.Equal(SequenceInput.Model(250, 7), await SequenceInput.ReadCountsAsync(manager.Pipeline.StateOf("counts")));
        Assert.Equal(SequenceInput.Model(250, 7), await SequenceInput.CheckOutputAsync(Output, 250));
    }

    [Fact]
    public async Task After_a_stop_the_next_start_says_where_to_resend_from_and_the_output_stays_exactly_once()
    {
        await using (var first = await StateManager.StartAsync(Counting()))
        {
            await first.ProcessBatchAsync(Batch(0, 300, 11));
            await first.CreateCheckpointAsync();
            await first.ProcessBatchAsync(Batch(300, 200, 11));
            // Stopped here without a checkpoint: the last 200 are not part of any checkpoint.
        }

        await using var second = await StateManager.StartAsync(Counting());
        Assert.NotNull(second.RecoveredCheckpointId);
        Assert.Equal(300, second.Position);
        await second.ProcessBatchAsync(Batch((int)second.Position, 500 - (int)second.Position, 11));
        await second.ProcessBatchAsync(Batch(500, 100, 11));
        var result = await second.CompleteAsync();

        Assert.NotNull(result.LastCheckpointId);
        Assert.Equal(SequenceInput.Model(600, 11), await SequenceInput.CheckOutputAsync(Output, 600));
        Assert.Equal(SequenceInput.Model(600, 11), await SequenceInput.ReadCountsAsync(second.Pipeline.StateOf("counts")));
        await Assert.ThrowsAnyAsync<Exception>(() => second.ProcessBatchAsync(Batch(600, 1, 11)));
    }

    [Fact]
    public async Task Recover_from_latest_checkpoint_rewinds_the_running_manager_to_it()
    {
        await using var manager = await StateManager.StartAsync(Counting());
        await manager.ProcessBatchAsync(Batch(0, 40, 3));
        var checkpoint = await manager.CreateCheckpointAsync();
        await manager.ProcessBatchAsync(Batch(40, 60, 3));

        Assert.Equal(checkpoint, await manager.RecoverFromLatestCheckpointAsync());

        Assert.Equal(40, manager.Position);
        Assert.Equal(SequenceInput.Model(40, 3), await SequenceInput.ReadCountsAsync(manager.Pipeline.StateOf("counts")));
        await manager.ProcessBatchAsync(Batch(40, 60, 3));
        await manager.CompleteAsync();
        Assert.Equal(SequenceInput.Model(100, 3), await SequenceInput.CheckOutputAsync(Output, 100));
    }

    [Fact]
    public async Task A_failed_pipeline_refuses_batches_until_recovered()
    {
        var failing = new FailingProcessor("fails");
        await using var manager = await StateManager.StartAsync(new StreamPipelineBuilder("failing")
            .AddProcessor(failing)
            .AddProcessor(new CountByKeyProcessor("counts"))
            .WithCheckpoints(new DirectoryCheckpointStorage(Checkpoints))
            .WithStateStore(new StateStore()));
        await manager.ProcessBatchAsync(Batch(0, 10, 2));
        await manager.CreateCheckpointAsync();
        failing.Arm();

        var error = await Assert.ThrowsAsync<StreamException>(async () =>
        {
            for (var i = 10; ; i += 10)
            {
                await manager.ProcessBatchAsync(Batch(i, 10, 2));
                await Task.Delay(10);
            }
        });

        Assert.Contains("recover", error.Message, StringComparison.Ordinal);
        failing.Disarm();
        Assert.NotNull(await manager.RecoverFromLatestCheckpointAsync());
        Assert.Equal(10, manager.Position);
        Assert.Equal(20, await manager.ProcessBatchAsync(Batch(10, 10, 2)));
    }

    [Fact]
    public async Task Cleanup_removes_expired_state_now()
    {
        var time = new FakeTimeProvider();
        var store = new StateStore(new StateStoreOptions { TimeProvider = time, ExpirationScanInterval = TimeSpan.FromHours(1) });
        await using var manager = await StateManager.StartAsync(Counting(store, new RememberForAMinute("seen")));
        await manager.ProcessBatchAsync(Batch(0, 20, 5));
        await manager.CreateCheckpointAsync();
        Assert.Equal(5, (await manager.GetStatsAsync()).StateEntries);

        time.Advance(TimeSpan.FromMinutes(2));
        var removed = await manager.CleanupExpiredStateAsync();

        Assert.Equal(5, removed);
        Assert.Equal(0, (await manager.GetStatsAsync()).StateEntries);
        Assert.Equal(0, await manager.CleanupExpiredStateAsync());
    }

    /// <summary>Remembers each key for a minute, and passes messages on as count updates.</summary>
    private sealed class RememberForAMinute(string name) : IProcessor
    {
        public string Name { get; } = name;

        public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
        {
            var output = new List<StreamMessage>();
            foreach (var message in messages)
            {
                var seen = await context.State.UpdateAsync<long>(message.Key!, n => n + 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(1)), cancellationToken);
                output.Add(StreamMessage.Create(message.Key, new CountUpdate(message.Key!, seen, message.Id), message.Id, options: new JsonSerializerOptions(JsonSerializerDefaults.Web)));
            }

            return output;
        }
    }
}
