namespace FlowState.Streaming;

/// <summary>What <see cref="CountByKeyProcessor"/> emits per message.</summary>
/// <param name="Key">The message's key.</param>
/// <param name="Count">Messages of that key counted so far, this one included.</param>
/// <param name="Id">The message's id, when it had one.</param>
public sealed record CountUpdate(string Key, long Count, string? Id);
