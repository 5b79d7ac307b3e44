using FlowState.Checkpoints;
using FlowState.Conformance;

namespace FlowState.Tests;

/// <summary>The checkpoint storage suite on a local folder.</summary>
public sealed class DirectoryCheckpointStorageConformanceTests : CheckpointStorageConformanceTests
{
    private readonly TemporaryDirectory _directory = new();

    protected override ICheckpointStorage CreateStorage(string location) => new DirectoryCheckpointStorage(_directory.File(location));

    public override Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_leftover_temporary_file_is_not_a_manifest()
    {
        var storage = new DirectoryCheckpointStorage(_directory.File("leftover"));
        await File.WriteAllTextAsync(Path.Combine(storage.Directory, "manifests", "0000000000000000009.json.tmp-abc"), "{");

        Assert.Empty(await storage.ListCheckpointIdsAsync(CancellationToken.None));
    }
}
