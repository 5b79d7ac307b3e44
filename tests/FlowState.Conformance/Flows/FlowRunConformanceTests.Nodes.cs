using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task Prep_gets_read_only_state_and_exec_gets_what_prep_returned()
    {
        IStateReader? seen = null;
        var node = Node.Create<string, string>(
            "read",
            prep: async (state, context) =>
            {
                seen = state;
                Assert.IsNotAssignableFrom<IStateStore>(context.StepState);
                Assert.IsNotAssignableFrom<IStateStore>(context.GlobalState);
                return (await state.GetAsync<string>("name"))!;
            },
            exec: (name, _) => ValueTask.FromResult(name.ToUpperInvariant()),
            post: async (state, _, upper, _) =>
            {
                await state.SetAsync("upper", upper);
                return null;
            });

        var result = await NewRunner().RunAsync(new FlowBuilder("f").Add(node).Build(), new { name = "ada" });

        Assert.IsNotAssignableFrom<IStateStore>(seen);
        Assert.IsNotAssignableFrom<IStateStore>(seen!.Scope("child"));
        Assert.Equal("ADA", result.State["upper"]!.GetValue<string>());
    }

    [Fact]
    public async Task Failed_exec_is_retried_then_succeeds()
    {
        var attempts = new List<int>();
        var node = Node.Create<bool, int>(
            "flaky",
            prep: null,
            exec: (_, context) =>
            {
                attempts.Add(context.Attempt);
                return context.Attempt < 3 ? throw new InvalidOperationException("not yet") : ValueTask.FromResult(context.Attempt);
            },
            post: async (state, _, attempt, _) =>
            {
                await state.SetAsync("attempt", attempt);
                return null;
            },
            maxRetries: 2);

        var result = await NewRunner().RunAsync(new FlowBuilder("f").Add(node).Build());

        Assert.Equal([1, 2, 3], attempts);
        Assert.Equal(3, result.State["attempt"]!.GetValue<int>());
    }

    [Fact]
    public async Task Fallback_result_goes_to_post_after_the_last_retry_failed()
    {
        var node = Node.Create<bool, string>(
            "fails",
            prep: null,
            exec: (_, _) => throw new TimeoutException("service down"),
            post: async (state, _, value, _) =>
            {
                await state.SetAsync("value", value);
                return null;
            },
            maxRetries: 1,
            fallback: (_, error, context) => ValueTask.FromResult($"fallback after {context.Attempt}: {error.Message}"));

        var result = await NewRunner().RunAsync(new FlowBuilder("f").Add(node).Build());

        Assert.Equal("fallback after 2: service down", result.State["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Step_fails_with_node_and_run_named_when_exec_and_fallback_fail()
    {
        var node = Node.Create<bool, bool>("broken", prep: null, exec: (_, _) => throw new InvalidOperationException("boom"));
        var runner = NewRunner();

        var error = await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(new FlowBuilder("f").Add(node).Build(), options: new FlowRunOptions { RunId = "broken-run" }));

        Assert.Equal("broken", error.NodeName);
        Assert.Equal("broken-run", error.RunId);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Contains("boom", error.Message, StringComparison.Ordinal);
        var info = await runner.GetRunAsync("broken-run");
        Assert.Equal(FlowRunStatus.Failed, info!.Status);
        Assert.Contains("boom", info.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnComplete_runs_after_success_and_after_failure_and_its_own_error_changes_nothing()
    {
        var completions = new List<NodeCompletion>();
        ValueTask Record(NodeCompletion completion)
        {
            completions.Add(completion);
            throw new InvalidOperationException("hook failed");
        }

        var ok = Node.Create<bool, bool>("ok", prep: null, exec: (_, _) => ValueTask.FromResult(true), post: (_, _, _, _) => ValueTask.FromResult<string?>("next"), onComplete: Record);
        var bad = Node.Create<bool, bool>("bad", prep: null, exec: (_, _) => throw new InvalidOperationException("exec failed"), maxRetries: 1, onComplete: Record);
        var flow = new FlowBuilder("f").Connect(ok, bad, "next").Build();

        var error = await Assert.ThrowsAsync<FlowStepException>(() => NewRunner().RunAsync(flow));

        Assert.Equal("exec failed", error.InnerException!.Message);
        Assert.Equal(2, completions.Count);
        Assert.True(completions[0].Succeeded);
        Assert.Equal(("ok", "next", 1), (completions[0].NodeName, completions[0].Action, completions[0].Attempts));
        Assert.False(completions[1].Succeeded);
        Assert.Equal(("bad", 2), (completions[1].NodeName, completions[1].Attempts));
        Assert.Equal("exec failed", completions[1].Exception!.Message);
    }

    [Fact]
    public async Task OnComplete_cleans_up_the_runs_temporary_state_through_the_store_it_is_given()
    {
        var work = Node.Create("work", async (state, _) =>
        {
            await state.SetAsync("scratch", "temporary");
            await state.SetAsync("result", 42);
            return null;
        });
        var finish = Node.Create<bool, bool>(
            "finish",
            prep: null,
            exec: (_, _) => ValueTask.FromResult(true),
            onComplete: async completion =>
            {
                if (completion.Succeeded)
                {
                    await completion.State.DeleteAsync("scratch");
                }
            });
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, RecordProgress = RunnerOptions.RecordProgress });

        await runner.RunAsync(new FlowBuilder("f").Connect(work, finish).Build(), options: new FlowRunOptions { RunId = "cleaned" });

        var state = await runner.Runs.GetStateAsync("cleaned");
        Assert.Equal(42, state["result"]!.GetValue<int>());
        Assert.False(state.ContainsKey("scratch"));
    }

    [Fact]
    public async Task Unknown_action_fails_naming_the_node_and_the_action_and_commits_nothing_of_the_step()
    {
        var decide = Node.Create("decide", async (state, _) =>
        {
            await state.SetAsync("decided", true);
            return "maybe";
        });
        var flow = new FlowBuilder("f").Connect(decide, Trace("yes"), "yes").Connect(decide, Trace("no"), "no").Build();
        var runner = NewRunner();

        var error = await Assert.ThrowsAsync<FlowRouteException>(() => runner.RunAsync(flow, options: new FlowRunOptions { RunId = "route" }));

        Assert.Equal(("decide", "maybe"), (error.NodeName, error.Action));
        Assert.Equal(["no", "yes"], error.KnownActions);
        Assert.Contains("'decide'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'maybe'", error.Message, StringComparison.Ordinal);
        Assert.False((await runner.Runs.GetStateAsync("route")).ContainsKey("decided"));
    }

    [Fact]
    public async Task Idempotency_key_is_the_same_for_every_attempt_of_a_step_and_differs_between_steps()
    {
        var keys = new List<(string Node, int Attempt, string Key)>();
        Node<bool, bool> Recording(string name) => Node.Create<bool, bool>(
            name,
            prep: null,
            exec: (_, context) =>
            {
                keys.Add((name, context.Attempt, context.IdempotencyKey));
                return context.Attempt == 1 ? throw new InvalidOperationException("retry me") : ValueTask.FromResult(true);
            },
            maxRetries: 1);
        var flow = new FlowBuilder("f").Sequence(Recording("a"), Recording("b")).Build();

        await NewRunner().RunAsync(flow, options: new FlowRunOptions { RunId = "idem" });

        Assert.Equal(4, keys.Count);
        Assert.Equal(keys[0].Key, keys[1].Key);
        Assert.Equal(keys[2].Key, keys[3].Key);
        Assert.NotEqual(keys[0].Key, keys[2].Key);
        Assert.Contains("idem", keys[0].Key, StringComparison.Ordinal);
    }
}
