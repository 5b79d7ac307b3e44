using System.Globalization;
using System.Text.Json;
using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;

namespace FlowState.Tests.Streaming;

/// <summary>An acknowledging source is told a checkpoint's offset only once that checkpoint is stored and its output committed.</summary>
public sealed class AcknowledgingSourceTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Offsets_are_acknowledged_in_order_after_the_output_up_to_them_is_committed()
    {
        var source = new RecordingSource(Messages(300), _directory.File("out"), failFirst: false);
        await using var pipeline = Pipeline(source);

        await pipeline.RunAsync();

        Assert.NotEmpty(source.Acknowledged);
        Assert.Equal("300", source.Acknowledged[^1].Offset);
        var offsets = source.Acknowledged.Select(a => int.Parse(a.Offset, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(offsets.Order(), offsets);
        Assert.All(source.Acknowledged, a => Assert.True(a.Committed >= int.Parse(a.Offset, CultureInfo.InvariantCulture), $"offset {a.Offset} acknowledged with {a.Committed} outputs committed"));
    }

    [Fact]
    public async Task A_failed_acknowledgement_is_logged_and_the_run_goes_on_to_acknowledge_past_it()
    {
        var source = new RecordingSource(Messages(300), _directory.File("out"), failFirst: true);
        var logger = new ListLogger();
        await using var pipeline = Pipeline(source, logger);

        var result = await pipeline.RunAsync();

        Assert.Equal(300, result.MessagesRead);
        Assert.Equal("300", source.Acknowledged[^1].Offset);
        Assert.Contains(logger.Messages, m => m.Contains("could not acknowledge its input", StringComparison.Ordinal));
    }

    private static List<StreamMessage> Messages(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new StreamMessage($"k{i % 7}", JsonSerializer.SerializeToElement(new { seq = i }), $"m{i}", DateTimeOffset.UnixEpoch))];

    private StreamPipeline Pipeline(RecordingSource source, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var builder = new StreamPipelineBuilder("acknowledged")
            .AddSource(source)
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", _directory.File("out")))
            .WithCheckpoints(new DirectoryCheckpointStorage(_directory.File("checkpoints")), TimeSpan.FromMilliseconds(5))
            .Configure(o => o.BatchSize = 16);
        return (logger is null ? builder : builder.WithLogger(logger)).Build();
    }

    private sealed class RecordingSource(IReadOnlyList<StreamMessage> messages, string output, bool failFirst) : IAcknowledgingSource
    {
        private readonly ListSource _inner = new("in", messages);
        private bool _failed;
        private int _attempts;

        public List<(string Offset, int Committed)> Acknowledged { get; } = [];

        public string Name => _inner.Name;

        public string? Offset => _inner.Offset;

        public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken) => _inner.SeekAsync(offset, cancellationToken);

        // The input ends only after two acknowledgements were attempted, so periodic checkpoints come before the final one.
        public async ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
        {
            var batch = await _inner.ReadAsync(maxMessages, cancellationToken);
            return batch.EndOfStream && Volatile.Read(ref _attempts) < 2 ? new SourceBatch(batch.Messages, false) : batch;
        }

        public async ValueTask AcknowledgeAsync(string offset, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            if (failFirst && !_failed)
            {
                _failed = true;
                throw new IOException("the broker is away");
            }

            var committed = await JsonLinesFileSink.ReadCommittedLinesAsync(output, cancellationToken);
            lock (Acknowledged)
            {
                Acknowledged.Add((offset, committed.Count));
            }
        }

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}
