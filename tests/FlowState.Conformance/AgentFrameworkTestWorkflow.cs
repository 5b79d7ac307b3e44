using Microsoft.Agents.AI.Workflows;

namespace FlowState.Conformance;

/// <summary>
/// The Agent Framework workflow of the checkpoint crash test, built the same way by the killed child and the test:
/// executors in a row, each appending its index to the text and queueing a field of shared state, so the output
/// proves every executor ran, in order, exactly as far as the checkpoints say.
/// </summary>
internal static class AgentFrameworkTestWorkflow
{
    public const int Executors = 8;

    public const string Input = "in:";

    /// <summary>What an uninterrupted run outputs.</summary>
    public static string ExpectedOutput => Input + string.Concat(Enumerable.Range(0, Executors));

    /// <summary>
    /// The workflow; <paramref name="ran"/> hears which executors ran, and <paramref name="blocked"/>, when given, is
    /// where executor <paramref name="blockAt"/> says it started before it waits until the process is killed.
    /// </summary>
    public static Workflow Build(List<int> ran, int blockAt = -1, Action? blocked = null)
    {
        var nodes = Enumerable.Range(0, Executors).Select(i =>
            ((Func<string, IWorkflowContext, CancellationToken, ValueTask<string>>)(async (text, context, cancellationToken) =>
            {
                lock (ran)
                {
                    ran.Add(i);
                }

                if (i == blockAt)
                {
                    blocked?.Invoke();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }

                await context.QueueStateUpdateAsync($"f{i}", text, "run", cancellationToken);
                return text + i;
            })).BindAsExecutor<string, string>($"n{i}")).ToArray();
        var builder = new WorkflowBuilder(nodes[0]);
        for (var i = 1; i < Executors; i++)
        {
            builder.AddEdge(nodes[i - 1], nodes[i]);
        }

        return builder.WithOutputFrom(nodes[^1]).Build();
    }

    /// <summary>The output of a finished run.</summary>
    public static string Output(Run run) =>
        run.OutgoingEvents.OfType<WorkflowOutputEvent>().Select(e => e.Data as string).LastOrDefault()
            ?? throw new InvalidOperationException($"the run ended without output: {string.Join(", ", run.OutgoingEvents)}");
}
