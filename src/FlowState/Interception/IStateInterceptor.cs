namespace FlowState;

/// <summary>
/// Runs before every set, merge, delete and clear (also each operation of a batch and the write of an update).
/// It may change the value (<see cref="StateWriteContext.Value"/>) or reject the operation
/// (<see cref="StateWriteContext.Reject"/> or any exception), which surfaces to the caller; nothing is written then.
/// </summary>
public interface IStateInterceptor
{
    /// <summary>Inspects, changes or rejects one write.</summary>
    ValueTask OnWriteAsync(StateWriteContext context, CancellationToken cancellationToken);
}
