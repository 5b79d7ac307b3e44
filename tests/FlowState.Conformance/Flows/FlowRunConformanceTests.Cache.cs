using System.Runtime.CompilerServices;
using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>The opt-in node result cache: exec's result by node and prep input, with a time to live.</summary>
public abstract partial class FlowRunConformanceTests
{
    /// <summary>A flow whose one node "translates" the run's <c>text</c>, counting real execs in <paramref name="execs"/>.</summary>
    private static Flow Translating(StrongBox<int> execs, bool failing = false) => new FlowBuilder("translate").Add(Node.Create<string, string>(
        "translate",
        prep: async (state, _) => (await state.GetAsync<string>("text"))!,
        exec: (text, _) =>
        {
            Interlocked.Increment(ref execs.Value);
            return failing ? throw new InvalidOperationException("the model is down") : ValueTask.FromResult(text.ToUpperInvariant());
        },
        post: async (state, _, translated, _) =>
        {
            await state.SetAsync("translated", translated);
            return null;
        },
        fallback: (text, _, _) => ValueTask.FromResult($"[untranslated] {text}"),
        cacheFor: TimeSpan.FromMinutes(10))).Build();

    [Fact]
    public async Task A_cached_node_runs_exec_once_per_input_until_the_cache_expires()
    {
        var store = NewStore();
        var runner = NewRunner(store);
        var execs = new StrongBox<int>();

        var first = await runner.RunAsync(Translating(execs), new { text = "hello" });
        var second = await runner.RunAsync(Translating(execs), new { text = "hello" });
        var other = await runner.RunAsync(Translating(execs), new { text = "bye" });
        Clock.Advance(TimeSpan.FromMinutes(11));
        var expired = await runner.RunAsync(Translating(execs), new { text = "hello" });

        Assert.Equal(["HELLO", "HELLO", "BYE", "HELLO"], new[] { first, second, other, expired }.Select(r => r.State["translated"]!.GetValue<string>()));
        Assert.Equal(3, execs.Value);
        // "bye" expired with the first "hello"; the "hello" cached again is the one entry left.
        Assert.Equal(["translate:"], (await ToListAsync(store.For(StateScope.Custom("flow-cache")).ListKeysAsync())).Select(k => k[..10]));
    }

    [Fact]
    public async Task A_fallback_result_is_not_cached()
    {
        var store = NewStore();
        var runner = NewRunner(store);
        var execs = new StrongBox<int>();

        var degraded = await runner.RunAsync(Translating(execs, failing: true), new { text = "hello" });
        var healthy = await runner.RunAsync(Translating(execs), new { text = "hello" });

        Assert.Equal("[untranslated] hello", degraded.State["translated"]!.GetValue<string>());
        Assert.Equal("HELLO", healthy.State["translated"]!.GetValue<string>());
        Assert.Equal(2, execs.Value);
    }

    [Fact]
    public void A_cache_time_that_is_not_positive_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Node.Create<int, int>("n", null, (i, _) => ValueTask.FromResult(i), cacheFor: TimeSpan.Zero));

        Assert.Contains("CacheFor must be positive", error.Message, StringComparison.Ordinal);
    }
}
