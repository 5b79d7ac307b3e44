namespace FlowState.Benchmarks;

/// <summary>What an await of an already completed ValueTask does, without an async state machine per call.</summary>
internal static class CompletedValueTask
{
    public static T Result<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
}
