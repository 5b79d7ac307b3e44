using FlowState;
using FlowState.Testing;

namespace JsonFileBackend.Tests;

/// <summary>The kit's durability suite: what a store over the JSON file keeps across a close and a reopen, and backups.</summary>
public sealed class JsonFileDurableStateStoreConformanceTests : DurableStateStoreConformanceTests
{
    private readonly TemporaryDirectory _directory = new();

    protected override IStateBackend CreateBackend(string storage) => new JsonFileStateBackend(_directory.File(storage + ".json"));

    protected override IStateBackend CreateBackendAt(string path) => new JsonFileStateBackend(path);

    protected override string BackupPath(string name) => _directory.File(name + ".backup.json");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
