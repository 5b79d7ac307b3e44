using FlowState.Checkpoints;
using FlowState.Conformance;
using Xunit;

namespace FlowState.S3.Tests;

/// <summary>The checkpoint storage suite on a real S3 API server (s3rver).</summary>
[Collection(SharedS3rverServer.Name)]
public sealed class S3CheckpointStorageConformanceTests(S3rverServer server) : CheckpointStorageConformanceTests
{
    private readonly List<S3CheckpointStorage> _storages = [];

    protected override ICheckpointStorage CreateStorage(string location)
    {
        var storage = new S3CheckpointStorage(server.Options($"tests/{location}/"));
        _storages.Add(storage);
        return storage;
    }

    public override Task DisposeAsync()
    {
        _storages.ForEach(s => s.Dispose());
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("../outside/")]
    [InlineData("tests/../../etc/")]
    [InlineData("tests/./x/")]
    [InlineData("/absolute/")]
    [InlineData("a//b/")]
    [InlineData("back\\slash/")]
    public void A_prefix_that_could_leave_its_folder_on_a_server_that_keeps_objects_as_files_is_refused(string prefix)
    {
        var error = Assert.Throws<ArgumentException>(() => new S3CheckpointStorage(server.Options(prefix)));

        Assert.Contains($"The S3 prefix '{prefix}' is not valid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_coordinator_that_crashed_while_claiming_does_not_block_others_forever()
    {
        var location = NewLocation();
        var options = server.Options($"tests/{location}/");
        options.ClaimTimeout = TimeSpan.FromMilliseconds(300);
        using var storage = new S3CheckpointStorage(options);
        using var client = server.CreateClient();
        // A "choosing" announcement left by a process that died before it claimed.
        await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
        {
            BucketName = "flowstate",
            Key = $"tests/{location}/choosing/0000000000000000001/{DateTime.UtcNow.Ticks:D19}-dead",
            ContentBody = string.Empty,
            UseChunkEncoding = false,
        });

        Assert.True(await storage.TryWriteManifestAsync(1, "m"u8.ToArray(), CancellationToken.None));
    }
}
