using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// Group commit on a real SQLite file: a writer's call returns once its own group is written, not after the groups
/// queued behind it, and those commits share one transaction; many writers at once each get their commit written.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_writer_returns_once_its_own_group_is_written_and_the_commits_queued_behind_it_follow_in_one_group()
    {
        var backend = new GatedWritesBackend(new SqliteStateBackend(_directory.File("turn.db")));
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = Durability.Machine });
        var scope = store.For(StateScope.Workflow("turn"));
        backend.Holding = true;

        var first = scope.SetAsync("a", 1).AsTask();
        Assert.Equal(["a"], await backend.NextHeldAsync(Timeout));
        var behind = new[] { scope.SetAsync("b", 2).AsTask(), scope.SetAsync("c", 3).AsTask() };
        backend.ReleaseNext();

        await first.WaitAsync(Timeout);
        Assert.Equal(["b", "c"], (await backend.NextHeldAsync(Timeout)).Order());
        Assert.All(behind, set => Assert.False(set.IsCompleted));
        backend.ReleaseNext();
        await Task.WhenAll(behind).WaitAsync(Timeout);
    }

    [Fact]
    public async Task Many_writers_at_once_each_have_their_commit_written_and_a_reopened_store_holds_every_value()
    {
        const int Writers = 16;
        const int Sets = 300;
        var path = _directory.File("many.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path), Durability = Durability.Process }))
        {
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                var scope = store.For(StateScope.Workflow($"w{w}"));
                for (var i = 1; i <= Sets; i++)
                {
                    await scope.SetAsync("n", i);
                    await scope.SetAsync($"k{i % 7}", i);
                }
            }));
            await Task.WhenAll(writers).WaitAsync(Timeout);
            Assert.Equal(Writers * Sets * 2, store.GroupCommitStatistics.Commits);
        }

        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) });
        for (var w = 0; w < Writers; w++)
        {
            var scope = reopened.For(StateScope.Workflow($"w{w}"));
            Assert.Equal(Sets, await scope.GetAsync<int>("n"));
            for (var k = 0; k < 7; k++)
            {
                Assert.Equal(Sets - (((Sets - k) % 7) + 7) % 7, await scope.GetAsync<int>($"k{k}"));
            }
        }
    }
}
