using System.Globalization;
using System.Security.Cryptography;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// Backups on embedded backends are complete or absent: written under a temporary name, stamped with a completion
/// record, fsynced and renamed. A real kill -9 of a child process taking a backup never leaves a file or folder under
/// the backup's name that is not complete; verifying a backup reads it without writing to it and refuses a store, a
/// foreign file or a damaged copy with <see cref="StateCorruptedException"/>.
/// </summary>
public abstract class BackupFileConformanceTests : CrashTestBase
{
    /// <summary>Checks a backup (the backend's <c>VerifyBackup</c>).</summary>
    protected abstract StateBackupInfo VerifyBackup(string path);

    /// <summary>A backend over <paramref name="path"/> whose backups take their time from <paramref name="time"/>.</summary>
    protected abstract IStateBackend CreateBackend(string path, TimeProvider time);

    /// <summary>Damages a complete backup at <paramref name="path"/> the way a torn copy would (a file cut short).</summary>
    protected abstract void CutShort(string path);

    private async Task<string> FillAsync(string name, int entries)
    {
        var path = Directory.File(name);
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
        var padding = new string('x', 900);
        for (var start = 0; start < entries; start += 2000)
        {
            var batch = store.CreateBatch();
            for (var i = start; i < Math.Min(entries, start + 2000); i++)
            {
                batch.Set($"k{i}", new { i, padding });
            }

            await store.ApplyAsync(batch);
        }

        return path;
    }

    [Fact]
    public async Task A_backup_records_when_it_completed_and_what_it_copied()
    {
        var source = await FillAsync("source", 300);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2031, 3, 4, 5, 6, 7, 890, TimeSpan.Zero));
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(source, clock) }))
        {
            await store.BackupAsync(Directory.File("b"));
        }

        var info = VerifyBackup(Directory.File("b"));

        Assert.Equal(clock.GetUtcNow(), info.CompletedAt);
        Assert.Equal(Path.GetFullPath(source), Path.GetFullPath(info.Source));
        Assert.True(info.Entries is null or 300, $"{info.Entries} rows recorded for 300 entries");
        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(Directory.File("b")) });
        Assert.Equal(300, await reopened.CountAsync());
    }

    [Fact]
    public async Task A_store_is_not_a_backup_and_verifying_it_changes_nothing()
    {
        var source = await FillAsync("plain", 10);
        var before = Hash(source);

        var error = Assert.Throws<StateCorruptedException>(() => VerifyBackup(source));

        Assert.Contains("is not a complete FlowState backup", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a backup", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Hash(source));
    }

    [Fact]
    public async Task A_backup_cut_short_is_refused()
    {
        var source = await FillAsync("cut", 500);
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(source) }))
        {
            await store.BackupAsync(Directory.File("cut-backup"));
        }

        CutShort(Directory.File("cut-backup"));
        var before = Hash(Directory.File("cut-backup"));

        Assert.Throws<StateCorruptedException>(() => VerifyBackup(Directory.File("cut-backup")));
        Assert.Equal(before, Hash(Directory.File("cut-backup")));
    }

    [Fact]
    public async Task A_killed_backup_leaves_nothing_under_its_name_or_a_complete_backup()
    {
        var source = await FillAsync("big", 20_000);
        var random = new Random(20261205);
        var complete = 0;
        var absent = 0;
        for (var kill = 0; kill < Math.Max(5, Kills / 2); kill++)
        {
            var destination = Directory.File($"killed-{kill}");
            using (var harness = await CrashHarnessProcess.StartAsync(HarnessBackend, source, "backup", destination))
            {
                await Task.Delay(random.Next(0, 600));
                await harness.KillAsync();
            }

            if (File.Exists(destination) || System.IO.Directory.Exists(destination))
            {
                var info = VerifyBackup(destination);
                Assert.True(info.Entries is null or 20_000, $"kill {kill}: {info.Entries} rows");
                complete++;
            }
            else
            {
                absent++;
            }
        }

        Assert.True(absent + complete > 0);
    }

    private static string Hash(string path)
    {
        var files = File.Exists(path) ? [path] : System.IO.Directory.GetFiles(path).Order(StringComparer.Ordinal).ToArray();
        using var sha = SHA256.Create();
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }

        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!) + files.Length.ToString(CultureInfo.InvariantCulture);
    }
}
