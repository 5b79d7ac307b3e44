using System.Text;
using FlowState.Checkpoints;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Testing;

/// <summary>What every checkpoint storage (a folder, S3) must do: durable data, one manifest per id, listing, deletion.</summary>
public abstract class CheckpointStorageConformanceTests : IAsyncLifetime
{
    /// <summary>A new, empty storage location; two calls with the same <paramref name="location"/> share it.</summary>
    protected abstract ICheckpointStorage CreateStorage(string location);

    /// <summary>A fresh location name for this test.</summary>
    protected string NewLocation() => $"loc-{Guid.NewGuid():N}";

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public virtual async Task Data_files_read_back_as_written()
    {
        var storage = CreateStorage(NewLocation());
        var content = Encoding.UTF8.GetBytes("{\"a\":1}\n");

        await storage.WriteDataAsync("chk-1", "s000-p0000.state", content, CancellationToken.None);

        Assert.Equal(content, await storage.ReadDataAsync("chk-1", "s000-p0000.state", CancellationToken.None));
        Assert.Equal(["chk-1"], await storage.ListDataKeysAsync(CancellationToken.None));
    }

    [Fact]
    public virtual async Task Reading_a_missing_data_file_is_a_CheckpointException()
    {
        var storage = CreateStorage(NewLocation());

        await Assert.ThrowsAsync<CheckpointException>(() => storage.ReadDataAsync("chk-9", "missing.state", CancellationToken.None));
    }

    [Fact]
    public virtual async Task Only_the_first_manifest_of_an_id_is_written()
    {
        var location = NewLocation();
        var first = CreateStorage(location);
        var second = CreateStorage(location);

        Assert.True(await first.TryWriteManifestAsync(7, "first"u8.ToArray(), CancellationToken.None));
        Assert.False(await second.TryWriteManifestAsync(7, "second"u8.ToArray(), CancellationToken.None));

        Assert.Equal("first"u8.ToArray(), await second.ReadManifestAsync(7, CancellationToken.None));
    }

    [Fact]
    public virtual async Task Of_coordinators_racing_for_one_id_exactly_one_wins()
    {
        var location = NewLocation();
        var storages = Enumerable.Range(0, 8).Select(_ => CreateStorage(location)).ToList();

        var wins = await Task.WhenAll(storages.Select((s, i) => Task.Run(() => s.TryWriteManifestAsync(3, Encoding.UTF8.GetBytes($"writer {i}"), CancellationToken.None))));

        Assert.Single(wins, won => won);
        var winner = Array.IndexOf(wins, true);
        Assert.Equal($"writer {winner}", Encoding.UTF8.GetString((await storages[0].ReadManifestAsync(3, CancellationToken.None))!));
    }

    [Fact]
    public virtual async Task Checkpoint_ids_are_listed_in_order_and_the_highest_claim_is_known()
    {
        var storage = CreateStorage(NewLocation());
        foreach (var id in new long[] { 12, 3, 100, 7 })
        {
            await storage.TryWriteManifestAsync(id, "m"u8.ToArray(), CancellationToken.None);
        }

        Assert.Equal([3L, 7, 12, 100], await storage.ListCheckpointIdsAsync(CancellationToken.None));
        Assert.Equal(100, await storage.GetHighestClaimedIdAsync(CancellationToken.None));
        Assert.Null(await storage.ReadManifestAsync(4, CancellationToken.None));
    }

    [Fact]
    public virtual async Task Complete_checkpoints_are_read_back_oldest_first_without_a_pipeline()
    {
        var storage = CreateStorage(NewLocation());
        foreach (var id in new long[] { 2, 1, 3 })
        {
            await storage.TryWriteManifestAsync(id, CheckpointManifestCodec.Encode(Manifest(id)), CancellationToken.None);
        }

        await storage.DeleteManifestAsync(2, CancellationToken.None);
        await storage.TryWriteManifestAsync(4, "not a manifest"u8.ToArray(), CancellationToken.None);

        await Assert.ThrowsAsync<StateCorruptedException>(() => storage.ListCheckpointsAsync());
        await storage.DeleteManifestAsync(4, CancellationToken.None);
        var listed = await storage.ListCheckpointsAsync();

        Assert.Equal([1L, 3L], listed.Select(m => m.Id));
        Assert.All(listed, m => Assert.Equal("orders", m.PipelineName));
    }

    private static CheckpointManifest Manifest(long id) => new()
    {
        Id = id,
        PipelineName = "orders",
        CreatedAt = new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero).AddMinutes(id),
        Incremental = false,
        BaseId = id,
        ChainLength = 1,
        PartitionCount = 2,
        Processors = ["counts"],
        DataKey = $"data-{id}",
        Files = [],
        SourceOffsets = new Dictionary<string, string?> { ["events"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        SinkTransactions = new Dictionary<string, IReadOnlyList<string>>(),
        DurationMilliseconds = 1,
    };

    [Fact]
    public virtual async Task Deleting_a_checkpoint_removes_its_manifest_and_data()
    {
        var storage = CreateStorage(NewLocation());
        await storage.WriteDataAsync("chk-5", "a.state", "x"u8.ToArray(), CancellationToken.None);
        await storage.TryWriteManifestAsync(5, "m"u8.ToArray(), CancellationToken.None);

        await storage.DeleteManifestAsync(5, CancellationToken.None);
        await storage.DeleteDataAsync("chk-5", CancellationToken.None);

        Assert.Empty(await storage.ListCheckpointIdsAsync(CancellationToken.None));
        Assert.Empty(await storage.ListDataKeysAsync(CancellationToken.None));
        Assert.Null(await storage.ReadManifestAsync(5, CancellationToken.None));
    }
}
