using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    [Fact]
    public virtual async Task Json_nested_64_deep_is_accepted_and_65_is_a_limit_error()
    {
        var store = NewStore();
        await store.SetAsync("keep", "v");

        await store.SetRawAsync("ok", Encoding.UTF8.GetBytes(Nested(64)));
        var ex = await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.SetRawAsync("deep", Encoding.UTF8.GetBytes(Nested(65))));
        Assert.Contains("64", ex.Message, StringComparison.Ordinal);
        Assert.Equal(("MaxDepth", 64L, 65L, "deep", StateScope.Global), (ex.Limit, ex.LimitValue, ex.AttemptedValue, ex.Key, ex.Scope));
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.SetRawAsync("ok", Encoding.UTF8.GetBytes(Nested(10_000))));
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.SetAsync("deep", JsonNode.Parse(Nested(65), documentOptions: new JsonDocumentOptions { MaxDepth = 100 })));
        var deepPatch = JsonNode.Parse("{\"b\":" + Nested(64) + "}", documentOptions: new JsonDocumentOptions { MaxDepth = 100 });
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.MergeAsync("keep", deepPatch));

        Assert.Equal(Nested(64), Json(await store.GetEntryAsync("ok")));
        Assert.False(await store.ExistsAsync("deep"));
        Assert.Equal(2, await store.CountAsync());
    }

    [Fact]
    public virtual async Task Run_scope_limits_apply_to_every_run_on_its_own_and_a_runs_own_entry_replaces_them()
    {
        var store = NewStore(o =>
        {
            o.RunScopeLimits = new StateLimits { MaxKeys = 2, MaxValueBytes = 64 };
            o.ScopeLimits[StateScope.Workflow("big-run")] = new StateLimits { MaxKeys = 10 };
        });
        var first = store.For(StateScope.Workflow("run-1"));
        var second = store.For(StateScope.Workflow("run-2"));
        await first.SetAsync("a", 1);
        await first.Scope("step").SetAsync("b", 2);
        await second.SetAsync("a", 1);
        await second.SetAsync("b", 2);

        var tooMany = await Assert.ThrowsAsync<StateLimitExceededException>(async () => await first.SetAsync("c", 3));
        var tooBig = await Assert.ThrowsAsync<StateLimitExceededException>(async () => await second.SetAsync("a", new string('x', 100)));
        for (var i = 0; i < 5; i++)
        {
            await store.For(StateScope.Workflow("big-run")).SetAsync($"k{i}", i);
        }

        await store.SetAsync("global-1", 1);
        await store.SetAsync("global-2", 2);
        await store.SetAsync("global-3", 3);
        Assert.Equal(("MaxKeys", 2L, StateScope.Workflow("run-1")), (tooMany.Limit, tooMany.LimitValue, tooMany.Scope));
        Assert.Equal("MaxValueBytes", tooBig.Limit);
        Assert.Equal(1, await second.GetAsync<int>("a"));
        Assert.Equal(5, await store.For(StateScope.Workflow("big-run")).CountAsync());
    }

    [Fact]
    public virtual async Task Value_over_one_mebibyte_is_a_limit_error_and_writes_nothing()
    {
        var store = NewStore();
        await store.SetAsync("big", "small");

        var ex = await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.SetAsync("big", new string('x', 2 * 1024 * 1024)));
        Assert.Contains("'big'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(("MaxValueBytes", 1024L * 1024, "big"), (ex.Limit, ex.LimitValue, ex.Key));
        Assert.True(ex.AttemptedValue > 1024 * 1024, $"attempted {ex.AttemptedValue} bytes");
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.MergeAsync("doc", new { blob = new string('x', 2 * 1024 * 1024) }));

        Assert.Equal("small", await store.GetAsync<string>("big"));
        Assert.False(await store.ExistsAsync("doc"));
    }

    [Fact]
    public virtual async Task Value_far_over_the_limit_is_refused_before_it_is_serialized_whole()
    {
        const int Total = 20_000_000;
        var store = NewStore();
        var set = new CountingSequence(Total);
        var ex = await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.SetAsync("huge", set));
        Assert.Contains("'huge'", ex.Message, StringComparison.Ordinal);
        Assert.True(set.Enumerated < Total / 4, $"{set.Enumerated} of {Total} items were serialized before the limit refused the value");

        var updated = new CountingSequence(Total);
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.UpdateAsync<IEnumerable<string>>("huge", _ => updated));
        Assert.True(updated.Enumerated < Total / 4, $"{updated.Enumerated} of {Total} items were serialized before the limit refused the update");
        Assert.False(await store.ExistsAsync("huge"));
    }

    [Fact]
    public virtual async Task Merge_whose_result_is_over_the_value_limit_writes_nothing()
    {
        var store = NewStore(o => o.Limits = StateLimits.Default with { MaxValueBytes = 100 });
        await store.SetAsync("doc", new { a = new string('x', 60) });

        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.MergeAsync("doc", new { b = new string('y', 60) }));

        Assert.Equal(JsonSerializer.Serialize(new { a = new string('x', 60) }), Json(await store.GetEntryAsync("doc")));
    }

    [Fact]
    public virtual async Task Duplicate_json_property_names_are_rejected()
    {
        var store = NewStore();
        using var duplicate = JsonDocument.Parse("""{"a":1,"a":2}""");

        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("k", """{"a":1,"a":2}"""u8.ToArray()));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("k", """[{"x":{"a":1,"b":{"a":1},"a":2}}]"""u8.ToArray()));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetAsync("k", duplicate.RootElement));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.MergeAsync("k", duplicate.RootElement));

        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("k", """{"a":1,"\u0061":2}"""u8.ToArray()));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("k", """{"\u0062":1,"b":2}"""u8.ToArray()));
        var many = string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"p{i}\":{i}"));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("k", System.Text.Encoding.UTF8.GetBytes("{" + many + ",\"p3\":0}")));
        await store.SetRawAsync("many", System.Text.Encoding.UTF8.GetBytes("{" + many + "}"));
        await store.SetRawAsync("ok", """{"a":{"a":1},"b":[{"a":1},{"a":2}],"\u0063":1,"ab":2,"ba":3}"""u8.ToArray());
        Assert.Equal(["many", "ok"], await ToListAsync(store.ListKeysAsync()));
    }

    [Fact]
    public virtual async Task Scope_key_limit_counts_child_scopes()
    {
        var tenant = StateScope.Custom("tenant");
        var store = NewStore(o => o.ScopeLimits[tenant] = new StateLimits { MaxKeys = 3 });
        var scope = store.For(tenant);
        await scope.SetAsync("a", 1);
        await scope.Scope("child").SetAsync("b", 1);
        await scope.Scope("child").Scope("grandchild").SetAsync("c", 1);

        var ex = await Assert.ThrowsAsync<StateLimitExceededException>(async () => await scope.Scope("child").SetAsync("d", 1));
        Assert.Contains("custom:tenant:", ex.Message, StringComparison.Ordinal);
        Assert.Equal(("MaxKeys", 3L, 4L, tenant), (ex.Limit, ex.LimitValue, ex.AttemptedValue, ex.Scope));
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await scope.ApplyAsync(scope.CreateBatch().Delete("a").Set("x", 1).Set("y", 1)));

        await scope.SetAsync("a", 2);
        await scope.ApplyAsync(scope.CreateBatch().Delete("a").Set("x", 1));
        await store.SetAsync("outside", 1);
        Assert.Equal(3, await scope.CountAsync());
    }

    [Fact]
    public virtual async Task Scope_byte_limit_counts_child_scopes()
    {
        var store = NewStore(o => o.ScopeLimits[StateScope.Workflow("r")] = new StateLimits { MaxTotalBytes = 50 });
        var run = store.For(StateScope.Workflow("r"));
        await run.SetAsync("a", new string('x', 20));

        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.For(StateScope.Step("r", "s")).SetAsync("b", new string('x', 30)));

        await store.For(StateScope.Step("r", "s")).SetAsync("b", "small");
        Assert.Equal(2, await run.CountAsync());
    }

    [Fact]
    public virtual async Task Scope_value_limits_apply_to_child_scopes_too()
    {
        var store = NewStore(o => o.ScopeLimits[StateScope.Custom("strict")] = new StateLimits { MaxValueBytes = 10, MaxDepth = 2 });
        var child = store.For(StateScope.Custom("strict")).Scope("inner");

        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await child.SetAsync("k", "longer than ten bytes"));
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await child.SetRawAsync("k", "[[[1]]]"u8.ToArray()));
        await child.SetRawAsync("k", "[[1]]"u8.ToArray());
        await store.SetAsync("k", "longer than ten bytes is fine here");
    }

    [Fact]
    public virtual async Task Limits_set_at_run_time_apply_to_later_writes()
    {
        var store = NewStore();
        var scope = store.For(StateScope.Custom("t"));
        await scope.SetAsync("a", 1);

        store.SetLimits(StateScope.Custom("t"), new StateLimits { MaxKeys = 1 });
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await scope.SetAsync("b", 1));
        await scope.SetAsync("a", 2);

        store.SetLimits(StateScope.Custom("t"), null);
        await scope.SetAsync("b", 1);
        Assert.Equal(2, await scope.CountAsync());
    }

    [Fact]
    public virtual async Task Scope_over_its_limit_can_still_shrink()
    {
        var store = NewStore();
        var scope = store.For(StateScope.Custom("t"));
        await scope.SetAsync("a", 1);
        await scope.SetAsync("b", 1);
        store.SetLimits(StateScope.Custom("t"), new StateLimits { MaxKeys = 1 });

        Assert.True(await scope.DeleteAsync("a"));
        Assert.Equal(1, await scope.CountAsync());
    }

    [Fact]
    public virtual void Out_of_range_options_are_argument_errors()
    {
        Assert.ThrowsAny<ArgumentException>(() => NewStore(o => o.MaxEntries = 0));
        Assert.ThrowsAny<ArgumentException>(() => NewStore(o => o.MaxBytes = -1));
        Assert.ThrowsAny<ArgumentException>(() => NewStore(o => o.DefaultTimeToLive = TimeSpan.Zero));
        Assert.ThrowsAny<ArgumentException>(() => NewStore(o => o.ExpirationScanInterval = TimeSpan.Zero));
        Assert.ThrowsAny<ArgumentException>(() => NewStore(o => o.WatchBufferCapacity = 0));
    }

    /// <summary>A long sequence that counts how much of it was read.</summary>
    private sealed class CountingSequence(int count) : IEnumerable<string>
    {
        public int Enumerated { get; private set; }

        public IEnumerator<string> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                Enumerated++;
                yield return "abcdefghij";
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
