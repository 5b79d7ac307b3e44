namespace FlowState.Lua;

/// <summary>
/// A script run whose commit conflicted and may run again: what the host's retry pipeline retries on (a conflict after
/// the script committed explicitly is not wrapped, so it is never retried). Carries the store's own exception.
/// </summary>
internal sealed class RetriedConflictException(StateConflictException conflict, string chunkName)
    : Exception(conflict.Message, conflict)
{
    public StateConflictException Conflict { get; } = conflict;

    public string ChunkName { get; } = chunkName;
}
