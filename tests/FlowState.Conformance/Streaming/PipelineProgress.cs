using FlowState.Streaming;

namespace FlowState.Conformance;

/// <summary>Waits on a running pipeline's statistics.</summary>
public static class PipelineProgress
{
    /// <summary>Waits until the pipeline's sources have read <paramref name="messages"/> messages (at most a minute).</summary>
    public static Task WaitUntilReadAsync(StreamPipeline pipeline, long messages) => WaitUntilAsync(pipeline, s => s.MessagesRead >= messages);

    /// <summary>Waits until the pipeline's first processor has processed <paramref name="messages"/> messages (at most a minute).</summary>
    public static Task WaitUntilProcessedAsync(StreamPipeline pipeline, long messages) => WaitUntilAsync(pipeline, s => s.MessagesProcessed >= messages);

    private static async Task WaitUntilAsync(StreamPipeline pipeline, Func<StreamStatistics, bool> reached)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!reached(await pipeline.GetStatisticsAsync()))
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
