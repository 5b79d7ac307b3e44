using FlowState.Streaming;

namespace FlowState.Conformance;

/// <summary>Waits on a running pipeline's statistics.</summary>
public static class PipelineProgress
{
    /// <summary>Waits until the pipeline's sources have read <paramref name="messages"/> messages (at most a minute).</summary>
    public static async Task WaitUntilReadAsync(StreamPipeline pipeline, long messages)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while ((await pipeline.GetStatisticsAsync()).MessagesRead < messages)
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
