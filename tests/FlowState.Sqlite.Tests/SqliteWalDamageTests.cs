using System.Buffers.Binary;
using FlowState.Conformance;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// A damaged write-ahead log: SQLite replays it up to the first bad frame and drops the rest without a word, so
/// FlowState reads the log first and refuses to open an older state that lost acknowledged commits.
/// </summary>
public sealed class SqliteWalDamageTests : IDisposable
{
    private const int Commits = 30;

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_log_damaged_before_its_last_commits_is_refused_as_corrupted()
    {
        var (copy, commitFrames, frameSize) = await CrashedImageAsync("middle");
        // Inside the transaction after the fifth commit: every later one would be dropped.
        FlipByte(copy + "-wal", 32 + ((commitFrames[4] + 1) * frameSize) + 24 + 100);
        var dropped = commitFrames.Count - 5;

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(copy) }));
        Assert.Contains(copy + "-wal", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"would drop the {dropped} commits", ex.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(copy + "-wal"), "the damaged log must be left as it was");
    }

    [Fact]
    public async Task A_log_with_a_damaged_header_is_refused_as_corrupted()
    {
        var (copy, _, _) = await CrashedImageAsync("header");
        FlipByte(copy + "-wal", 17);

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(copy) }));
        Assert.Contains("damaged header", ex.Message, StringComparison.Ordinal);
        Assert.Equal(copy + "-wal", ex.Location);
    }

    [Fact]
    public async Task Damage_inside_the_last_transaction_alone_opens_the_state_before_it()
    {
        var (copy, commitFrames, frameSize) = await CrashedImageAsync("last");
        FlipByte(copy + "-wal", 32 + ((commitFrames[^2] + 1) * frameSize) + 24 + 100);

        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(copy) });
        Assert.Equal(Commits - 2, await store.GetAsync<int>("k" + (Commits - 2)));
        Assert.False(await store.ExistsAsync("k" + (Commits - 1)));
    }

    [Fact]
    public async Task A_commit_lost_from_the_wal_comes_back_from_the_log()
    {
        var (copy, commitFrames, frameSize) = await CrashedImageAsync("relog", withLog: true);
        FlipByte(copy + "-wal", 32 + ((commitFrames[^2] + 1) * frameSize) + 24 + 100);

        // SQLite drops the last fold; its record is still in FlowState's log, numbered after the fold before it.
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(copy) });
        Assert.Equal(Commits - 1, await store.GetAsync<int>("k" + (Commits - 1)));
        Assert.Equal(Commits, await store.CountAsync());
    }

    [Fact]
    public async Task An_undamaged_log_of_a_crashed_store_opens_whole()
    {
        var (copy, _, _) = await CrashedImageAsync("whole");

        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(copy) });
        Assert.Equal(Commits, await store.CountAsync());
    }

    [Fact]
    public async Task A_log_cut_short_at_a_commit_is_refused_by_the_high_water_mark()
    {
        var (copy, commitFrames, frameSize) = await CrashedImageAsync("cut", withMark: true);
        // A clean cut after the fifth commit: the log itself cannot tell, only the mark beside the file can.
        using (var wal = new FileStream(copy + "-wal", FileMode.Open, FileAccess.ReadWrite))
        {
            wal.SetLength(32 + ((commitFrames[4] + 1) * frameSize));
        }

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(copy) }));
        Assert.Contains("came back older", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"acknowledged version {Commits}", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A copy of a store's files taken while it is open after <see cref="Commits"/> commits, all in its log (with its
    /// high-water mark when <paramref name="withMark"/>: the copy then stands for the store itself after a crash).
    /// </summary>
    private async Task<(string Copy, List<long> CommitFrames, int FrameSize)> CrashedImageAsync(string name, bool withMark = false, bool withLog = false)
    {
        var path = _directory.File(name + ".db");
        var copy = _directory.File(name + "-copy.db");
        var backend = new SqliteStateBackend(path);
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = Durability.Machine }))
        {
            for (var i = 0; i < Commits; i++)
            {
                await store.SetAsync("k" + i, i);

                // Commits go to FlowState's own log first: a fold per commit makes each one a SQLite commit.
                backend.FoldAll();
            }

            // FlowState's own log files only when asked: every commit was folded, and the records they still hold bring
            // back the commits that damage to SQLite's WAL takes away (A_commit_lost_from_the_wal_comes_back_from_the_log).
            SqliteCorruptionTests.CopyFiles(path, copy, withLog);

            if (withMark)
            {
                File.Copy(path + ".flowstate-mark", copy + ".flowstate-mark");
            }
        }

        var wal = await File.ReadAllBytesAsync(copy + "-wal");
        var frameSize = 24 + (int)BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(8));
        var commitFrames = new List<long>();
        for (long frame = 0; 32 + ((frame + 1) * frameSize) <= wal.Length; frame++)
        {
            if (BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan((int)(32 + (frame * frameSize) + 4))) != 0)
            {
                commitFrames.Add(frame);
            }
        }

        Assert.True(commitFrames.Count >= Commits, $"the log holds {commitFrames.Count} commits, not the {Commits} made (was it checkpointed?)");
        return (copy, commitFrames, frameSize);
    }

    private static void FlipByte(string file, long position)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = position;
        var b = stream.ReadByte();
        stream.Position = position;
        stream.WriteByte((byte)(b ^ 0x5A));
    }
}
