namespace FlowState.Streaming;

/// <summary>Which clock a <see cref="StreamTimer"/> follows.</summary>
public enum StreamTimeDomain
{
    /// <summary>Event time: fires when the watermark reaches the timer's time (or a bounded input ends).</summary>
    EventTime,

    /// <summary>Processing time: fires when the pipeline's clock (<see cref="StreamPipelineOptions.TimeProvider"/>) reaches it.</summary>
    ProcessingTime,
}
