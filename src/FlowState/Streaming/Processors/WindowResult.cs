namespace FlowState.Streaming;

/// <summary>A closed window of one key: [<paramref name="Start"/>, <paramref name="End"/>) and the events in it.</summary>
/// <param name="Key">The key.</param>
/// <param name="Start">The window's start (inclusive).</param>
/// <param name="End">The window's end (exclusive); the watermark reached it.</param>
/// <param name="Events">Events of the key whose time falls in the window.</param>
public sealed record WindowResult(string Key, DateTimeOffset Start, DateTimeOffset End, long Events);
