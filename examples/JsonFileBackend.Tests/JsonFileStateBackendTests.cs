using FlowState;
using FlowState.Testing;
using JsonFileBackend;
using Xunit;

namespace JsonFileBackend.Tests;

/// <summary>What the kit cannot know about this backend: its file, and what it does with a damaged one.</summary>
public sealed class JsonFileStateBackendTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_damaged_file_is_refused_with_its_path_and_left_as_it_was()
    {
        var path = _directory.File("state.json");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new JsonFileStateBackend(path) }))
        {
            await store.SetAsync("kept", 1);
        }

        var damaged = (await File.ReadAllBytesAsync(path))[..^7];
        await File.WriteAllBytesAsync(path, damaged);

        var error = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new JsonFileStateBackend(path) }));
        Assert.Equal(Path.GetFullPath(path), error.Location);
        Assert.Contains("Restore it from a backup", error.Message, StringComparison.Ordinal);
        Assert.Equal(damaged, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_file_left_half_written_by_a_crash_is_ignored_and_removed()
    {
        var path = _directory.File("state.json");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new JsonFileStateBackend(path), Durability = Durability.Machine }))
        {
            await store.SetAsync("kept", 1);
        }

        await File.WriteAllTextAsync(path + ".tmp", """{"format":"flowstate-example-json-file/1","entries":[{"sco""");

        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new JsonFileStateBackend(path) });
        Assert.Equal(1, await reopened.GetAsync<int>("kept"));
        Assert.False(File.Exists(path + ".tmp"));
    }
}
