using System.Text.Json.Nodes;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public virtual void New_run_ids_are_unique_with_the_prefix()
    {
        var runs = new FlowStateStorage(NewStore());

        var ids = Enumerable.Range(0, 1000).AsParallel().Select(_ => runs.NewRunId("doc")).ToList();

        Assert.Equal(1000, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^doc_[0-9]+$", id));
        Assert.ThrowsAny<ArgumentException>(() => runs.NewRunId(""));
    }

    [Fact]
    public virtual async Task New_run_id_skips_ids_that_already_have_state()
    {
        var store = NewStore();
        await store.For(StateScope.Workflow("run_1")).SetAsync("x", 1);
        await store.For(StateScope.Workflow("run_2")).SetAsync("x", 1);

        Assert.Equal("run_3", new FlowStateStorage(store).NewRunId());
    }

    [Fact]
    public virtual async Task Unknown_run_has_empty_state()
    {
        var runs = new FlowStateStorage(NewStore());

        var state = await runs.GetStateAsync("never");

        Assert.Empty(state);
    }

    [Fact]
    public virtual async Task Run_state_is_stored_one_key_per_field_under_the_workflow_scope()
    {
        var store = NewStore();
        var runs = new FlowStateStorage(store);
        var id = runs.NewRunId();

        await runs.UpdateStateAsync(id, new { topic = "llm", count = 2, meta = new { x = 1 } });

        Assert.Equal(["count", "meta", "topic"], await ToListAsync(store.For(StateScope.Workflow(id)).ListKeysAsync()));
        Assert.Equal("llm", await store.For(StateScope.Workflow(id)).GetAsync<string>("topic"));
        var state = await runs.GetStateAsync(id);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"count":2,"meta":{"x":1},"topic":"llm"}"""), state));
    }

    [Fact]
    public virtual async Task Merge_state_replaces_named_fields_whole_and_keeps_the_rest()
    {
        var runs = new FlowStateStorage(NewStore());
        await runs.UpdateStateAsync("r", new { a = new { x = 1 }, b = 1 });

        await runs.MergeStateAsync("r", new { a = new { y = 2 }, c = 3 });

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":{"y":2},"b":1,"c":3}"""), await runs.GetStateAsync("r")));
    }

    [Fact]
    public virtual async Task Update_state_replaces_the_whole_state()
    {
        var runs = new FlowStateStorage(NewStore());
        await runs.UpdateStateAsync("r", new { a = 1, b = 2 });

        await runs.UpdateStateAsync("r", new JsonObject { ["c"] = 3 });

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"c":3}"""), await runs.GetStateAsync("r")));
        Assert.Equal(new Dictionary<string, int> { ["c"] = 3 }, await runs.GetStateAsync<Dictionary<string, int>>("r"));
    }

    [Fact]
    public virtual async Task Update_state_removes_a_field_another_writer_added_while_the_replace_was_on_its_way()
    {
        StateStore? store = null;
        var replaces = 0;
        // The interceptor sees the replace's writes before they reach the engine: a writer adding a field there is a
        // writer that beat a replace which had listed the fields before applying its batch.
        store = NewStore(o => o.Interceptors.Add(new RecordingInterceptor(c =>
        {
            if (c.Operation == StateOperationKind.Clear && ++replaces == 2)
            {
                store!.For(StateScope.Workflow("race")).SetAsync("late", 1).AsTask().GetAwaiter().GetResult();
            }
        })));
        var runs = new FlowStateStorage(store);
        await runs.UpdateStateAsync("race", new { a = 1 });

        await runs.UpdateStateAsync("race", new { b = 2 });

        Assert.Equal(2, replaces);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"b":2}"""), await runs.GetStateAsync("race")));
    }

    [Fact]
    public virtual async Task Run_state_that_is_not_an_object_is_an_argument_error_and_changes_nothing()
    {
        var runs = new FlowStateStorage(NewStore());
        await runs.UpdateStateAsync("r", new { a = 1 });

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await runs.UpdateStateAsync("r", 5));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await runs.MergeStateAsync("r", new[] { 1 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await runs.MergeStateAsync("r", new Dictionary<string, int> { [""] = 1 }));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":1}"""), await runs.GetStateAsync("r")));
    }

    [Fact]
    public virtual async Task Cleanup_removes_the_run_and_its_steps_state_only()
    {
        var store = NewStore();
        var runs = new FlowStateStorage(store);
        await runs.UpdateStateAsync("r1", new { a = 1 });
        await runs.Step("r1", "fetch").SetAsync("cursor", 10);
        await runs.UpdateStateAsync("r2", new { a = 2 });
        await store.SetAsync("shared", 1);

        Assert.Equal(2, await runs.CleanupAsync("r1"));

        Assert.Empty(await runs.GetStateAsync("r1"));
        Assert.Equal(0, await runs.Step("r1", "fetch").CountAsync());
        Assert.Equal(2, (int)(await runs.GetStateAsync("r2"))["a"]!);
        Assert.True(await store.ExistsAsync("shared"));
    }

    [Fact]
    public virtual async Task Concurrent_runs_never_see_each_others_state()
    {
        var runs = new FlowStateStorage(NewStore());

        await Parallel.ForEachAsync(Enumerable.Range(0, 500), async (i, ct) =>
        {
            var id = runs.NewRunId();
            await runs.UpdateStateAsync(id, new { owner = id, step = 0 }, ct);
            for (var step = 1; step <= 3; step++)
            {
                await runs.MergeStateAsync(id, new { step }, ct);
                await runs.Step(id, "work").SetAsync("last", step, cancellationToken: ct);
            }

            var state = await runs.GetStateAsync(id, ct);
            Assert.Equal(id, (string)state["owner"]!);
            Assert.Equal(3, (int)state["step"]!);
            Assert.Equal(2, state.Count);
            Assert.Equal(3, await runs.Step(id, "work").GetAsync<int>("last", ct));
            await runs.CleanupAsync(id, ct);
        });

        Assert.Equal(0, await runs.Store.CountAsync());
    }
}
