using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlowState.Tests.Streaming;

/// <summary>
/// Pipelines described by settings: appsettings.json (the configuration binder's JSON provider), read strictly, built on a
/// store, run in a host; and component kinds of the app's own added to the catalog.
/// </summary>
public sealed class StreamPipelineDefinitionTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private IConfiguration AppSettings(string pipelineJson)
    {
        var file = _directory.File("appsettings.json");
        File.WriteAllText(file, $$"""{ "Pipelines": { "clicks": {{pipelineJson}} } }""");
        return new ConfigurationBuilder().AddJsonFile(file).Build();
    }

    private string Pipeline(string extraPipelineKeys = "", string processors = """[ { "type": "count", "name": "counts", "exactly_once": true } ]""") => $$"""
        {
          "name": "clicks",
          "state": { "checkpoint_dir": {{System.Text.Json.JsonSerializer.Serialize(_directory.File("checkpoints"))}}, "exactly_once": true, "retained_checkpoints": 2, "checkpoint_timeout_ms": 45000 },
          "pipeline": {
            "partitions": 2,{{extraPipelineKeys}}
            "sources": [ { "type": "file", "name": "in", "path": {{System.Text.Json.JsonSerializer.Serialize(_directory.File("in.jsonl"))}}, "key_field": "key" } ],
            "processors": {{processors}},
            "sinks": [ { "name": "out", "path": {{System.Text.Json.JsonSerializer.Serialize(_directory.File("out"))}} } ]
          }
        }
        """;

    [Fact]
    public async Task A_pipeline_from_appsettings_json_is_built_on_a_store_and_runs()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 600, 6);
        var definition = StreamPipelineDefinition.FromConfiguration(AppSettings(Pipeline()).GetSection("Pipelines:clicks"));
        await using var store = new StateStore();
        await using var pipeline = definition.Build(store);

        var result = await pipeline.RunAsync();

        Assert.Equal(("clicks", 2, true, 2), (definition.Options.Name, definition.Options.Partitions, definition.Options.ExactlyOnce, definition.Options.RetainedCheckpoints));
        Assert.Equal(["counts"], definition.CountingProcessors);
        Assert.Equal(TimeSpan.FromSeconds(45), definition.Options.CheckpointTimeout);
        Assert.Equal(600, result.MessagesRead);
        Assert.Equal(100, await pipeline.StateOf("counts").GetAsync<long>("k0"));
        Assert.Equal(_directory.File("checkpoints"), definition.CheckpointDirectory);
        Assert.NotNull(result.LastCheckpointId);
    }

    [Fact]
    public async Task Watermarks_and_windows_from_settings_close_windows_by_the_events_own_times()
    {
        var t0 = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        File.WriteAllLines(_directory.File("events.jsonl"), Enumerable.Range(0, 30).Select(i => $$"""{"key":"k{{i % 3}}","at":{{t0 + (i * 1000)}}}"""));
        var definition = StreamPipelineDefinition.FromConfiguration(AppSettings($$"""
            {
              "name": "windows",
              "state": { "checkpoint_dir": {{System.Text.Json.JsonSerializer.Serialize(_directory.File("checkpoints"))}} },
              "pipeline": {
                "watermarks": { "max_out_of_orderness_ms": 2000, "idle_timeout_ms": 60000 },
                "sources": [ { "type": "file", "name": "in", "path": {{System.Text.Json.JsonSerializer.Serialize(_directory.File("events.jsonl"))}}, "key_field": "key", "time_field": "at" } ],
                "processors": [ { "type": "tumbling_window", "name": "tumbling", "size_ms": 10000, "exactly_once": true } ],
                "sinks": [ { "name": "out", "path": {{System.Text.Json.JsonSerializer.Serialize(_directory.File("out"))}} } ]
              }
            }
            """).GetSection("Pipelines:clicks"));
        await using var store = new StateStore();
        await using var pipeline = definition.Build(store);

        await pipeline.RunAsync();

        var windows = Directory.GetFiles(_directory.File("out"), "part-*.jsonl").SelectMany(File.ReadAllLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize<WindowResult>(line, System.Text.Json.JsonSerializerOptions.Web)!).ToList();
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1)), (definition.Options.Watermarks!.MaxOutOfOrderness, definition.Options.Watermarks.IdleTimeout));
        // Each key has an event every 3 s: 4, 3 and 3 of them in its three 10-second windows.
        Assert.Equal(9, windows.Count);
        Assert.Equal([3, 3, 3, 3, 3, 3, 4, 4, 4], windows.Select(w => w.Events).Order());
        Assert.All(windows, w => Assert.Equal(TimeSpan.FromSeconds(10), w.End - w.Start));
    }

    [Fact]
    public void A_sliding_window_whose_slide_exceeds_its_size_is_refused_with_its_path()
    {
        var error = Assert.Throws<StreamDefinitionException>(() => StreamPipelineDefinition.FromConfiguration(
            AppSettings(Pipeline(processors: """[ { "type": "sliding_window", "name": "sliding", "size_ms": 1000, "slide_ms": 5000 } ]""")).GetSection("Pipelines:clicks")));

        Assert.Contains("slide_ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelled_key_is_refused_with_its_configuration_path_and_the_key_meant()
    {
        var error = Assert.Throws<StreamDefinitionException>(() => StreamPipelineDefinition.FromConfiguration(
            AppSettings(Pipeline(extraPipelineKeys: """ "batch_sise": 10,""")).GetSection("Pipelines:clicks")));

        Assert.Equal(
            "configuration 'Pipelines:clicks:pipeline:batch_sise': unknown key 'batch_sise' in '(section).pipeline' (did you mean 'batch_size'?); the known keys are partitions, batch_size, watermarks, sources, processors, sinks",
            error.Message);
    }

    [Fact]
    public void A_key_of_another_kind_of_processor_is_refused_for_this_kind()
    {
        var error = Assert.Throws<StreamDefinitionException>(() => StreamPipelineDefinition.FromConfiguration(
            AppSettings(Pipeline(processors: """[ { "type": "count", "name": "counts", "gap_ms": 5 } ]""")).GetSection("Pipelines:clicks")));

        Assert.StartsWith("configuration 'Pipelines:clicks:pipeline:processors:0:gap_ms': unknown key 'gap_ms' in 'pipeline.processors[]'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kind_of_processor_the_app_adds_is_read_from_its_own_keys()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 60, 3);
        var catalog = StreamComponentCatalog.CreateDefault().AddProcessor("prefix", ["text"], (settings, name) =>
        {
            var text = settings.Text("text", required: true)!;
            return () => new PrefixKeys(name, text);
        });
        var section = AppSettings(Pipeline(processors: """[ { "type": "prefix", "name": "tag", "text": "user-" }, { "type": "count", "name": "counts" } ]""")).GetSection("Pipelines:clicks");

        var definition = StreamPipelineDefinition.FromConfiguration(section, catalog);
        await using var store = new StateStore();
        await using var pipeline = definition.Build(store);
        await pipeline.RunAsync();

        Assert.Equal(20, await pipeline.StateOf("counts").GetAsync<long>("user-k1"));
        var missing = Assert.Throws<StreamDefinitionException>(() => StreamPipelineDefinition.FromConfiguration(
            AppSettings(Pipeline(processors: """[ { "type": "prefix" } ]""")).GetSection("Pipelines:clicks"), catalog));
        Assert.Equal("configuration 'Pipelines:clicks:pipeline:processors:0': 'pipeline.processors[]' needs 'text'", missing.Message);
    }

    [Fact]
    public async Task AddStreamPipeline_from_configuration_runs_the_pipeline_in_a_host_and_refuses_a_typo_before_it_starts()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 300, 5);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowState();
        builder.Services.AddStreamPipeline(AppSettings(Pipeline()).GetSection("Pipelines:clicks"));
        using var host = builder.Build();
        var service = host.Services.GetServices<IHostedService>().OfType<StreamPipelineHostedService>().Single();

        await host.StartAsync();
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromMinutes(1));
        await host.StopAsync();

        Assert.Equal(300, service.Result!.MessagesRead);
        var typo = Assert.Throws<StreamDefinitionException>(() => new ServiceCollection().AddStreamPipeline(
            AppSettings(Pipeline(extraPipelineKeys: """ "partitons": 3,""")).GetSection("Pipelines:clicks")));
        Assert.Contains("did you mean 'partitions'?", typo.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddStreamPipeline_with_a_store_key_keeps_the_keyed_state_in_that_store()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 60, 3);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowState();
        builder.Services.AddKeyedFlowState("streams");
        builder.Services.AddStreamPipeline(AppSettings(Pipeline()).GetSection("Pipelines:clicks"), storeKey: "streams");
        using var host = builder.Build();
        var service = host.Services.GetServices<IHostedService>().OfType<StreamPipelineHostedService>().Single();

        await host.StartAsync();
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromMinutes(1));
        await host.StopAsync();

        Assert.Same(host.Services.GetRequiredKeyedService<StateStore>("streams"), service.Pipeline.Store);
        Assert.Equal(0, host.Services.GetRequiredService<StateStore>().GetStatistics().Entries);
    }

    /// <summary>A processor of the test's own: prefixes every message's key.</summary>
    private sealed class PrefixKeys(string name, string prefix) : IProcessor
    {
        public string Name => name;

        public ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<StreamMessage>>([.. messages.Select(m => new StreamMessage(prefix + m.Key, m.Value, m.Id, m.Timestamp))]);
    }
}
