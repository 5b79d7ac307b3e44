using FlowState.Checkpoints;

namespace FlowState.Conformance;

/// <summary>A real checkpoint storage that, once asked, holds the next manifest write until released, as a slow disk would.</summary>
public sealed class HeldManifestCheckpointStorage(ICheckpointStorage inner) : DelegatingCheckpointStorage(inner)
{
    private readonly TaskCompletionSource<long> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _holdNext;

    /// <summary>Completes with the checkpoint id once a manifest write is being held.</summary>
    public Task<long> Held => _held.Task;

    /// <summary>Holds the next manifest write.</summary>
    public void HoldNextManifest() => _holdNext = true;

    /// <summary>Lets the held manifest write go on.</summary>
    public void Release() => _released.TrySetResult();

    public override async Task<bool> TryWriteManifestAsync(long checkpointId, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        if (_holdNext)
        {
            _holdNext = false;
            _held.TrySetResult(checkpointId);
            await _released.Task.WaitAsync(cancellationToken);
        }

        return await Inner.TryWriteManifestAsync(checkpointId, manifest, cancellationToken);
    }
}
