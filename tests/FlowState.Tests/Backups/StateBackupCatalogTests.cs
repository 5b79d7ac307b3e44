using FlowState.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FlowState.Tests.Backups;

public sealed class StateBackupCatalogTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    private string CatalogPath => _folder.File("catalog");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Retention_keeps_the_newest_backups_and_every_backup_their_chain_needs()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var store = NewStore();
        for (var i = 1; i <= 5; i++)
        {
            await store.SetAsync("k", i);
            await catalog.CreateAsync(store, i == 4 ? StateBackupKind.Full : null);
        }

        var dryRun = await catalog.PruneAsync(new StateBackupRetention { KeepLast = 2 }, dryRun: true);
        Assert.Equal([1L, 2L, 3L], dryRun.Removed.Select(record => record.Id));
        Assert.Equal(5, (await catalog.ListAsync()).Count);

        // Keeping the newest three keeps 3, whose chain needs 2 and 1.
        var chained = await catalog.PruneAsync(new StateBackupRetention { KeepLast = 3 });
        Assert.Empty(chained.Removed);

        var pruned = await catalog.PruneAsync(new StateBackupRetention { KeepLast = 1 });
        Assert.Equal([1L, 2L, 3L], pruned.Removed.Select(record => record.Id));
        Assert.Equal([4L, 5L], (await catalog.ListAsync()).Select(record => record.Id));
        Assert.Equal(["000004.backup.jsonl", "000004.keys", "000005.backup.jsonl", "catalog.json", "catalog.lock"],
            Directory.GetFiles(CatalogPath).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        await catalog.RestoreAsync(store, StateRestorePoint.Backup(4), backUpCurrentState: false);
        Assert.Equal(4, await store.GetAsync<int>("k"));
    }

    [Fact]
    public async Task Retention_by_age_removes_what_is_older_but_never_the_newest()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var store = NewStore();
        await store.SetAsync("k", 1);
        await catalog.CreateAsync(store, StateBackupKind.Full);
        _clock.Advance(TimeSpan.FromDays(3));
        await catalog.CreateAsync(store, StateBackupKind.Full);
        _clock.Advance(TimeSpan.FromDays(3));

        var result = await catalog.PruneAsync(new StateBackupRetention { KeepFor = TimeSpan.FromDays(4) });

        Assert.Equal([1L], result.Removed.Select(record => record.Id));
        Assert.Equal([2L], result.Kept.Select(record => record.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => catalog.PruneAsync(new StateBackupRetention()));
        await Assert.ThrowsAsync<ArgumentException>(() => catalog.PruneAsync(new StateBackupRetention { KeepLast = 0 }));
    }

    [Fact]
    public async Task Verify_finds_a_changed_byte_and_the_incremental_backups_built_on_it_and_restore_refuses_them()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var store = NewStore();
        for (var i = 1; i <= 3; i++)
        {
            await store.SetAsync("k" + i, i);
            await catalog.CreateAsync(store);
        }

        var file = Path.Combine(CatalogPath, "000002.backup.jsonl");
        var bytes = await File.ReadAllBytesAsync(file);
        var at = Array.LastIndexOf(bytes, (byte)'2', bytes.Length - 80);
        bytes[at] = (byte)'7';
        await File.WriteAllBytesAsync(file, bytes);
        await store.SetAsync("after", true);

        var checks = await catalog.VerifyAsync();
        var error = await Assert.ThrowsAsync<StateCorruptedException>(() => catalog.RestoreAsync(store, StateRestorePoint.Latest));

        Assert.Equal([true, false, false], checks.Select(check => check.Intact));
        Assert.Contains("SHA-256", checks[1].Problem, StringComparison.Ordinal);
        Assert.Contains("based on backup 2, which is not intact", checks[2].Problem, StringComparison.Ordinal);
        Assert.Contains("Backup 2", error.Message, StringComparison.Ordinal);
        Assert.True(await store.GetAsync<bool>("after"));
        Assert.Equal(3, (await catalog.ListAsync()).Count); // no safety backup: nothing is done before the chain is read whole
    }

    [Fact]
    public async Task An_incremental_backup_needs_a_base_of_the_same_store_with_its_key_list()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var first = NewStore("first");
        await using var second = NewStore("second");
        await first.SetAsync("k", 1);

        var empty = await Assert.ThrowsAsync<StateBackupException>(() => catalog.CreateAsync(first, StateBackupKind.Incremental));
        await catalog.CreateAsync(first);
        var other = await Assert.ThrowsAsync<StateBackupException>(() => catalog.CreateAsync(second, StateBackupKind.Incremental));
        var automatic = await catalog.CreateAsync(second);
        File.Delete(Path.Combine(CatalogPath, "000002.keys"));
        var noKeys = await Assert.ThrowsAsync<StateBackupException>(() => catalog.CreateAsync(second, StateBackupKind.Incremental));

        Assert.Contains("holds no backup to base it on", empty.Message, StringComparison.Ordinal);
        Assert.Contains("not of this store", other.Message, StringComparison.Ordinal);
        Assert.Contains("Take a full backup", other.Message, StringComparison.Ordinal);
        Assert.Equal(StateBackupKind.Full, automatic.Kind);
        Assert.Contains("cannot be read", noKeys.Message, StringComparison.Ordinal);
        Assert.Equal(StateBackupKind.Full, (await catalog.CreateAsync(second)).Kind);
    }

    [Fact]
    public async Task A_restore_to_a_time_brings_back_the_newest_backup_taken_by_then()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var store = NewStore();
        var start = _clock.GetUtcNow();
        for (var i = 1; i <= 3; i++)
        {
            await store.SetAsync("k", i);
            await catalog.CreateAsync(store);
            _clock.Advance(TimeSpan.FromHours(1));
        }

        var plan = await catalog.PlanRestoreAsync(store, StateRestorePoint.AtTime(start.AddMinutes(90)));
        var before = await Assert.ThrowsAsync<StateBackupException>(() => catalog.PlanRestoreAsync(store, StateRestorePoint.AtTime(start.AddMinutes(-1))));
        var unknown = await Assert.ThrowsAsync<StateBackupException>(() => catalog.PlanRestoreAsync(store, StateRestorePoint.Backup(9)));
        await catalog.RestoreAsync(store, StateRestorePoint.AtTime(start.AddMinutes(90)));

        Assert.Equal(2, plan.Backup.Id);
        Assert.Equal(2, await store.GetAsync<int>("k"));
        Assert.Contains("the earliest is backup 1", before.Message, StringComparison.Ordinal);
        Assert.Contains("holds backups 1, 2, 3", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expiry_is_kept_renewals_by_reads_are_in_the_next_incremental_and_expired_keys_are_deletions()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var store = NewStore();
        await store.SetAsync("sliding", 1, new StateWriteOptions { TimeToLive = TimeSpan.FromMinutes(10), SlidingExpiration = true });
        await store.SetAsync("fixed", 1, new StateWriteOptions { TimeToLive = TimeSpan.FromMinutes(5) });
        await store.SetAsync("forever", 1);
        await catalog.CreateAsync(store);
        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(1, await store.GetAsync<int>("sliding")); // renewed: expires at minute 16

        var second = await catalog.CreateAsync(store);
        await using var restored = NewStore("restored");
        await catalog.RestoreAsync(restored, StateRestorePoint.Latest, backUpCurrentState: false);
        var sliding = await restored.GetEntryAsync("sliding");

        Assert.Equal((1L, 1L), (second.Entries, second.Deletions)); // the renewed entry; "fixed" expired
        Assert.False(await restored.ExistsAsync("fixed"));
        Assert.Equal(1, await restored.GetAsync<int>("forever"));
        Assert.Equal(_clock.GetUtcNow().AddMinutes(10), sliding!.ExpiresAt);
    }

    [Fact]
    public async Task A_catalog_held_by_another_operation_is_refused_with_the_way_out()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var store = NewStore();
        await catalog.CreateAsync(store);

        using (new FileStream(Path.Combine(CatalogPath, "catalog.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var error = await Assert.ThrowsAsync<StateBackupException>(() => catalog.CreateAsync(store));
            Assert.Contains("is in use by another backup, restore, verify or prune (", error.Message, StringComparison.Ordinal);
            Assert.Contains("try again when it ends", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2, (await catalog.CreateAsync(store)).Id);
    }

    [Fact]
    public async Task What_a_killed_operation_left_is_removed_by_the_next_and_a_damaged_catalog_is_refused()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var store = NewStore();
        await catalog.CreateAsync(store);
        await File.WriteAllTextAsync(Path.Combine(CatalogPath, "000002.backup.jsonl"), "a backup renamed into place, its catalog never written");
        await File.WriteAllTextAsync(Path.Combine(CatalogPath, "catalog.json.tmp-0123"), "{");
        await File.WriteAllTextAsync(Path.Combine(CatalogPath, "notes.txt"), "not ours");

        var next = await catalog.CreateAsync(store);
        Assert.Equal(2, next.Id);
        Assert.All(await catalog.VerifyAsync(), check => Assert.True(check.Intact, check.Problem));
        Assert.False(File.Exists(Path.Combine(CatalogPath, "catalog.json.tmp-0123")));
        Assert.True(File.Exists(Path.Combine(CatalogPath, "notes.txt")));

        await File.WriteAllTextAsync(Path.Combine(CatalogPath, "catalog.json"), "{\"format\":");
        var damaged = await Assert.ThrowsAsync<StateCorruptedException>(() => catalog.ListAsync());
        Assert.Contains("is damaged", damaged.Message, StringComparison.Ordinal);
        var none = await Assert.ThrowsAsync<StateBackupException>(() => new StateBackupCatalog(_folder.File("empty")).RestoreAsync(store, StateRestorePoint.Latest));
        Assert.Contains("holds no backup to restore", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_whose_base_left_the_catalog_is_reported_refused_and_followed_by_a_full_backup()
    {
        var catalog = new StateBackupCatalog(CatalogPath, _clock);
        await using var store = NewStore();
        await store.SetAsync("k", 1);
        await catalog.CreateAsync(store);
        await store.SetAsync("k", 2);
        await catalog.CreateAsync(store);

        // The full backup's record removed by hand: the incremental one is left without its base.
        var file = Path.Combine(CatalogPath, StateBackupCatalog.CatalogFileName);
        var document = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        document["backups"]!.AsArray().RemoveAt(0);
        await File.WriteAllTextAsync(file, document.ToJsonString());

        var check = Assert.Single(await catalog.VerifyAsync());
        var refused = await Assert.ThrowsAsync<StateCorruptedException>(() => catalog.RestoreAsync(store, StateRestorePoint.Latest));
        var next = await catalog.CreateAsync(store);

        Assert.False(check.Intact);
        Assert.Contains("based on backup 1, which the catalog no longer holds", check.Problem, StringComparison.Ordinal);
        Assert.Contains("chain needs backup 1", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, await store.GetAsync<int>("k"));
        Assert.Equal(StateBackupKind.Full, next.Kind);
    }

    [Fact]
    public async Task A_write_racing_a_restore_fails_it_with_a_conflict_and_nothing_is_restored()
    {
        var clock = new ClockThatWritesOnce(_clock.GetUtcNow());
        var catalog = new StateBackupCatalog(CatalogPath, clock);
        await using var store = NewStore();
        await store.SetAsync("k", 1);
        await catalog.CreateAsync(store);
        await store.SetAsync("k", 2);

        // The catalog reads its clock while it takes the safety backup: after the comparison, before the batch.
        clock.Then(() => store.SetAsync("k", 3));
        var error = await Assert.ThrowsAsync<StateConflictException>(() => catalog.RestoreAsync(store, StateRestorePoint.Backup(1)));

        Assert.Contains("nothing was restored", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, await store.GetAsync<int>("k"));
        Assert.Equal("before restoring backup 1", (await catalog.ListAsync())[^1].Label);
    }

    private StateStore NewStore(string name = "catalog-test") => new(new StateStoreOptions { Name = name, TimeProvider = _clock });

    /// <summary>A clock that, the next time it is read, first makes a write (what another writer would do at that moment).</summary>
    private sealed class ClockThatWritesOnce(DateTimeOffset now) : TimeProvider
    {
        private Func<ValueTask<long>>? _write;

        public void Then(Func<ValueTask<long>> write) => _write = write;

        public override DateTimeOffset GetUtcNow()
        {
            if (Interlocked.Exchange(ref _write, null) is { } write)
            {
                var written = write();
                Assert.True(written.IsCompletedSuccessfully, "an in-memory write completes at once");
            }

            return now;
        }
    }
}
