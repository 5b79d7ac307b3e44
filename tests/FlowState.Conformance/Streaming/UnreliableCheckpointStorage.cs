using FlowState.Checkpoints;

namespace FlowState.Conformance;

/// <summary>A real checkpoint storage whose next manifest writes fail with an <see cref="IOException"/>, as a full disk would.</summary>
public sealed class UnreliableCheckpointStorage(ICheckpointStorage inner) : ICheckpointStorage
{
    private int _failures;

    /// <summary>The ids whose manifest write failed.</summary>
    public List<long> Failed { get; } = [];

    public string Description => inner.Description;

    /// <summary>Makes the next <paramref name="count"/> manifest writes fail.</summary>
    public void FailNextManifests(int count) => Volatile.Write(ref _failures, count);

    public Task WriteDataAsync(string dataKey, string fileName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        inner.WriteDataAsync(dataKey, fileName, content, cancellationToken);

    public Task<byte[]> ReadDataAsync(string dataKey, string fileName, CancellationToken cancellationToken) => inner.ReadDataAsync(dataKey, fileName, cancellationToken);

    public Task<bool> TryWriteManifestAsync(long checkpointId, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            lock (Failed)
            {
                Failed.Add(checkpointId);
            }

            throw new IOException($"No space left on device (injected) writing manifest {checkpointId}");
        }

        return inner.TryWriteManifestAsync(checkpointId, manifest, cancellationToken);
    }

    public Task<byte[]?> ReadManifestAsync(long checkpointId, CancellationToken cancellationToken) => inner.ReadManifestAsync(checkpointId, cancellationToken);

    public Task<IReadOnlyList<long>> ListCheckpointIdsAsync(CancellationToken cancellationToken) => inner.ListCheckpointIdsAsync(cancellationToken);

    public Task<long> GetHighestClaimedIdAsync(CancellationToken cancellationToken) => inner.GetHighestClaimedIdAsync(cancellationToken);

    public Task<IReadOnlyList<string>> ListDataKeysAsync(CancellationToken cancellationToken) => inner.ListDataKeysAsync(cancellationToken);

    public Task DeleteManifestAsync(long checkpointId, CancellationToken cancellationToken) => inner.DeleteManifestAsync(checkpointId, cancellationToken);

    public Task DeleteDataAsync(string dataKey, CancellationToken cancellationToken) => inner.DeleteDataAsync(dataKey, cancellationToken);
}
