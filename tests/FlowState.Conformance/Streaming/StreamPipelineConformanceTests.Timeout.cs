using FlowState.Checkpoints;
using FlowState.Streaming;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class StreamPipelineConformanceTests
{
    private static readonly TimeSpan Timeout30s = TimeSpan.FromSeconds(30);

    private StreamPipeline StallablePipeline(PipelineFiles files, StallingSink sink, FakeTimeProvider clock, int tolerated, params ISource[] sources)
    {
        var builder = new StreamPipelineBuilder("counting");
        foreach (var source in sources.Length > 0 ? sources : [InputSource(files)])
        {
            builder.AddSource(source);
        }

        return builder
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(sink)
            .WithPartitions(2)
            .WithCheckpoints(new DirectoryCheckpointStorage(files.Checkpoints))
            .WithStateStore(NewStore())
            .Configure(o =>
            {
                o.ExactlyOnce = true;
                o.BatchSize = 64;
                o.TolerableCheckpointFailures = tolerated;
                o.CheckpointTimeout = Timeout30s;
                o.TimeProvider = clock;
            })
            .Build();
    }

    private static JsonLinesFileSource InputSource(PipelineFiles files) => new("input", files.Input) { KeyField = "key", Follow = true };

    [Fact]
    public async Task A_checkpoint_stalled_past_its_timeout_is_abandoned_and_the_next_one_commits_its_output_once()
    {
        var files = NewFiles();
        var clock = new FakeTimeProvider(Clock.GetUtcNow());
        var sink = new StallingSink(new JsonLinesFileSink("out", files.Output));
        SequenceInput.Write(files.Input, 1000, 17);
        await using var pipeline = StallablePipeline(files, sink, clock, tolerated: 1);
        using var stop = new CancellationTokenSource();
        var (run, first) = await RunToAFirstCheckpointAndFeedMoreAsync(pipeline, files, stop);
        sink.StallNextPreCommit();

        var stalled = pipeline.CreateCheckpointAsync();
        await sink.Stalled.WaitAsync(TimeSpan.FromMinutes(1));
        clock.Advance(Timeout30s);
        var abandoned = await Assert.ThrowsAsync<CheckpointException>(() => stalled.WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Contains("timed out and was abandoned (1 in a row, 1 tolerated)", abandoned.Message, StringComparison.Ordinal);
        Assert.Contains("did not complete within 00:00:30 (CheckpointTimeout): it still waited for sink 'out'", abandoned.Message, StringComparison.Ordinal);
        Assert.IsType<TimeoutException>(abandoned.InnerException);
        Assert.False(run.IsCompleted);
        Assert.Equal(1000, (await JsonLinesFileSink.ReadCommittedLinesAsync(files.Output)).Count);

        // The sink finishes the abandoned epoch's pre-commit late: the next checkpoint commits that transaction too.
        sink.Release();
        await NextCheckpointCommitsTheFailedOnesOutputAsync(pipeline, files, run, stop, first);
    }

    [Fact]
    public async Task A_checkpoint_timeout_beyond_the_tolerated_failures_fails_the_run_and_a_rerun_is_exact()
    {
        var files = NewFiles();
        var clock = new FakeTimeProvider(Clock.GetUtcNow());
        SequenceInput.Write(files.Input, 600, 11);
        var sink = new StallingSink(new JsonLinesFileSink("out", files.Output));
        await using (var pipeline = StallablePipeline(files, sink, clock, tolerated: 0))
        {
            var run = pipeline.RunAsync();
            await PipelineProgress.WaitUntilReadAsync(pipeline, 600);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            SequenceInput.Write(files.Input, 300, 11, from: 600);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 900);
            sink.StallNextPreCommit();

            var stalled = pipeline.CreateCheckpointAsync();
            await sink.Stalled.WaitAsync(TimeSpan.FromMinutes(1));
            clock.Advance(Timeout30s);

            var abandoned = await Assert.ThrowsAsync<CheckpointException>(() => stalled.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Contains("It was abandoned, and 1 failed checkpoints in a row are more than the 0 tolerated", abandoned.Message, StringComparison.Ordinal);
            var failed = await Assert.ThrowsAsync<StreamException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Same(abandoned, failed.InnerException);
        }

        await using var rerun = StallablePipeline(files, new StallingSink(new JsonLinesFileSink("out", files.Output)), clock, tolerated: 0);
        await RerunToACheckpointAsync(rerun, 300);

        Assert.Equal(SequenceInput.Model(900, 11), await SequenceInput.CheckOutputAsync(files.Output, 900));
    }

    [Fact]
    public async Task A_barrier_a_stuck_source_never_sent_is_superseded_by_the_next_checkpoint()
    {
        var files = NewFiles();
        var clock = new FakeTimeProvider(Clock.GetUtcNow());
        var stuck = new StuckSource("stuck");
        var input = new BarrierCountingSource(InputSource(files));
        SequenceInput.Write(files.Input, 700, 13);
        await using var pipeline = StallablePipeline(files, new StallingSink(new JsonLinesFileSink("out", files.Output)), clock, 1, input, stuck);
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);
        await PipelineProgress.WaitUntilReadAsync(pipeline, 700);
        var first = await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        SequenceInput.Write(files.Input, 300, 13, from: 700);
        await PipelineProgress.WaitUntilReadAsync(pipeline, 1000);
        stuck.StickNextRead();
        await stuck.Stuck.WaitAsync(TimeSpan.FromMinutes(1));

        // The other source sends the barrier; the stuck one cannot.
        var abandoned = pipeline.CreateCheckpointAsync();
        await input.BarriersSent(2).WaitAsync(TimeSpan.FromMinutes(1));
        clock.Advance(Timeout30s);
        var error = await Assert.ThrowsAsync<CheckpointException>(() => abandoned.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("source 'stuck', 2 of 2 processor partitions, sink 'out'", error.Message, StringComparison.Ordinal);

        // The next barrier is requested while the stuck source still never sent the abandoned one: once it reads again,
        // it sends only the new barrier, and the operators align on that one.
        var next = pipeline.CreateCheckpointAsync();
        stuck.Release();
        var completed = await next.WaitAsync(TimeSpan.FromMinutes(1));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(first + 2, completed);
        Assert.Equal(SequenceInput.Model(1000, 13), await SequenceInput.CheckOutputAsync(files.Output, 1000));
    }

    /// <summary>An exactly-once sink whose next pre-commit can be held until the test releases it (or the run stops).</summary>
    private sealed class StallingSink(TwoPhaseCommitSink inner) : DelegatingTwoPhaseCommitSink(inner)
    {
        private TaskCompletionSource? _gate;
        private TaskCompletionSource? _held;
        private TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the held pre-commit started.</summary>
        public Task Stalled => _stalled.Task;

        public void StallNextPreCommit()
        {
            _stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        public void Release() => Volatile.Read(ref _held)?.TrySetResult();

        protected internal override async ValueTask<string> PreCommitAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _gate, null) is { } gate)
            {
                Volatile.Write(ref _held, gate);
                _stalled.TrySetResult();
                await gate.Task.WaitAsync(cancellationToken);
            }

            return await Inner.PreCommitAsync(cancellationToken);
        }
    }

    /// <summary>A source that counts the barriers it sent (the runtime reads a source's offset exactly when it sends one).</summary>
    private sealed class BarrierCountingSource(ISource inner) : ISource
    {
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private int _sent;

        public string Name => inner.Name;

        public string? Offset
        {
            get
            {
                var offset = inner.Offset;
                lock (_waiters)
                {
                    _sent++;
                    foreach (var (count, reached) in _waiters.Where(w => w.Count <= _sent))
                    {
                        reached.TrySetResult();
                    }
                }

                return offset;
            }
        }

        /// <summary>Completes once <paramref name="count"/> barriers were sent.</summary>
        public Task BarriersSent(int count)
        {
            lock (_waiters)
            {
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                if (_sent >= count)
                {
                    reached.TrySetResult();
                }

                return reached.Task;
            }
        }

        public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken) => inner.SeekAsync(offset, cancellationToken);

        public ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken) => inner.ReadAsync(maxMessages, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>A source with nothing to read whose next read can be held until the test releases it (or the run stops).</summary>
    private sealed class StuckSource(string name) : ISource
    {
        private TaskCompletionSource? _gate;
        private TaskCompletionSource? _held;
        private TaskCompletionSource _stuck = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name { get; } = name;

        public string? Offset => null;

        /// <summary>Completes when the held read started.</summary>
        public Task Stuck => _stuck.Task;

        public void StickNextRead()
        {
            _stuck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        public void Release() => Volatile.Read(ref _held)?.TrySetResult();

        public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public async ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _gate, null) is { } gate)
            {
                Volatile.Write(ref _held, gate);
                _stuck.TrySetResult();
                await gate.Task.WaitAsync(cancellationToken);
            }

            return new SourceBatch([], false);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
