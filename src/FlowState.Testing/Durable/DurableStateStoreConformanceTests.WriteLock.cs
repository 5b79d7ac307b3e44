using System.Collections.Concurrent;
using System.Text;
using Xunit;

namespace FlowState.Testing;

/// <summary>
/// The store never reads its backend under the write lock: a read held at a gate (a slow disk, a PostgreSQL round
/// trip) stalls only the operation that needs it, never writers or readers of other keys.
/// </summary>
public abstract partial class DurableStateStoreConformanceTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public virtual async Task A_merge_waiting_for_a_paged_out_value_stalls_no_writer_or_reader_of_other_keys()
    {
        var (store, backend) = await OpenGatedAsync("gated-merge", Durability.Process, onEvicted: null);
        await using (store)
        {
            backend.Close();
            var merge = Task.Run(() => store.MergeAsync("doc", new { b = 2 }).AsTask());
            try
            {
                await backend.ReadWaiting.Task.WaitAsync(Generous);
                await Task.Run(() => store.SetAsync("other", 1).AsTask()).WaitAsync(Generous);
                Assert.Equal(1, await Task.Run(() => store.GetAsync<int>("other").AsTask()).WaitAsync(Generous));
                Assert.Equal(4, await Task.Run(() => store.GetAsync<int>("filler4").AsTask()).WaitAsync(Generous));
                Assert.False(merge.IsCompleted);
            }
            finally
            {
                backend.Open();
            }

            await merge.WaitAsync(Generous);
            Assert.Equal("""{"a":1,"b":2}""", Json(await store.GetEntryAsync("doc")));
        }
    }

    [Fact]
    public virtual async Task An_evicted_paged_out_value_is_read_back_after_the_write_lock_and_before_the_backend_drops_it()
    {
        var evicted = new ConcurrentQueue<StateEviction>();
        var (store, backend) = await OpenGatedAsync("gated-eviction", Durability.None, evicted.Enqueue);
        await using (store)
        {
            backend.Close();
            var delete = Task.Run(() => store.DeleteAsync("doc").AsTask());
            try
            {
                await backend.ReadWaiting.Task.WaitAsync(Generous);
                // Written behind (Durability.None): the write returns once it is in memory, which the delete's read
                // must not hold up.
                await Task.Run(() => store.SetAsync("other", 1).AsTask()).WaitAsync(Generous);
                Assert.Equal(1, await Task.Run(() => store.GetAsync<int>("other").AsTask()).WaitAsync(Generous));
                Assert.False(delete.IsCompleted);
            }
            finally
            {
                backend.Open();
            }

            Assert.True(await delete.WaitAsync(Generous));
            var eviction = Assert.Single(evicted, e => e.Key == "doc");
            Assert.Equal(EvictionReason.Deleted, eviction.Reason);
            Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(eviction.Value.Span));
        }

        await using var reopened = await OpenAsync("gated-eviction");
        Assert.False(await reopened.ExistsAsync("doc"));
        Assert.Equal(1, await reopened.GetAsync<int>("other"));
    }

    [Fact]
    public virtual async Task An_export_reads_paged_out_values_after_the_write_lock_and_keeps_its_point_in_time()
    {
        var (store, backend) = await OpenGatedAsync("gated-export", Durability.None, onEvicted: null);
        await using (store)
        {
            backend.Close();
            using var exported = new MemoryStream();
            var export = Task.Run(() => store.ExportAsync(exported));
            try
            {
                await backend.ReadWaiting.Task.WaitAsync(Generous);
                await Task.Run(() => store.SetAsync("doc", new { a = 2 }).AsTask()).WaitAsync(Generous);
                await Task.Run(() => store.SetAsync("other", 1).AsTask()).WaitAsync(Generous);
                Assert.False(export.IsCompleted);
            }
            finally
            {
                backend.Open();
            }

            Assert.Equal(6, await export.WaitAsync(Generous));
            var text = Encoding.UTF8.GetString(exported.ToArray());
            Assert.Contains("\"key\":\"doc\",\"value\":{\"a\":1}", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"key\":\"other\"", text, StringComparison.Ordinal);
            Assert.Equal("""{"a":2}""", Json(await store.GetEntryAsync("doc")));
        }
    }

    /// <summary>
    /// A store bounded to two values in memory over a gated backend, holding "doc" and five fillers, with "doc" paged
    /// out (the two fillers read last are the values in memory).
    /// </summary>
    private async Task<(StateStore Store, GatedReadBackend Backend)> OpenGatedAsync(string storage, Durability durability, Action<StateEviction>? onEvicted)
    {
        await using (var setup = await OpenAsync(storage))
        {
            await setup.SetAsync("doc", new { a = 1 });
            for (var i = 0; i < 5; i++)
            {
                await setup.SetAsync($"filler{i}", i);
            }
        }

        var backend = new GatedReadBackend(CreateBackend(storage));
        var store = await StateStore.OpenAsync(new StateStoreOptions
        {
            Backend = backend,
            TimeProvider = Clock,
            MaxEntries = 2,
            Durability = durability,
            OnEvicted = onEvicted,
        });
        Assert.Equal(3, await store.GetAsync<int>("filler3"));
        Assert.Equal(4, await store.GetAsync<int>("filler4"));
        Assert.True(store.PagingStatistics.ResidentEntries <= 2, "at most two values in memory");
        return (store, backend);
    }
}
