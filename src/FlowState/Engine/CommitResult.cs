namespace FlowState;

/// <summary>What a commit did: the version it wrote and how many keys it removed.</summary>
internal readonly record struct CommitResult(long Version, long Removed);
