using FlowState.Checkpoints;

namespace FlowState.Conformance;

/// <summary>A checkpoint storage that passes every call to a real one; fault-injecting storages override what they break.</summary>
public abstract class DelegatingCheckpointStorage(ICheckpointStorage inner) : ICheckpointStorage
{
    protected ICheckpointStorage Inner { get; } = inner;

    public string Description => Inner.Description;

    public virtual Task WriteDataAsync(string dataKey, string fileName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        Inner.WriteDataAsync(dataKey, fileName, content, cancellationToken);

    public Task<byte[]> ReadDataAsync(string dataKey, string fileName, CancellationToken cancellationToken) => Inner.ReadDataAsync(dataKey, fileName, cancellationToken);

    public virtual Task<bool> TryWriteManifestAsync(long checkpointId, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken) =>
        Inner.TryWriteManifestAsync(checkpointId, manifest, cancellationToken);

    public Task<byte[]?> ReadManifestAsync(long checkpointId, CancellationToken cancellationToken) => Inner.ReadManifestAsync(checkpointId, cancellationToken);

    public Task<IReadOnlyList<long>> ListCheckpointIdsAsync(CancellationToken cancellationToken) => Inner.ListCheckpointIdsAsync(cancellationToken);

    public Task<long> GetHighestClaimedIdAsync(CancellationToken cancellationToken) => Inner.GetHighestClaimedIdAsync(cancellationToken);

    public Task<IReadOnlyList<string>> ListDataKeysAsync(CancellationToken cancellationToken) => Inner.ListDataKeysAsync(cancellationToken);

    public Task DeleteManifestAsync(long checkpointId, CancellationToken cancellationToken) => Inner.DeleteManifestAsync(checkpointId, cancellationToken);

    public Task DeleteDataAsync(string dataKey, CancellationToken cancellationToken) => Inner.DeleteDataAsync(dataKey, cancellationToken);
}
