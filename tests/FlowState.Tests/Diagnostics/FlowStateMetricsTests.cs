using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FlowState.Flows;

namespace FlowState.Tests.Diagnostics;

public sealed class FlowStateMetricsTests : IDisposable
{
    private readonly ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];
    private readonly MeterListener _listener = new();

    public FlowStateMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == FlowStateMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task Writes_reads_entries_and_flow_steps_are_measured_per_store()
    {
        var name = "metrics-" + Guid.NewGuid().ToString("N");
        await using var store = new StateStore(new StateStoreOptions { Name = name });
        await store.SetAsync("a", 1);
        await store.ApplyAsync(store.CreateBatch().Set("b", 2).Set("c", 3));
        await store.GetAsync<int>("a");
        await store.GetAsync<int>("missing");
        var flow = new FlowBuilder("measured-" + name).Sequence(
            Node.Create("one", (_, _) => ValueTask.FromResult<string?>(null)),
            Node.Create("two", (_, _) => ValueTask.FromResult<string?>(null))).Build();
        await new FlowRunner(store).RunAsync(flow);

        _listener.RecordObservableInstruments();

        Assert.True(Sum("flowstate.writes", name) >= 3);
        Assert.True(Count("flowstate.write.duration", name) >= 2);
        Assert.Equal(3, Last("flowstate.entries", name));
        Assert.Equal(3, Last("flowstate.resident.entries", name));
        Assert.Equal(0, Last("flowstate.page_ins", name));
        Assert.True(Last("flowstate.bytes", name) > 0);
        Assert.Equal(1, Last("flowstate.reads", name, ("flowstate.result", "hit")));
        Assert.Equal(1, Last("flowstate.reads", name, ("flowstate.result", "miss")));
        Assert.Equal(2, _measurements.Where(m => m.Instrument == "flowstate.flow.steps" && (string?)m.Tags["flowstate.flow"] == flow.Name).Sum(m => m.Value));
    }

    [Fact]
    public async Task Stream_checkpoints_and_messages_are_measured_per_pipeline()
    {
        using var directory = new TemporaryDirectory();
        var name = "measured-" + Guid.NewGuid().ToString("N");
        FlowState.Conformance.SequenceInput.Write(directory.File("in.jsonl"), 50, 5);
        await using var pipeline = new FlowState.Streaming.StreamPipelineBuilder(name)
            .AddSource(new FlowState.Streaming.JsonLinesFileSource("in", directory.File("in.jsonl")) { KeyField = "key" })
            .AddProcessor(new FlowState.Streaming.CountByKeyProcessor("counts"))
            .WithCheckpoints(new FlowState.Checkpoints.DirectoryCheckpointStorage(directory.File("checkpoints")))
            .Build();

        await pipeline.RunAsync();

        bool Ours((string Instrument, double Value, Dictionary<string, object?> Tags) m, string instrument) =>
            m.Instrument == instrument && (string?)m.Tags["flowstate.pipeline"] == name;
        Assert.Equal(50, _measurements.Where(m => Ours(m, "flowstate.stream.messages")).Sum(m => m.Value));
        var duration = Assert.Single(_measurements, m => Ours(m, "flowstate.checkpoint.duration"));
        Assert.Equal("full", duration.Tags["flowstate.checkpoint.kind"]);
        Assert.True(Assert.Single(_measurements, m => Ours(m, "flowstate.checkpoint.size")).Value > 0);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));

    private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string instrument, string store, (string Key, string Value)? tag = null) =>
        _measurements.Where(m => m.Instrument == instrument
            && m.Tags.TryGetValue("flowstate.store", out var s) && (string?)s == store
            && (tag is null || (m.Tags.TryGetValue(tag.Value.Key, out var t) && (string?)t == tag.Value.Value)));

    private double Sum(string instrument, string store) => Of(instrument, store).Sum(m => m.Value);

    private int Count(string instrument, string store) => Of(instrument, store).Count();

    private double Last(string instrument, string store, (string Key, string Value)? tag = null) => Of(instrument, store, tag).Last().Value;
}
