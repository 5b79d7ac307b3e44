using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.Time.Testing;

namespace FlowState.Tests.Streaming;

/// <summary>The stream runtime reads time from the clocks it is given, so tests (and replays) can fake it.</summary>
public sealed class StreamClockTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Messages_and_checkpoints_are_stamped_by_the_given_clocks()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 20, 2);
        var sourceClock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var pipelineClock = new FakeTimeProvider(new DateTimeOffset(2031, 6, 7, 8, 9, 10, TimeSpan.Zero));
        var seen = new TimestampsProcessor("times");
        var storage = new DirectoryCheckpointStorage(_directory.File("checkpoints"));
        await using var pipeline = new StreamPipelineBuilder("clocked")
            .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key", TimeProvider = sourceClock })
            .AddProcessor(seen)
            .WithCheckpoints(storage)
            .Configure(o => o.TimeProvider = pipelineClock)
            .Build();

        await pipeline.RunAsync();

        Assert.Equal([sourceClock.GetUtcNow()], seen.Timestamps.Distinct());
        var manifest = Assert.Single(await pipeline.ListCheckpointsAsync());
        Assert.Equal(pipelineClock.GetUtcNow(), manifest.CreatedAt);
    }

    private sealed class TimestampsProcessor(string name) : IProcessor
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<DateTimeOffset> _timestamps = [];

        public string Name { get; } = name;

        public IEnumerable<DateTimeOffset> Timestamps => _timestamps;

        public ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
        {
            foreach (var message in messages)
            {
                _timestamps.Add(message.Timestamp);
            }

            return ValueTask.FromResult(messages);
        }
    }
}
