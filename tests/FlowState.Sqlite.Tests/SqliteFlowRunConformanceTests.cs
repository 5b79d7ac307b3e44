using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The flow suite on stores backed by real SQLite files (progress recorded at every step).</summary>
public sealed class SqliteFlowRunConformanceTests : FlowRunConformanceTests
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
