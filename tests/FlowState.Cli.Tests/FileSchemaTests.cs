using System.Text.Json;
using System.Text.Json.Nodes;
using FlowState.Cli.LuaFlows;
using FlowState.Cli.Streams;
using Json.Schema;

namespace FlowState.Cli.Tests;

/// <summary>
/// The JSON Schemas under docs/schemas (for editors: yaml-language-server and the like) say what the CLI's strict
/// readers accept: every example file is valid, a misspelled key is refused by both, and each object's keys are the
/// reader's own.
/// </summary>
public sealed class FileSchemaTests : CliTestBase
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static readonly Dictionary<string, JsonSchema> Schemas = new[] { "flow-file", "lua-flow-file", "pipeline-file" }
        .ToDictionary(name => name, name => JsonSchema.FromFile(Path.Combine(Root, "docs", "schemas", name + ".schema.json")));

    private static JsonElement Yaml(string path) =>
        JsonSerializer.SerializeToElement(FlowFile.ToJson(FlowFile.Root(path)!));

    private static EvaluationResults Evaluate(string schema, string path) =>
        Schemas[schema].Evaluate(Yaml(path), new EvaluationOptions { OutputFormat = OutputFormat.List });

    public static TheoryData<string, string> Examples() => new()
    {
        { "flow-file", "examples/flows/word-count.yaml" },
        { "lua-flow-file", "examples/lua/flows/text-stats.yaml" },
        { "pipeline-file", "examples/streams/word-count.yaml" },
        { "pipeline-file", "examples/streams/sessions.yaml" },
        { "pipeline-file", "examples/streams/exactly-once.yaml" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_file_is_valid_against_its_schema(string schema, string example)
    {
        var results = Evaluate(schema, Path.Combine(Root, example));

        Assert.True(results.IsValid, string.Join("\n", (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public async Task A_misspelled_key_is_refused_by_the_schema_and_by_the_reader_with_the_key_meant()
    {
        var flow = Directory.File("typo-flow.yaml");
        File.WriteAllText(flow, "flow: word-count\ninput:\n  tpo: 3\n");
        var pipeline = Directory.File("typo-pipeline.yaml");
        File.WriteAllText(pipeline, "name: p\npipeline:\n  partitons: 2\n  sources: [{ name: in, path: in.jsonl }]\n");
        var lua = Directory.File("typo-lua.yaml");
        File.WriteAllText(lua, "name: l\nsteps:\n  a: { scrip: a.lua }\n");

        Assert.False(Evaluate("flow-file", flow).IsValid);
        Assert.False(Evaluate("pipeline-file", pipeline).IsValid);
        Assert.False(Evaluate("lua-flow-file", lua).IsValid);
        Assert.Equal((1, $"error: {flow}, line 3: unknown key 'tpo' in '(file).input' (did you mean 'top'?); the known keys are files, top, step_delay_ms"), Trimmed(await RunAsync("run", flow)));
        Assert.Equal((1, $"error: {pipeline}, line 3: unknown key 'partitons' in '(file).pipeline' (did you mean 'partitions'?); the known keys are partitions, batch_size, watermarks, sources, processors, sinks"), Trimmed(await RunAsync("run", pipeline)));
        Assert.Equal((1, $"error: {lua}, line 3: unknown key 'scrip' in 'flow.steps.a' (did you mean 'script'?); the known keys are script, retries, retry_delay_ms, next"), Trimmed(await RunAsync("run", lua)));
    }

    [Fact]
    public async Task A_key_far_from_every_known_one_gets_no_guess()
    {
        var flow = Directory.File("far.yaml");
        File.WriteAllText(flow, "flow: word-count\nschedule: daily\n");

        Assert.Equal((1, $"error: {flow}, line 2: unknown key 'schedule' in '(file)'; the known keys are flow, store, run_id, input"), Trimmed(await RunAsync("run", flow)));
    }

    [Fact]
    public void Each_schema_object_has_exactly_the_keys_its_reader_knows()
    {
        Assert.Equal(FlowFile.Keys, Keys("flow-file", "properties"));
        Assert.Equal(BundledFlowKeys(), Keys("flow-file", "properties", "input", "properties"));
        Assert.Equal(LuaFlowFile.RootKeys, Keys("lua-flow-file", "properties"));
        Assert.Equal(LuaFlowFile.StepKeys, Keys("lua-flow-file", "properties", "steps", "additionalProperties", "oneOf", "1", "properties"));
        Assert.Equal(LuaFlowFile.BudgetKeys, Keys("lua-flow-file", "properties", "budgets", "properties"));
        // The pipeline reader's keys are the library's, with every kind the CLI ships (the schema lists each list entry's
        // keys as the union over its kinds; the reader then checks them per kind).
        var catalog = PipelineFile.Catalog;
        Assert.Equal(Streaming.StreamPipelineDefinition.RootKeys, Keys("pipeline-file", "properties"));
        Assert.Equal([.. Streaming.StreamPipelineDefinition.StateKeys, .. catalog.CheckpointSettingsKeys], Keys("pipeline-file", "properties", "state", "properties"));
        Assert.Equal(catalog.CheckpointStorageKeys("S3"), Keys("pipeline-file", "properties", "state", "properties", "s3_config", "properties"));
        Assert.Equal(Streaming.StreamPipelineDefinition.PipelineKeys, Keys("pipeline-file", "properties", "pipeline", "properties"));
        Assert.Equal(Streaming.StreamPipelineDefinition.WatermarkKeys, Keys("pipeline-file", "properties", "pipeline", "properties", "watermarks", "properties"));
        Assert.Equal(["type", "name", .. catalog.SourceKeys], Keys("pipeline-file", "properties", "pipeline", "properties", "sources", "items", "properties"));
        Assert.Equal(["type", "name", .. catalog.ProcessorKeys], Keys("pipeline-file", "properties", "pipeline", "properties", "processors", "items", "properties"));
        Assert.Equal(["type", "name", .. catalog.SinkKeys], Keys("pipeline-file", "properties", "pipeline", "properties", "sinks", "items", "properties"));
    }

    private static string[] BundledFlowKeys() => [.. ExampleFlows.WordCountFlow.Bundled.InputKeys];

    private static string[] Keys(string schema, params string[] path)
    {
        JsonNode node = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "docs", "schemas", schema + ".schema.json")))!;
        foreach (var step in path)
        {
            node = node is JsonArray array ? array[int.Parse(step, System.Globalization.CultureInfo.InvariantCulture)]! : node[step]!;
        }

        return [.. node.AsObject().Select(p => p.Key)];
    }

    private static (int, string) Trimmed((int Code, string Out, string Error) result) => (result.Code, result.Error.Trim());
}
