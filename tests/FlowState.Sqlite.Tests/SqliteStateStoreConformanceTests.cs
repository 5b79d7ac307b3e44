using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The shared conformance suite on a store backed by a real SQLite file (a new file per store).</summary>
public sealed class SqliteStateStoreConformanceTests : StateStoreConformanceTests
{
    private readonly TemporaryDirectory _directory = new();
    private int _files;

    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new SqliteStateBackend(_directory.File($"store-{Interlocked.Increment(ref _files)}.db"));
        return StateStore.OpenAsync(options).GetAwaiter().GetResult();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
