using FlowState.Checkpoints;

namespace FlowState.Conformance;

/// <summary>A real checkpoint storage whose next manifest writes fail with an <see cref="IOException"/>, as a full disk would.</summary>
public sealed class UnreliableCheckpointStorage(ICheckpointStorage inner) : DelegatingCheckpointStorage(inner)
{
    private int _failures;

    /// <summary>The ids whose manifest write failed.</summary>
    public List<long> Failed { get; } = [];

    /// <summary>Makes the next <paramref name="count"/> manifest writes fail.</summary>
    public void FailNextManifests(int count) => Volatile.Write(ref _failures, count);

    public override Task<bool> TryWriteManifestAsync(long checkpointId, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            lock (Failed)
            {
                Failed.Add(checkpointId);
            }

            throw new IOException($"No space left on device (injected) writing manifest {checkpointId}");
        }

        return Inner.TryWriteManifestAsync(checkpointId, manifest, cancellationToken);
    }
}
