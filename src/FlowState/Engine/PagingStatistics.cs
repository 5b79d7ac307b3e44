namespace FlowState;

/// <summary>What a bounded store with a backend keeps in memory, and how often values left memory and came back.</summary>
/// <param name="ResidentEntries">Values in memory.</param>
/// <param name="ResidentBytes">Their bytes (key and value).</param>
/// <param name="PageOuts">How many times a value left memory (it stays in the backend).</param>
/// <param name="PageIns">How many times a value was read back from the backend.</param>
public sealed record PagingStatistics(long ResidentEntries, long ResidentBytes, long PageOuts, long PageIns);
