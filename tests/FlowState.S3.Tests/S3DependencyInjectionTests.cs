using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FlowState.S3.Tests;

/// <summary><c>UseS3Checkpoints</c> from configuration, checkpointing a pipeline into a real S3 API server.</summary>
[Collection(SharedS3rverServer.Name)]
public sealed class S3DependencyInjectionTests(S3rverServer server) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private IConfiguration Settings(string prefix, string useSsl = "false") => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["FlowState:S3:Bucket"] = "flowstate",
        ["FlowState:S3:Prefix"] = prefix,
        ["FlowState:S3:Endpoint"] = server.Endpoint,
        ["FlowState:S3:UseSsl"] = useSsl,
        ["FlowState:S3:AccessKey"] = "S3RVER",
        ["FlowState:S3:SecretKey"] = "S3RVER",
        ["FlowState:S3:ClaimTimeout"] = "00:00:10",
    }).Build();

    [Fact]
    public async Task UseS3Checkpoints_from_configuration_registers_the_storage_a_pipeline_checkpoints_into()
    {
        var prefix = $"di/{Guid.NewGuid():N}/";
        await using var provider = new ServiceCollection()
            .AddFlowState(f => f.UseS3Checkpoints(Settings(prefix).GetSection("FlowState:S3")))
            .BuildServiceProvider();
        var input = _directory.File("in.jsonl");
        SequenceInput.Write(input, 200, 7);
        var storage = provider.GetRequiredService<ICheckpointStorage>();
        await using var pipeline = new StreamPipelineBuilder("di-s3")
            .AddSource(new JsonLinesFileSource("in", input) { KeyField = "key" })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .WithCheckpoints(storage)
            .WithStateStore(provider.GetRequiredService<StateStore>())
            .Build();

        var result = await pipeline.RunAsync();

        Assert.Equal($"s3://flowstate/{prefix}", storage.Description);
        Assert.Equal([result.LastCheckpointId!.Value], await storage.ListCheckpointIdsAsync(CancellationToken.None));
        using var reader = new S3CheckpointStorage(server.Options(prefix));
        Assert.Equal([result.LastCheckpointId.Value], await reader.ListCheckpointIdsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task UseS3Checkpoints_on_a_client_the_app_registered_checkpoints_through_that_client()
    {
        var prefix = $"di-client/{Guid.NewGuid():N}/";
        var services = new ServiceCollection();
        services.AddSingleton<Amazon.S3.IAmazonS3>(_ => server.CreateClient());
        services.AddFlowState(f => f.UseS3Checkpoints(p => p.GetRequiredService<Amazon.S3.IAmazonS3>(), o => { o.Bucket = "flowstate"; o.Prefix = prefix; }));
        await using var provider = services.BuildServiceProvider();
        var input = _directory.File("client.jsonl");
        SequenceInput.Write(input, 100, 5);
        await using var pipeline = new StreamPipelineBuilder("di-s3-client")
            .AddSource(new JsonLinesFileSource("in", input) { KeyField = "key" })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .WithCheckpoints(provider.GetRequiredService<ICheckpointStorage>())
            .WithStateStore(provider.GetRequiredService<StateStore>())
            .Build();

        var result = await pipeline.RunAsync();

        using var reader = new S3CheckpointStorage(server.Options(prefix));
        Assert.Equal([result.LastCheckpointId!.Value], await reader.ListCheckpointIdsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_setting_that_does_not_parse_names_its_key()
    {
        await using var provider = new ServiceCollection()
            .AddFlowState(f => f.UseS3Checkpoints(Settings("x/", useSsl: "sometimes").GetSection("FlowState:S3")))
            .BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<ICheckpointStorage>());

        Assert.Contains("FlowState:S3:UseSsl", error.Message, StringComparison.Ordinal);
        Assert.Contains("sometimes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misspelled_setting_is_refused_naming_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["FlowState:S3:Bucjet"] = "b" }).Build();
        await using var provider = new ServiceCollection().AddFlowState(f => f.UseS3Checkpoints(configuration.GetSection("FlowState:S3"))).BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<ICheckpointStorage>());

        Assert.Contains("Bucjet", error.Message, StringComparison.Ordinal);
        Assert.Contains("Accepted keys: Bucket, Prefix", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_coordinator_on_one_prefix_loses_the_claim_and_says_so_in_the_apps_logs()
    {
        var prefix = $"logged/{Guid.NewGuid():N}/";
        await using var provider = new ServiceCollection()
            .AddLogging(b => b.AddFakeLogging().SetMinimumLevel(LogLevel.Debug))
            .AddFlowState(f => f.UseS3Checkpoints(Settings(prefix).GetSection("FlowState:S3")))
            .BuildServiceProvider();
        var storage = provider.GetRequiredService<ICheckpointStorage>();
        using var other = new S3CheckpointStorage(server.Options(prefix));

        Assert.True(await other.TryWriteManifestAsync(1, "{}"u8.ToArray(), CancellationToken.None));
        Assert.False(await storage.TryWriteManifestAsync(1, "{}"u8.ToArray(), CancellationToken.None));

        var lost = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 600);
        Assert.Equal(LogLevel.Warning, lost.Level);
        Assert.Equal($"S3 checkpoints s3://flowstate/{prefix}: checkpoint 1 is claimed by another coordinator; this one does not complete it. Two pipelines may be writing to one prefix.", lost.Message);
    }
}
