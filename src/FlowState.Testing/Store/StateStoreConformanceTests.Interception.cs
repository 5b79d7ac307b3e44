using Microsoft.Extensions.Logging;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    private sealed class RecordingInterceptor(Action<StateWriteContext>? onWrite = null) : IStateInterceptor
    {
        public List<(StateOperationKind, string, string?)> Seen { get; } = [];

        public ValueTask OnWriteAsync(StateWriteContext context, CancellationToken cancellationToken)
        {
            lock (Seen)
            {
                Seen.Add((context.Operation, context.Scope.Path, context.Key));
            }

            onWrite?.Invoke(context);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public virtual async Task Interceptors_see_set_merge_delete_clear_and_update()
    {
        var interceptor = new RecordingInterceptor();
        var store = NewStore(o => o.Interceptors.Add(interceptor));
        var scope = store.For(StateScope.Workflow("r"));

        await scope.SetAsync("a", 1);
        await scope.MergeAsync("b", new { x = 1 });
        await scope.UpdateAsync<int>("a", n => n + 1);
        await scope.DeleteAsync("a");
        await scope.ApplyAsync(scope.CreateBatch().Set("c", 1).Delete("b"));
        await scope.ClearAsync();

        Assert.Equal(
            [
                (StateOperationKind.Set, "workflow:r:", "a"),
                (StateOperationKind.Merge, "workflow:r:", "b"),
                (StateOperationKind.Set, "workflow:r:", "a"),
                (StateOperationKind.Delete, "workflow:r:", "a"),
                (StateOperationKind.Set, "workflow:r:", "c"),
                (StateOperationKind.Delete, "workflow:r:", "b"),
                (StateOperationKind.Clear, "workflow:r:", null),
            ],
            interceptor.Seen);
    }

    [Fact]
    public virtual async Task Interceptor_can_change_the_value()
    {
        var store = NewStore(o => o.Interceptors.Add(new RecordingInterceptor(c =>
        {
            if (c.Operation == StateOperationKind.Set && c.Key == "name")
            {
                c.SetValue(c.GetValue<string>()!.ToUpperInvariant());
            }
        })));

        await store.SetAsync("name", "ann");

        Assert.Equal("ANN", await store.GetAsync<string>("name"));
    }

    [Fact]
    public virtual async Task Interceptor_rejection_surfaces_and_writes_nothing()
    {
        var store = NewStore(o => o.Interceptors.Add(new RecordingInterceptor(c =>
        {
            if (c.Key == "secret" || c.Operation == StateOperationKind.Clear)
            {
                c.Reject("not allowed");
            }
        })));
        await store.SetAsync("keep", 1);

        var ex = await Assert.ThrowsAsync<StateRejectedException>(async () => await store.SetAsync("secret", 1));
        Assert.Contains("not allowed", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StateRejectedException>(async () => await store.ApplyAsync(store.CreateBatch().Set("other", 1).Set("secret", 1)));
        await Assert.ThrowsAsync<StateRejectedException>(async () => await store.MergeAsync("secret", new { a = 1 }));
        await Assert.ThrowsAsync<StateRejectedException>(async () => await store.ClearAsync());

        Assert.Equal(["keep"], await ToListAsync(store.ListKeysAsync()));
    }

    [Fact]
    public virtual async Task Interceptor_sees_which_extent_a_clear_has_and_can_refuse_only_the_subtree()
    {
        var extents = new List<StateClearExtent?>();
        var store = NewStore(o => o.Interceptors.Add(new RecordingInterceptor(c =>
        {
            extents.Add(c.ClearExtent);
            if (c.Operation == StateOperationKind.Clear && c.Scope.IsGlobal && c.ClearExtent == StateClearExtent.Subtree)
            {
                c.Reject("the global scope is cleared one level at a time");
            }
        })));
        await store.SetAsync("setting", 1);
        await store.For(StateScope.Workflow("r")).SetAsync("a", 1);

        await Assert.ThrowsAsync<StateRejectedException>(async () => await store.ClearAsync());
        Assert.Equal(1, await store.ClearAsync(StateClearExtent.ScopeOnly));

        Assert.Equal([null, null, StateClearExtent.Subtree, StateClearExtent.ScopeOnly], extents);
        Assert.Equal(1, await store.For(StateScope.Workflow("r")).GetAsync<int>("a"));
    }

    [Fact]
    public virtual async Task Interceptor_that_produces_invalid_json_is_refused()
    {
        var store = NewStore(o => o.Interceptors.Add(new RecordingInterceptor(c => c.Value = "{oops"u8.ToArray())));

        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetAsync("k", 1));
        Assert.False(await store.ExistsAsync("k"));
    }

    [Fact]
    public virtual async Task Logging_decorator_logs_every_operation_down_to_child_scopes()
    {
        var logger = new ListLogger();
        var store = NewStore(o => o.Decorators.Add(inner => new LoggingStateStore(inner, logger)));
        var run = store.For(StateScope.Workflow("r"));

        await run.SetAsync("a", 1);
        await run.GetAsync<int>("a");
        await run.Scope("child").SetAsync("b", 1);
        await Assert.ThrowsAsync<StateConflictException>(async () => await run.SetAsync("a", 2, StateWriteOptions.IfVersion(0)));
        await store.SetAsync("g", 1);

        Assert.Contains(logger.Lines, l => l.StartsWith("Debug State set scope='workflow:r:' key='a'", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith("Debug State get scope='workflow:r:' key='a'", StringComparison.Ordinal));
        Assert.Single(logger.Lines, l => l.StartsWith("Debug State set scope='workflow:r:child:' key='b'", StringComparison.Ordinal));
        Assert.Single(logger.Lines, l => l.StartsWith("Debug State set scope='workflow:r:' key='a'", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith("Warning State set scope='workflow:r:' key='a' failed", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith("Debug State set scope='' key='g'", StringComparison.Ordinal));
    }

    [Fact]
    public virtual async Task Typed_state_reads_and_writes_one_type()
    {
        var store = NewStore();
        var orders = store.Scope("orders").Typed<Order>();
        var counters = store.Scope("counters").Typed(TestJsonContext.Default.Counter);

        await orders.SetAsync("o1", new Order { Id = "o1", Total = 3 });
        await counters.SetAsync("c", new Counter(2));

        Assert.Equal(3, (await orders.GetAsync("o1"))!.Total);
        Assert.Equal(new Counter(2), await counters.GetAsync("c"));
        Assert.True(await orders.DeleteAsync("o1"));
        Assert.Null(await orders.GetAsync("o1"));
        await store.Scope("counters").SetAsync("bad", "text");
        await Assert.ThrowsAsync<StateTypeException>(async () => await counters.GetAsync("bad"));
    }

    [Fact]
    public virtual async Task Statistics_count_per_scope_and_in_total()
    {
        var store = NewStore();
        var a = store.For(StateScope.Workflow("a"));
        var b = store.For(StateScope.Workflow("b"));
        await a.SetAsync("k", "12345");
        await b.SetAsync("k", 1);
        await b.Scope("c").SetAsync("k", 1);
        await a.GetAsync<string>("k");
        await a.GetAsync<string>("k");
        await a.GetAsync<string>("missing");
        await b.Scope("c").GetAsync<int>("k");
        await store.For(StateScope.Workflow("nowhere")).GetAsync<int>("k");

        var sa = store.GetStatistics(StateScope.Workflow("a"));
        var sb = store.GetStatistics(StateScope.Workflow("b"));
        var total = store.GetStatistics();

        Assert.Equal((1L, 2L, 1L), (sa.Entries, sa.Hits, sa.Misses));
        Assert.Equal("k".Length + "\"12345\"".Length, sa.Bytes);
        Assert.Equal((2L, 1L, 0L), (sb.Entries, sb.Hits, sb.Misses));
        Assert.Equal((3L, 3L, 2L), (total.Entries, total.Hits, total.Misses));

        await a.ClearAsync();
        Assert.Equal((2L, 3L, 2L), (store.GetStatistics().Entries, store.GetStatistics().Hits, store.GetStatistics().Misses));
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add($"{logLevel} {formatter(state, exception)}");
            }
        }
    }
}
