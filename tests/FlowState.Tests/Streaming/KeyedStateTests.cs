using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.Time.Testing;

namespace FlowState.Tests.Streaming;

/// <summary>
/// A processor's keyed state types (value, list, map, reducing, aggregating) with their time to live, and the same
/// state checkpointed, saved and restored into a pipeline with another partition count.
/// </summary>
public sealed class KeyedStateTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));
    private readonly TemporaryDirectory _directory = new();
    private readonly StateStore _store;

    public KeyedStateTests() => _store = new StateStore(new StateStoreOptions { TimeProvider = _clock });

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    private ProcessorContext Context(int partition = 0, int partitions = 1) =>
        new("p", "stats", partition, partitions, _store.For(StateScope.Custom("stats")), _store.For(StateScope.Custom("runtime")));

    [Fact]
    public async Task Each_state_type_keeps_its_values_per_key()
    {
        var context = Context();
        var last = context.ValueState<string>("last");
        var recent = context.ListState<int>("recent");
        var parity = context.MapState<long>("parity");
        var sum = context.ReducingState<long>("sum", (a, b) => a + b);
        var average = context.AggregatingState<int, Average, double>("average", () => new Average(0, 0), (a, n) => new Average(a.Sum + n, a.Count + 1), a => (double)a.Sum / a.Count);

        foreach (var (key, n) in new[] { ("a", 1), ("b", 10), ("a", 2), ("a", 3) })
        {
            await last.SetAsync(key, $"{key}{n}");
            await recent.AddAsync(key, n);
            await parity.PutAsync(key, n % 2 == 0 ? "even" : "odd", await parity.GetAsync(key, n % 2 == 0 ? "even" : "odd") + 1);
            await sum.AddAsync(key, n);
            await average.AddAsync(key, n);
        }

        Assert.Equal(("a3", "b10", null), (await last.GetAsync("a"), await last.GetAsync("b"), await last.GetAsync("c")));
        Assert.Equal([1, 2, 3], await recent.GetAsync("a"));
        Assert.Empty(await recent.GetAsync("c"));
        Assert.Equal(new Dictionary<string, long> { ["odd"] = 2, ["even"] = 1 }, await parity.EntriesAsync("a"));
        Assert.Equal((6L, 10L, 0L), (await sum.GetAsync("a"), await sum.GetAsync("b"), await sum.GetAsync("c")));
        Assert.Equal((2.0, 10.0, 0.0), (await average.GetAsync("a"), await average.GetAsync("b"), await average.GetAsync("c")));

        await recent.UpdateAsync("a", [9]);
        Assert.True(await parity.RemoveAsync("a", "odd"));
        Assert.False(await parity.RemoveAsync("a", "odd"));
        Assert.True(await parity.RemoveAsync("a", "even"));
        Assert.True(await sum.ClearAsync("a"));
        await recent.UpdateAsync("b", []);

        Assert.Equal([9], await recent.GetAsync("a"));
        Assert.Empty(await parity.EntriesAsync("a"));
        Assert.False(await _store.For(StateScope.Custom("stats")).Scope("parity").ExistsAsync("a"));
        Assert.Equal(0L, await sum.GetAsync("a"));
        Assert.False(await _store.For(StateScope.Custom("stats")).Scope("recent").ExistsAsync("b"));
        Assert.Equal(7L, await sum.AddAsync("a", 7));
    }

    [Fact]
    public async Task Values_expire_after_their_time_to_live_from_the_last_write_or_with_refresh_from_the_last_read()
    {
        var context = Context();
        var written = context.ValueState<int>("written", new KeyedStateOptions { TimeToLive = TimeSpan.FromMinutes(1) });
        var read = context.ValueState<int>("read", new KeyedStateOptions { TimeToLive = TimeSpan.FromMinutes(1), RefreshOnRead = true });
        await written.SetAsync("k", 1);
        await read.SetAsync("k", 1);

        _clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal((1, 1), (await written.GetAsync("k"), await read.GetAsync("k")));
        _clock.Advance(TimeSpan.FromSeconds(50));

        Assert.Equal(0, await written.GetAsync("k"));
        Assert.Equal(1, await read.GetAsync("k"));
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(0, await read.GetAsync("k"));
    }

    [Fact]
    public async Task A_key_of_another_partition_is_refused_before_anything_is_written()
    {
        var context = Context(partition: 0, partitions: 2);
        var foreign = Enumerable.Range(0, 100).Select(i => $"k{i}").First(k => !context.Owns(k));
        var value = context.ValueState<int>("v");
        var list = context.ListState<int>("l");

        var error = await Assert.ThrowsAsync<StreamException>(async () => await value.SetAsync(foreign, 1));
        await Assert.ThrowsAsync<StreamException>(async () => await list.AddAsync(foreign, 1));

        Assert.Contains($"key '{foreign}' of keyed state 'v'", error.Message, StringComparison.Ordinal);
        Assert.Contains("belongs to partition 1", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await _store.CountAsync());
        Assert.Throws<ArgumentOutOfRangeException>(() => context.ValueState<int>("v", new KeyedStateOptions { TimeToLive = TimeSpan.Zero }));
        Assert.ThrowsAny<ArgumentException>(() => context.ValueState<int>(string.Empty));
    }

    [Fact]
    public async Task Keyed_state_restored_from_a_savepoint_into_four_partitions_ends_like_an_uninterrupted_run()
    {
        const int Keys = 11;
        SequenceInput.Write(_directory.File("in.jsonl"), 600, Keys);
        await using (var first = Pipeline(2, "checkpoints-a", "out"))
        {
            await first.RunAsync();
            await first.CreateSavepointAsync(Storage("savepoint"));
        }

        await using var restored = Pipeline(4, "checkpoints-b", "out");
        await restored.RestoreSavepointAsync(Storage("savepoint"));
        SequenceInput.Write(_directory.File("in.jsonl"), 400, Keys, from: 600);
        await restored.RunAsync();

        var state = restored.StateOf("stats");
        for (var k = 0; k < Keys; k++)
        {
            var key = $"k{k}";
            var seqs = Enumerable.Range(0, 1000).Where(i => i % Keys == k).ToList();
            Assert.Equal(seqs[^1], await state.Scope("last").GetAsync<int>(key));
            Assert.Equal(seqs[^3..], await state.Scope("recent").GetAsync<List<int>>(key));
            Assert.Equal(seqs.Count(i => i % 2 == 0), (await state.Scope("parity").GetAsync<Dictionary<string, long>>(key))!.GetValueOrDefault("even"));
            Assert.Equal(seqs.Sum(i => (long)i), await state.Scope("sum").GetAsync<long>(key));
            Assert.Equal(new Average(seqs.Sum(i => (long)i), seqs.Count), await state.Scope("average").GetAsync<Average>(key));
        }
    }

    private DirectoryCheckpointStorage Storage(string name) => new(_directory.File(name));

    private StreamPipeline Pipeline(int partitions, string checkpoints, string output) =>
        new StreamPipelineBuilder("keyed")
            .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key" })
            .AddProcessor(new StatsProcessor())
            .AddSink(new JsonLinesFileSink("out", _directory.File(output)))
            .WithPartitions(partitions)
            .WithCheckpoints(Storage(checkpoints))
            .Configure(o => o.ExactlyOnce = true)
            .Build();

    private sealed record Average(long Sum, long Count);

    private sealed record Sequence(int Seq);

    /// <summary>Every state type fed from each message's sequence number, under the message's key.</summary>
    private sealed class StatsProcessor : IProcessor
    {
        public string Name => "stats";

        public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
        {
            var last = context.ValueState<int>("last");
            var recent = context.ListState<int>("recent");
            var parity = context.MapState<long>("parity");
            var sum = context.ReducingState<long>("sum", (a, b) => a + b);
            var average = context.AggregatingState<int, Average, Average>("average", () => new Average(0, 0), (a, n) => new Average(a.Sum + n, a.Count + 1), a => a);
            foreach (var message in messages)
            {
                var key = message.Key!;
                var seq = message.GetValue<Sequence>(SequenceInput.Web)!.Seq;
                await last.SetAsync(key, seq, cancellationToken);
                var kept = await recent.GetAsync(key, cancellationToken);
                await recent.UpdateAsync(key, [.. kept.TakeLast(2), seq], cancellationToken);
                var side = seq % 2 == 0 ? "even" : "odd";
                await parity.PutAsync(key, side, await parity.GetAsync(key, side, cancellationToken) + 1, cancellationToken);
                await sum.AddAsync(key, seq, cancellationToken);
                await average.AddAsync(key, seq, cancellationToken);
            }

            return messages;
        }
    }
}
