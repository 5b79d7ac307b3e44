using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Several questions in one step (LangGraph's repeated interrupt()), answered in order, one per resume.</summary>
public abstract partial class FlowRunConformanceTests
{
    private static Flow Onboarding(Func<int>? failingExecAttempts = null)
    {
        var form = Node.Create<(string Name, int Age), string>(
            "form",
            prep: (_, context) =>
            {
                var name = context.Ask<string>("What is your name?")!;
                var age = context.Ask<int>("How old are you?");
                return ValueTask.FromResult((name, age));
            },
            exec: (answers, context) =>
            {
                // Exec may ask too; a retried exec asks again and gets the same answer.
                var city = context.Ask<string>("Where do you live?");
                if (failingExecAttempts is not null && context.Attempt <= failingExecAttempts())
                {
                    throw new InvalidOperationException("flaky");
                }

                return ValueTask.FromResult($"{answers.Name} ({answers.Age}) from {city}");
            },
            post: async (state, _, summary, context) =>
            {
                await context.GlobalState.UpdateAsync<int>($"posts/{context.RunId}/form", n => n + 1);
                await state.SetAsync("summary", summary);
                return null;
            },
            maxRetries: failingExecAttempts is null ? 0 : 2);
        return new FlowBuilder("onboarding").Add(form).Build();
    }

    [Fact]
    public async Task Questions_of_one_step_are_asked_one_per_resume_and_each_returns_its_own_answer()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);

        var first = await runner.RunAsync(Onboarding(), options: new FlowRunOptions { RunId = "ask" });
        var second = await runner.ResumeAsync(Onboarding(), "ask", new FlowRunOptions { ResumeInput = "Ada" });
        var unanswered = await runner.ResumeAsync(Onboarding(), "ask");
        var third = await runner.ResumeAsync(Onboarding(), "ask", new FlowRunOptions { ResumeInput = 36 });
        var done = await runner.ResumeAsync(Onboarding(), "ask", new FlowRunOptions { ResumeInput = "London" });

        Assert.Equal(
            ["What is your name?", "How old are you?", "How old are you?", "Where do you live?"],
            new[] { first, second, unanswered, third }.Select(r => r.InterruptReason));
        Assert.Equal(FlowRunStatus.Completed, done.Status);
        Assert.Equal("Ada (36) from London", done.State["summary"]!.GetValue<string>());
        await AssertEachPostRanOnceAsync(store, "ask", "form");
    }

    [Fact]
    public async Task A_retried_exec_gets_the_same_answers_to_its_questions()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        var flaky = 0;
        var flow = Onboarding(() => flaky);
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "ask-retry" });
        await runner.ResumeAsync(flow, "ask-retry", new FlowRunOptions { ResumeInput = "Alan" });
        await runner.ResumeAsync(flow, "ask-retry", new FlowRunOptions { ResumeInput = 41 });
        flaky = 2;

        var done = await runner.ResumeAsync(flow, "ask-retry", new FlowRunOptions { ResumeInput = "Manchester" });

        Assert.Equal("Alan (41) from Manchester", done.State["summary"]!.GetValue<string>());
    }
}
