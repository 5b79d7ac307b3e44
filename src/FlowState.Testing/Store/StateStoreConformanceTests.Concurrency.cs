using System.Text.Json.Nodes;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    /// <summary>
    /// Operations of the stress tests (default 100,000); <c>FLOWSTATE_STRESS_OPS</c> raises it for long runs. A backend
    /// whose every batch costs the size of the state may lower it, saying why.
    /// </summary>
    protected virtual int StressOperations => LoopCounts.FromEnvironment("FLOWSTATE_STRESS_OPS", 100_000);

    [Fact]
    public virtual async Task Random_concurrent_operations_match_a_model()
    {
        var store = NewStore();
        var threads = Math.Max(2, Environment.ProcessorCount);
        var perThread = StressOperations / threads;
        var increments = new long[threads];

        var models = await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
        {
            var random = new Random(1000 + t);
            var scopes = new[] { store, store.Scope("s" + t % 2), store.For(StateScope.Workflow("w" + t % 3)) };
            var model = new Dictionary<(int Scope, string Key), JsonNode?>();
            for (var i = 0; i < perThread; i++)
            {
                var s = random.Next(scopes.Length);
                var scope = scopes[s];
                var key = $"t{t}:k{random.Next(32)}";
                var counter = $"t{t}:c{random.Next(4)}";
                switch (random.Next(10))
                {
                    case 0 or 1:
                        var value = random.Next(1000);
                        await scope.SetAsync(key, new { v = value });
                        model[(s, key)] = new JsonObject { ["v"] = value };
                        break;
                    case 2 or 3:
                        var m = random.Next(1000);
                        await scope.MergeAsync(key, new { m });
                        var merged = model.GetValueOrDefault((s, key))?.DeepClone() as JsonObject ?? [];
                        merged["m"] = m;
                        model[(s, key)] = merged;
                        break;
                    case 4:
                        Assert.Equal(model.Remove((s, key)), await scope.DeleteAsync(key));
                        break;
                    case 5 or 6:
                        var next = await scope.UpdateAsync<int>(counter, c => c + 1);
                        model[(s, counter)] = next;
                        break;
                    case 7:
                        await store.UpdateAsync<long>("shared", c => c + 1);
                        increments[t]++;
                        break;
                    case 8:
                        var entry = await scope.GetEntryAsync(key);
                        var expected = model.GetValueOrDefault((s, key));
                        Assert.True(JsonNode.DeepEquals(expected, entry is null ? null : JsonNode.Parse(entry.Value.Span)), $"read of {key}");
                        break;
                    default:
                        var batch = scope.CreateBatch();
                        var a = $"t{t}:k{random.Next(32)}";
                        var b = $"t{t}:k{random.Next(32)}";
                        batch.Set(a, new { v = i }).Delete(b);
                        await scope.ApplyAsync(batch);
                        model[(s, a)] = new JsonObject { ["v"] = i };
                        model.Remove((s, b));
                        break;
                }
            }

            return (Scopes: scopes, Model: model);
        })));

        long expectedCount = 0;
        foreach (var (scopes, model) in models)
        {
            foreach (var ((s, key), value) in model)
            {
                var entry = await scopes[s].GetEntryAsync(key);
                Assert.NotNull(entry);
                Assert.True(JsonNode.DeepEquals(value, JsonNode.Parse(entry.Value.Span)), $"{scopes[s].Path}{key}: expected {value?.ToJsonString()}, got {entry}");
            }

            expectedCount += model.Count;
        }

        var shared = increments.Sum();
        Assert.Equal(shared, await store.GetAsync<long>("shared"));
        Assert.Equal(expectedCount + (shared > 0 ? 1 : 0), await store.CountAsync());
    }

    [Fact]
    public virtual async Task No_reader_ever_sees_a_half_applied_batch()
    {
        const int width = 256;
        var store = NewStore();
        var pairs = store.Scope("pairs");
        StateBatch Round(int n)
        {
            var batch = pairs.CreateBatch();
            for (var k = 0; k < width; k++)
            {
                batch.Set($"k{k:D3}", n);
            }

            return batch;
        }

        await pairs.ApplyAsync(Round(0));
        var rounds = Math.Max(500, StressOperations / 100);
        var torn = 0;
        var reads = 0;
        using var done = new CancellationTokenSource();

        var readers = Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount - 1)).Select(_ => Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                // A batch writes k000 first and k255 last: a later read can never see an older batch.
                var first = await pairs.GetAsync<int>("k000");
                var middle = await pairs.GetAsync<int>("k128");
                var last = await pairs.GetAsync<int>("k255");
                if (middle < first || last < middle)
                {
                    Interlocked.Increment(ref torn);
                }

                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        while (Volatile.Read(ref reads) < readers.Length * 10)
        {
            await Task.Yield();
        }

        for (var n = 1; n <= rounds; n++)
        {
            await pairs.ApplyAsync(Round(n));
        }

        await done.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Equal(0, torn);
        Assert.Equal(rounds, await pairs.GetAsync<int>("k255"));
    }

    [Fact]
    public virtual async Task Listings_never_see_half_of_a_clear()
    {
        var store = NewStore();
        var scope = store.Scope("cleared");
        var torn = 0;
        using var done = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var count = (await ToListAsync(scope.ListKeysAsync())).Count;
                if (count is not (0 or 64))
                {
                    Interlocked.Increment(ref torn);
                }
            }
        });

        await Task.Delay(10);
        for (var round = 0; round < 300; round++)
        {
            var batch = scope.CreateBatch();
            for (var k = 0; k < 64; k++)
            {
                batch.Set($"k{k}", round);
            }

            await scope.ApplyAsync(batch);
            await scope.ClearAsync();
        }

        await done.CancelAsync();
        await reader;
        Assert.Equal(0, torn);
    }
}
