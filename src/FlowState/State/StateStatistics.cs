namespace FlowState;

/// <summary>Counters of a store or of one scope subtree.</summary>
/// <param name="Entries">Live entries (expired ones excluded).</param>
/// <param name="Bytes">Bytes of live entries (UTF-8 key plus value).</param>
/// <param name="Hits">Reads that found a live entry.</param>
/// <param name="Misses">Reads that found nothing (or only an expired entry).</param>
/// <param name="Evictions">Entries evicted for capacity.</param>
/// <param name="Expirations">Entries removed because their time to live ran out.</param>
public sealed record StateStatistics(long Entries, long Bytes, long Hits, long Misses, long Evictions, long Expirations);
