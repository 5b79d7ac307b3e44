using FlowState.Conformance;
using FlowState.Sqlite;
using Xunit;

namespace FlowState.RocksDb.Tests;

/// <summary>An export from a SQLite store imported into a RocksDB store, each on real files, both reopened.</summary>
public sealed class CrossBackendExportTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Sqlite_export_imports_into_rocksdb_and_survives_a_reopen()
    {
        var sqlitePath = _directory.File("source.db");
        var export = _directory.File("state.jsonl");
        await using (var sqlite = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(sqlitePath), Durability = Durability.Machine }))
        {
            var run = sqlite.For(StateScope.Workflow("run_7"));
            await run.ApplyAsync(run.CreateBatch().Set("status", "done").Set("words", 1234));
            await sqlite.For(StateScope.Step("run_7", "count")).SetAsync("cursor", new { file = "notes.md", line = 12 });
            await sqlite.SetAsync("documents-processed", 3);
            await using var file = File.Create(export);
            Assert.Equal(4, await sqlite.ExportAsync(file));
        }

        var rocksPath = _directory.File("target.rocksdb");
        await using (var rocks = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(rocksPath) }))
        {
            await using var file = File.OpenRead(export);
            Assert.Equal(4, await rocks.ImportAsync(file));
        }

        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(rocksPath) });
        Assert.Equal("done", await reopened.For(StateScope.Workflow("run_7")).GetAsync<string>("status"));
        Assert.Equal(1234, await reopened.For(StateScope.Workflow("run_7")).GetAsync<int>("words"));
        Assert.Equal("""{"file":"notes.md","line":12}""", (await reopened.For(StateScope.Step("run_7", "count")).GetEntryAsync("cursor"))!.ToString());
        Assert.Equal(3, await reopened.GetAsync<int>("documents-processed"));
        Assert.Equal(4, await reopened.CountAsync());
    }
}
