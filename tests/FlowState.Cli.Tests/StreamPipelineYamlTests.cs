using FlowState.Redis;
using FlowState.Streaming;
using FlowState.Yaml;

namespace FlowState.Cli.Tests;

/// <summary>The library's YAML loader (FlowState.Yaml), used directly as an app would, without the CLI.</summary>
public sealed class StreamPipelineYamlTests : CliTestBase
{
    [Fact]
    public async Task An_app_loads_a_pipeline_file_with_the_library_and_runs_it_on_its_store()
    {
        var file = Directory.File("p.yaml");
        File.WriteAllLines(Directory.File("in.jsonl"), Enumerable.Range(0, 90).Select(i => $$"""{"key":"k{{i % 3}}"}"""));
        File.WriteAllText(file, $"""
            name: app
            state: {"{"} checkpoint_dir: {Directory.File("cp")} {"}"}
            pipeline:
              sources: [{"{"} name: in, path: in.jsonl, key_field: key {"}"}]
              processors: [{"{"} type: count, name: counts {"}"}]
            """);

        var definition = StreamPipelineYaml.Load(file);
        await using var store = new StateStore();
        await using var pipeline = definition.Build(store);
        await pipeline.RunAsync();

        Assert.Equal(30, await pipeline.StateOf("counts").GetAsync<long>("k2"));
    }

    [Fact]
    public void A_missing_file_a_file_that_is_not_yaml_and_an_unknown_kind_are_told_apart()
    {
        var broken = Directory.File("broken.yaml");
        File.WriteAllText(broken, "name: x\npipeline: { sources: [a\n");
        var redis = Directory.File("redis.yaml");
        File.WriteAllText(redis, "name: x\npipeline:\n  sources:\n    - { type: redis, name: r, configuration: c, stream: s }\n");

        Assert.Throws<FileNotFoundException>(() => StreamPipelineYaml.Load(Directory.File("none.yaml")));
        Assert.StartsWith($"{broken} is not valid YAML (line 3)", Assert.Throws<StreamDefinitionException>(() => StreamPipelineYaml.Load(broken)).Message, StringComparison.Ordinal);
        Assert.Equal(
            $"{redis}, line 4: 'pipeline.sources[].type' is 'redis'; use one of: file",
            Assert.Throws<StreamDefinitionException>(() => StreamPipelineYaml.Load(redis)).Message);
        Assert.Equal("x", StreamPipelineYaml.Load(redis, StreamComponentCatalog.CreateDefault().AddRedisStreamSource()).Options.Name);
    }
}
