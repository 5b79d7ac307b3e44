using FlowState.Conformance;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>The shared-store conformance suite on a real Redis Cluster of three masters, worker processes included.</summary>
public sealed class RedisClusterSharedStateStoreConformanceTests(RedisClusterServer cluster) : SharedStateStoreWorkerConformanceTests, IClassFixture<RedisClusterServer>
{
    protected override ISharedStateBackend CreateBackend(string name) =>
        new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = cluster.Configuration, KeyPrefix = name });

    protected override string HarnessServer => $"redis:{cluster.Configuration}";

    protected override bool CommitsMaySpanTopLevelScopes => false;

    [Fact(Skip = "Needs commits across top-level scopes: the crash flow's posts count themselves in global state in the same commit as the run's step, and on Redis Cluster the global scope and the run are different hash slots. The refusal is checked by A_batch_across_top_level_scopes_commits_atomically_or_is_refused_with_nothing_written; the lease tests above run here.")]
    public override Task A_killed_workers_flow_run_is_resumed_by_another_worker_and_every_post_takes_effect_once() => Task.CompletedTask;

    [Fact]
    public async Task A_change_stream_asked_for_on_Cluster_is_refused_and_without_one_the_feed_works_live()
    {
        var refused = await Assert.ThrowsAsync<StateBackendException>(() => SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = cluster.Configuration, KeyPrefix = "cluster-stream", ChangeRetention = 100 }),
        }));
        Assert.Contains("Leave ChangeRetention unset (or 0) on Cluster", refused.Message, StringComparison.Ordinal);

        await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = CreateBackend("cluster-live") });
        await using var watch = store.WatchAsync().GetAsyncEnumerator();
        var next = watch.MoveNextAsync();
        await store.For(StateScope.Workflow("run")).SetAsync("k", 1);
        Assert.True(await next.AsTask().WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal("k", watch.Current.Key);
    }
}
