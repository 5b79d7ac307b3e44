using System.Diagnostics;
using System.Diagnostics.Metrics;
using FlowState.Conformance;
using FlowState.Flows;
using FlowState.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// FlowState wired into OpenTelemetry as an app would (AddFlowStateInstrumentation, in-memory exporters standing in
/// for OTLP), on a real SQLite file in a .NET host.
/// </summary>
public sealed class SqliteOpenTelemetryTests : IDisposable
{
    private static readonly ActivitySource Requests = new("FlowState.Sqlite.Tests.Requests");
    private readonly TemporaryDirectory _directory = new();
    // Every FlowState store of the test process reports to the same ActivitySource, so spans of tests running in
    // parallel are exported here too, from their threads, while a test reads: hence a locked list read as snapshots.
    private readonly LockedList<Activity> _spans = new();
    private readonly List<Metric> _metrics = [];
    private readonly string _storeName = $"otel-{Guid.NewGuid():N}";

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Each_flow_steps_commit_span_is_a_child_of_the_step()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var flow = new FlowBuilder("otel").Sequence(
            Node.Create("first", async (state, _) => { await state.SetAsync("a", 1); return null; }),
            Node.Create("second", async (state, _) => { await state.SetAsync("b", 2); return null; })).Build();

        ActivityTraceId requestTrace;
        using (var request = Requests.StartActivity("POST /articles"))
        {
            requestTrace = request!.TraceId;
            await host.Services.GetRequiredService<FlowRunner>().RunAsync(flow, options: new FlowRunOptions { RunId = "otel-run" });
        }

        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        await host.StopAsync();

        var steps = _spans.Where(s => s.OperationName == "flow.step" && (string?)s.GetTagItem("flowstate.run_id") == "otel-run").ToList();
        Assert.Equal(["first", "second"], steps.Select(s => (string?)s.GetTagItem("flowstate.node")));
        foreach (var step in steps)
        {
            var commits = _spans.Where(s => s.OperationName == "flowstate.commit" && s.ParentSpanId == step.SpanId).ToList();
            var commit = Assert.Single(commits);
            Assert.Equal(step.TraceId, commit.TraceId);
            Assert.Equal(_storeName, commit.GetTagItem("flowstate.store"));
        }

        // Whatever else the run committed (the record that creates it) is in the request's trace too: no commit is a
        // trace of its own.
        Assert.Equal(requestTrace, Assert.Single(_spans, s => s.OperationName == "flow.run" && (string?)s.GetTagItem("flowstate.run_id") == "otel-run").TraceId);
        Assert.All(
            _spans.Where(s => s.OperationName == "flowstate.commit" && (string?)s.GetTagItem("flowstate.store") == _storeName),
            commit => Assert.Equal(requestTrace, commit.TraceId));
    }

    [Fact]
    public async Task The_store_records_on_the_hosts_meter_with_durations_in_seconds()
    {
        using var host = BuildHost();
        // The listener hears every store's instruments in this process, other test classes' hosts included (they run
        // beside this one): the host's factory must be among the scopes, not the last one published.
        var scopes = new System.Collections.Concurrent.ConcurrentBag<object?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Name == "flowstate.commit.duration")
                {
                    scopes.Add(instrument.Meter.Scope);
                }
            },
        };
        listener.Start();
        await host.StartAsync();
        var store = host.Services.GetRequiredService<StateStore>();

        await store.SetAsync("k", "v");
        Assert.Equal("v", await store.GetAsync<string>("k"));
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        await host.StopAsync();

        var factory = host.Services.GetRequiredService<IMeterFactory>();
        Assert.Contains(scopes, scope => ReferenceEquals(scope, factory));
        Metric Named(string name) => _metrics.Last(m => m.Name == name);
        Assert.Equal("s", Named("flowstate.commit.duration").Unit);
        Assert.Equal("s", Named("flowstate.write.duration").Unit);
        var reads = Named("flowstate.read.duration");
        Assert.Equal("s", reads.Unit);
        var readPoints = new List<MetricPoint>();
        foreach (ref readonly var point in reads.GetMetricPoints())
        {
            readPoints.Add(point);
        }

        var memoryReads = Assert.Single(readPoints, p => HasTag(p, "flowstate.store", _storeName) && HasTag(p, "flowstate.read.source", "memory"));
        Assert.Equal(1, memoryReads.GetHistogramCount());
        Assert.True(memoryReads.GetHistogramSum() < 1, "a read from memory takes well under a second");
    }

    private static bool HasTag(MetricPoint point, string key, string value)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key && (string?)tag.Value == value)
            {
                return true;
            }
        }

        return false;
    }

    private IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowState(f => f.UseSqlite(_directory.File("otel.db")).ConfigureStore(o => o.Name = _storeName));
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddFlowStateInstrumentation().AddSource(Requests.Name).AddInMemoryExporter(_spans))
            .WithMetrics(metrics => metrics.AddFlowStateInstrumentation().AddInMemoryExporter(_metrics));
        return builder.Build();
    }

    /// <summary>A list whose reads see a snapshot, so that exporters on other threads can add while a test reads.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(T item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(T item)
        {
            lock (_items)
            {
                return _items.Contains(item);
            }
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            lock (_items)
            {
                _items.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(T item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator()
        {
            lock (_items)
            {
                return _items.ToList().GetEnumerator();
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
