using System.Text;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public virtual void Scope_paths_have_the_documented_display_form()
    {
        var store = NewStore();

        Assert.Equal("", StateScope.Global.Path);
        Assert.Equal("workflow:run_1:", StateScope.Workflow("run_1").Path);
        Assert.Equal("workflow:run_1:step:fetch:", StateScope.Step("run_1", "fetch").Path);
        Assert.Equal("custom:tenant:", StateScope.Custom("tenant").Path);
        Assert.Equal("a:b:", store.Scope("a").Scope("b").Path);
        Assert.Equal("workflow:run_1:cache:", store.For(StateScope.Workflow("run_1")).Scope("cache").Path);
    }

    [Fact]
    public virtual async Task Child_scope_never_sees_its_parents_keys()
    {
        var store = NewStore();
        var run = store.For(StateScope.Workflow("r1"));
        var step = store.For(StateScope.Step("r1", "s1"));
        await store.SetAsync("k", "global");
        await run.SetAsync("k", "run");
        await step.SetAsync("k", "step");

        Assert.Equal("global", await store.GetAsync<string>("k"));
        Assert.Equal("run", await run.GetAsync<string>("k"));
        Assert.Equal("step", await step.GetAsync<string>("k"));
        Assert.Equal(["k"], await ToListAsync(step.ListKeysAsync()));
        Assert.Equal(["k"], await ToListAsync(run.ListKeysAsync()));
        Assert.Equal(2, await run.CountAsync());
    }

    [Fact]
    public virtual async Task Listing_and_counting_a_scope_include_its_child_scopes()
    {
        var store = NewStore();
        var run = store.For(StateScope.Workflow("r1"));
        await run.SetAsync("b", 1);
        await run.SetAsync("a", 1);
        await store.For(StateScope.Step("r1", "fetch")).SetAsync("cursor", 1);
        await run.Scope("cache").SetAsync("x", 1);
        await store.For(StateScope.Workflow("r2")).SetAsync("other", 1);

        Assert.Equal(["a", "b"], await ToListAsync(run.ListKeysAsync()));
        var all = (await ToListAsync(run.ListAllAsync())).Select(k => k.ToString()).ToList();
        Assert.Equal(4, all.Count);
        Assert.Contains("workflow:r1:step:fetch:cursor", all);
        Assert.Contains("workflow:r1:cache:x", all);
        Assert.DoesNotContain(all, k => k.Contains("r2", StringComparison.Ordinal));
        Assert.Equal(4, await run.CountAsync());
        Assert.Equal(5, await store.CountAsync());
    }

    [Fact]
    public virtual async Task List_keys_filters_by_prefix_in_ordinal_order()
    {
        var store = NewStore();
        foreach (var key in new[] { "user:2", "user:10", "order:1", "user:1" })
        {
            await store.SetAsync(key, 0);
        }

        Assert.Equal(["user:1", "user:10", "user:2"], await ToListAsync(store.ListKeysAsync("user:")));
    }

    [Fact]
    public virtual async Task Clear_removes_the_scope_and_its_children_only()
    {
        var store = NewStore();
        var run = store.For(StateScope.Workflow("r1"));
        await run.SetAsync("a", 1);
        await store.For(StateScope.Step("r1", "s")).SetAsync("b", 1);
        await store.For(StateScope.Workflow("r10")).SetAsync("a", 1);
        await store.SetAsync("a", 1);

        Assert.Equal(2, await run.ClearAsync());

        Assert.Equal(0, await run.CountAsync());
        Assert.Equal(1, await store.For(StateScope.Workflow("r10")).CountAsync());
        Assert.True(await store.ExistsAsync("a"));
        Assert.Equal(0, await run.ClearAsync());
        await run.SetAsync("again", 1);
        Assert.Equal(1, await run.GetAsync<int>("again"));
    }

    [Fact]
    public virtual async Task Clearing_a_scope_only_keeps_its_child_scopes_and_reports_what_it_deleted()
    {
        var store = NewStore();
        await store.SetAsync("setting", 1);
        await store.SetAsync("other-setting", 2);
        var run = store.For(StateScope.Workflow("r1"));
        await run.SetAsync("a", 1);
        await store.For(StateScope.Step("r1", "s")).SetAsync("b", 1);
        await store.Scope("named").SetAsync("c", 1);

        Assert.Equal(2, await store.ClearAsync(StateClearExtent.ScopeOnly));

        Assert.Empty(await ToListAsync(store.ListKeysAsync()));
        Assert.Equal(3, await store.CountAsync());
        Assert.Equal(1, await store.For(StateScope.Step("r1", "s")).GetAsync<int>("b"));
        Assert.Equal(1, await store.Scope("named").GetAsync<int>("c"));
        Assert.Equal(1, await run.ClearAsync(StateClearExtent.ScopeOnly));
        Assert.Equal(0, await run.ClearAsync(StateClearExtent.ScopeOnly));
        Assert.Equal(1, await run.CountAsync());
        Assert.Equal(1, await run.ClearAsync(StateClearExtent.Subtree));
        Assert.Equal(1, await store.CountAsync());
    }

    [Fact]
    public virtual async Task Clearing_with_an_undefined_extent_is_refused_and_deletes_nothing()
    {
        var store = NewStore();
        await store.SetAsync("a", 1);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.ClearAsync((StateClearExtent)7));

        Assert.Contains(nameof(StateClearExtent.ScopeOnly), error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await store.GetAsync<int>("a"));
    }

    [Fact]
    public virtual async Task Reader_views_stay_read_only_all_the_way_down()
    {
        var store = NewStore();
        await store.For(StateScope.Workflow("r")).Scope("c").SetAsync("k", 1);
        IStateReader reader = store.ReaderFor(StateScope.Workflow("r"));
        var child = reader.Scope("c");

        Assert.False(reader is IStateStore);
        Assert.False(child is IStateStore);
        Assert.Equal(1, await child.GetAsync<int>("k"));
        Assert.False(store.For(StateScope.Workflow("r")).AsReadOnly() is IStateStore);
    }

    [Fact]
    public virtual async Task Workflow_scope_is_not_a_named_scope_with_the_same_display_form()
    {
        var store = NewStore();
        await store.For(StateScope.Workflow("x")).SetAsync("k", "workflow");
        await store.Scope("workflow").Scope("x").SetAsync("k", "named");
        await store.For(StateScope.Custom("x")).SetAsync("k", "custom");

        Assert.Equal("workflow", await store.For(StateScope.Workflow("x")).GetAsync<string>("k"));
        Assert.Equal("named", await store.Scope("workflow").Scope("x").GetAsync<string>("k"));
        Assert.Equal("custom", await store.For(StateScope.Custom("x")).GetAsync<string>("k"));
    }

    public static TheoryData<string, string> CollidingLookingNames => new()
    {
        { "a:b", "a" },
        { "acme", "acme:corp" },
        { "acme", "acme-corp" },
        { "acme:corp", "acme-corp" },
        { "a%3Ab", "a:b" },
        { "a%2Fb", "a/b" },
        { "a/b", "a" },
        { "%", "%25" },
        { "*", "a" },
        { "\\", "\\\\" },
        { "..", "." },
        { "a\u200Bb", "ab" },
        { "\u00E9", "e\u0301" },
        { "\uFEFF", "\u2060" },
        { "step:s", "s" },
    };

    [Theory]
    [MemberData(nameof(CollidingLookingNames))]
    public virtual async Task Scopes_with_colliding_looking_ids_stay_isolated(string first, string second)
    {
        var store = NewStore();
        var scopes = new[]
        {
            store.For(StateScope.Workflow(first)),
            store.For(StateScope.Workflow(second)),
            store.For(StateScope.Custom(first)),
            store.For(StateScope.Custom(second)),
            store.Scope(first),
            store.Scope(second),
            store.Scope("a").Scope("b"),
            store.For(StateScope.Step(first, second)),
            store.For(StateScope.Step(second, first)),
        };
        for (var i = 0; i < scopes.Length; i++)
        {
            await scopes[i].SetAsync("k", i);
            await scopes[i].SetAsync(first, i);
        }

        for (var i = 0; i < scopes.Length; i++)
        {
            Assert.Equal(i, await scopes[i].GetAsync<int>("k"));
            Assert.Equal(i, await scopes[i].GetAsync<int>(first));
            Assert.False(await scopes[i].ExistsAsync(second) && first != second && second != "k");
        }

        await scopes[0].ClearAsync();
        for (var i = 1; i < scopes.Length; i++)
        {
            var inside = scopes[0].CurrentScope.Contains(scopes[i].CurrentScope);
            Assert.Equal(inside ? 0 : i, await scopes[i].GetAsync<int>("k"));
        }
    }

    [Theory]
    [MemberData(nameof(CollidingLookingNames))]
    public virtual async Task Keys_that_look_alike_are_distinct(string first, string second)
    {
        var store = NewStore();
        await store.SetAsync(first, "first");
        await store.SetAsync(second, "second");
        var scoped = store.Scope(first);
        await scoped.SetAsync(second, "nested");

        Assert.Equal("first", await store.GetAsync<string>(first));
        Assert.Equal("second", await store.GetAsync<string>(second));
        Assert.Equal("nested", await scoped.GetAsync<string>(second));
        Assert.Equal(2, (await ToListAsync(store.ListKeysAsync())).Count);
    }

    public static TheoryData<string> InvalidNames => new()
    {
        "",
        new string('k', 64 * 1024),
        new string('\u00E9', 513),
        "bad\0key",
        "tab\tkey",
        "new\nline",
        "del\u007F",
        "c1\u0085",
        "lone\uD800",
        "\uDC00lone",
        "swap\uDC00\uD800",
    };

    [Theory]
    [MemberData(nameof(InvalidNames), DisableDiscoveryEnumeration = true)]
    public virtual async Task Invalid_keys_are_argument_errors_and_change_nothing(string key)
    {
        var store = NewStore();
        await store.SetAsync("existing", 1);

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SetAsync(key, 1));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.GetAsync<int>(key));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.DeleteAsync(key));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.MergeAsync(key, new { a = 1 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.UpdateAsync<int>(key, x => x));
        Assert.ThrowsAny<ArgumentException>(() => store.CreateBatch().Set(key, 1));
        Assert.ThrowsAny<ArgumentException>(() => store.Scope(key));
        Assert.ThrowsAny<ArgumentException>(() => StateScope.Workflow(key));
        Assert.ThrowsAny<ArgumentException>(() => StateScope.Step("r", key));
        Assert.ThrowsAny<ArgumentException>(() => StateScope.Custom(key));

        Assert.Equal(["existing"], await ToListAsync(store.ListKeysAsync()));
        Assert.Equal(1, await store.GetAsync<int>("existing"));
    }

    [Fact]
    public virtual async Task Key_of_exactly_1024_utf8_bytes_is_accepted()
    {
        var store = NewStore();
        var key = new string('\u00E9', 512);
        Assert.Equal(1024, Encoding.UTF8.GetByteCount(key));

        await store.SetAsync(key, 1);

        Assert.Equal(1, await store.GetAsync<int>(key));
    }

    [Fact]
    public virtual void Scope_storage_keys_are_injective_and_round_trip()
    {
        var names = CollidingLookingNames.SelectMany(row => new[] { (string)row[0], (string)row[1] }).Distinct().ToList();
        var scopes = new List<StateScope> { StateScope.Global };
        foreach (var a in names)
        {
            scopes.Add(StateScope.Workflow(a));
            scopes.Add(StateScope.Custom(a));
            scopes.Add(StateScope.Global.Child(a));
            foreach (var b in names.Take(6))
            {
                scopes.Add(StateScope.Step(a, b));
                scopes.Add(StateScope.Global.Child(a).Child(b));
            }
        }

        var distinct = scopes.Distinct().ToList();
        Assert.Equal(distinct.Count, distinct.Select(s => s.StorageKey).Distinct(StringComparer.Ordinal).Count());
        foreach (var scope in distinct)
        {
            Assert.Equal(scope, StateScope.FromStorageKey(scope.StorageKey));
            foreach (var other in distinct)
            {
                var prefix = other.StorageKey.StartsWith(scope.StorageKey, StringComparison.Ordinal);
                Assert.Equal(scope.Contains(other), prefix);
            }
        }
    }
}
