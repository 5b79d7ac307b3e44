using System.Security.Cryptography;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// A store opened read-only: it sees what the storage holds (a writer may have it open), refuses every write with
/// <see cref="StateRejectedException"/>, and leaves the storage's data byte for byte as it was.
/// </summary>
public abstract class ReadOnlyStoreConformanceTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    /// <summary>A backend over <paramref name="path"/> (a file or a directory, as the backend uses it).</summary>
    protected abstract IStateBackend CreateBackend(string path, bool forReading);

    /// <summary>The files of the storage at <paramref name="path"/> that hold state (not diagnostics).</summary>
    protected virtual IReadOnlyList<string> DataFiles(string path) => [];

    /// <summary>A fingerprint of everything the storage at <paramref name="path"/> holds (default: its data files' hashes).</summary>
    /// <remarks>Empty files are left out: SQLite may create its (empty) side files to read a file in WAL mode.</remarks>
    protected virtual Task<string> FingerprintAsync(string path) => Task.FromResult(string.Join(
        '\n',
        DataFiles(path).Where(file => new FileInfo(file).Length > 0).Order(StringComparer.Ordinal)
            .Select(file => file[path.Length..] + " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))))));

    /// <summary>Whether there is storage at <paramref name="path"/> (default: a file or a directory).</summary>
    protected virtual Task<bool> StorageExistsAsync(string path) => Task.FromResult(File.Exists(path) || Directory.Exists(path));

    public void Dispose()
    {
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_only_store_sees_a_writer_s_state_and_refuses_every_write()
    {
        var path = _directory.File("shared-with-writer");
        await using var writer = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: false) });
        var run = writer.For(StateScope.Workflow("r1"));
        var batch = run.CreateBatch();
        for (var i = 0; i < 10; i++)
        {
            batch.Set("k" + i, i);
        }

        await run.ApplyAsync(batch);
        await run.DeleteAsync("k3");
        await writer.SetAsync("global", "g");
        await writer.For(StateScope.Custom("gone")).SetAsync("x", 1);
        await writer.For(StateScope.Custom("gone")).ClearAsync();

        await using (var reader = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: true) }))
        {
            Assert.True(reader.IsReadOnly);
            Assert.Equal(await StoreSnapshot.TakeAsync(writer), await StoreSnapshot.TakeAsync(reader));
            Assert.Equal(writer.CurrentVersion, reader.CurrentVersion);

            var refused = await Assert.ThrowsAsync<StateRejectedException>(async () => await reader.SetAsync("global", "changed"));
            Assert.Contains("read-only", refused.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<StateRejectedException>(async () => await reader.For(StateScope.Workflow("r1")).DeleteAsync("k1"));
            await Assert.ThrowsAsync<StateRejectedException>(async () => await reader.For(StateScope.Workflow("r1")).ClearAsync());
            await Assert.ThrowsAsync<StateRejectedException>(async () => await reader.ApplyAsync(reader.CreateBatch().Set("a", 1)));
            await Assert.ThrowsAsync<StateRejectedException>(async () => await reader.UpdateAsync<int>("n", n => n + 1));
            Assert.Equal("g", await reader.GetAsync<string>("global"));
        }

        // The writer was never locked out and goes on.
        await writer.SetAsync("global", "after");
        Assert.Equal("after", await writer.GetAsync<string>("global"));
    }

    [Fact]
    public async Task Read_only_store_leaves_the_data_files_as_they_were()
    {
        var path = _directory.File("untouched");
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using (var writer = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: false), TimeProvider = clock }))
        {
            await writer.SetAsync("kept", 1);
            await writer.SetAsync("expiring", 2, new StateWriteOptions { TimeToLive = TimeSpan.FromMinutes(1) });
        }

        var before = await FingerprintAsync(path);
        clock.Advance(TimeSpan.FromMinutes(5));
        await using (var reader = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: true), TimeProvider = clock }))
        {
            // Expired at open: gone from memory, and (read-only) not purged from the storage.
            Assert.False(await reader.ExistsAsync("expiring"));
            Assert.Equal(1, await reader.GetAsync<int>("kept"));
            await Assert.ThrowsAsync<StateRejectedException>(async () => await reader.SetAsync("kept", 3));
        }

        Assert.Equal(before, await FingerprintAsync(path));
    }

    [Fact]
    public async Task Read_only_open_of_missing_storage_fails_and_creates_nothing()
    {
        var path = _directory.File("missing");
        var ex = await Assert.ThrowsAsync<StateBackendException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: true) }));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
        Assert.False(await StorageExistsAsync(path), "a read-only open created the storage");
    }

    [Fact]
    public async Task Read_only_open_refuses_pending_migrations_and_paging()
    {
        var path = _directory.File("migrations");
        await using (var writer = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: false) }))
        {
            await writer.SetAsync("k", 1);
        }

        var options = new StateStoreOptions { Backend = CreateBackend(path, forReading: true) };
        options.Migrations.Add(new NoMigration());
        var ex = await Assert.ThrowsAsync<StateMigrationException>(() => StateStore.OpenAsync(options));
        Assert.Contains("read-only", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: true), MaxEntries = 10 }).GetAwaiter().GetResult());

        await using var writable = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: false) });
        Assert.Equal(0, writable.MigrationVersion);
    }

    private sealed class NoMigration : IStateMigration
    {
        public int Version => 1;

        public ValueTask MigrateAsync(StateStore store, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
