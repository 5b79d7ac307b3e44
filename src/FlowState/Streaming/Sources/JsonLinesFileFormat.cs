namespace FlowState.Streaming;

/// <summary>How <see cref="JsonLinesFileSource"/> reads each line.</summary>
public enum JsonLinesFileFormat
{
    /// <summary>Each line is one JSON value (JSON Lines).</summary>
    Json,

    /// <summary>Each line is text; the message value is that text as a JSON string.</summary>
    Text,
}
