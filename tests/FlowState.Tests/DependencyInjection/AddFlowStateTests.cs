using FlowState.Flows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowState.Tests.DependencyInjection;

public sealed class AddFlowStateTests
{
    [Fact]
    public async Task Store_storage_and_runner_resolve_to_one_in_memory_store()
    {
        await using var provider = new ServiceCollection().AddFlowState().BuildServiceProvider();

        var store = provider.GetRequiredService<StateStore>();
        Assert.Same(store, provider.GetRequiredService<IStateStore>());
        Assert.Same(store, provider.GetRequiredService<FlowStateStorage>().Store);
        var result = await provider.GetRequiredService<FlowRunner>().RunAsync(
            new FlowBuilder("di").Add(Node.Create("set", async (state, _) =>
            {
                await state.SetAsync("done", true);
                return null;
            })).Build(),
            options: new FlowRunOptions { RetainState = true });
        Assert.True(await store.For(StateScope.Workflow(result.RunId)).GetAsync<bool>("done"));
    }

    [Fact]
    public async Task UseDirectoryCheckpoints_registers_one_checkpoint_storage_that_a_pipeline_checkpoints_into()
    {
        var root = Directory.CreateTempSubdirectory("flowstate-di-checkpoints-").FullName;
        try
        {
            await using var provider = new ServiceCollection().AddFlowState(f => f.UseDirectoryCheckpoints(Path.Combine(root, "checkpoints"))).BuildServiceProvider();
            var storage = provider.GetRequiredService<FlowState.Checkpoints.ICheckpointStorage>();
            await File.WriteAllTextAsync(Path.Combine(root, "in.jsonl"), "{\"key\":\"a\"}\n{\"key\":\"b\"}\n");
            await using var pipeline = new FlowState.Streaming.StreamPipelineBuilder("di")
                .AddSource(new FlowState.Streaming.JsonLinesFileSource("in", Path.Combine(root, "in.jsonl")) { KeyField = "key" })
                .AddProcessor(new FlowState.Streaming.CountByKeyProcessor("counts"))
                .WithCheckpoints(storage)
                .WithStateStore(provider.GetRequiredService<StateStore>())
                .Build();

            var result = await pipeline.RunAsync();

            Assert.Same(storage, provider.GetRequiredService<FlowState.Checkpoints.ICheckpointStorage>());
            Assert.IsType<FlowState.Checkpoints.DirectoryCheckpointStorage>(storage);
            Assert.Equal([result.LastCheckpointId!.Value], await storage.ListCheckpointIdsAsync(CancellationToken.None));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Options_are_bound_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlowState:Name"] = "orders",
            ["FlowState:MaxEntries"] = "500",
            ["FlowState:DefaultTimeToLive"] = "00:05:00",
            ["FlowState:Runner:RetainCompletedRuns"] = "true",
            ["FlowState:Runner:History:MaxCheckpoints"] = "20",
        }).Build();

        await using var provider = new ServiceCollection()
            .AddFlowState(flowState => flowState.BindConfiguration(configuration.GetSection("FlowState")).ConfigureRunner(o => o.MaxPostConflictRetries = 3))
            .BuildServiceProvider();

        var store = provider.GetRequiredService<IOptions<StateStoreOptions>>().Value;
        var runner = provider.GetRequiredService<IOptions<FlowRunnerOptions>>().Value;
        Assert.Equal(("orders", 500L, TimeSpan.FromMinutes(5)), (store.Name, store.MaxEntries, store.DefaultTimeToLive));
        Assert.Equal((true, 20, 3), (runner.RetainCompletedRuns, runner.History!.MaxCheckpoints, runner.MaxPostConflictRetries));
        Assert.Equal("orders", provider.GetRequiredService<StateStore>().Name);
    }

    [Fact]
    public async Task A_value_that_does_not_parse_names_its_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["FlowState:Durability"] = "Forever" }).Build();
        await using var provider = new ServiceCollection().AddFlowState(f => f.BindConfiguration(configuration.GetSection("FlowState"))).BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<StateStore>());

        Assert.Contains("FlowState:Durability", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FlowState:MaxEntrys", "500", "MaxEntrys")]
    [InlineData("FlowState:Durabilty", "Machine", "Durabilty")]
    [InlineData("FlowState:Runner:History:MaxAgee", "01:00:00", "MaxAgee")]
    public async Task A_misspelled_key_is_refused_naming_it_and_the_accepted_keys(string key, string value, string misspelled)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        await using var provider = new ServiceCollection().AddFlowState(f => f.BindConfiguration(configuration.GetSection("FlowState"))).BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<StateStore>());

        Assert.Contains(misspelled, error.Message, StringComparison.Ordinal);
        Assert.Contains("'FlowState'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Accepted keys: Name, Durability, MaxEntries, MaxBytes, DefaultTimeToLive, Runner:RecordProgress", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_with_a_misspelled_key_fails_to_start()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["FlowState:MaxEntrys"] = "500" });
        builder.Services.AddFlowState(f => f.BindConfiguration(builder.Configuration.GetSection("FlowState")));
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("MaxEntrys", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_AddFlowState_call_is_refused()
    {
        var services = new ServiceCollection().AddFlowState(f => f.ConfigureStore(o => o.Name = "first"));

        var error = Assert.Throws<InvalidOperationException>(() => services.AddFlowState(f => f.ConfigureStore(o => o.Name = "second")));

        Assert.Contains("AddFlowState was called twice", error.Message, StringComparison.Ordinal);
        await using var provider = services.BuildServiceProvider();
        Assert.Equal("first", provider.GetRequiredService<StateStore>().Name);
    }
}
