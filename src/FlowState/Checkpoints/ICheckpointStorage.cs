using FlowState.Streaming;

namespace FlowState.Checkpoints;

/// <summary>
/// Where checkpoints live: data files under a data key (one folder or prefix per checkpoint attempt) and one manifest
/// per checkpoint id. A checkpoint is complete exactly when its manifest exists; a manifest is written whole or not at
/// all, and only once per id, so two coordinators can never both complete the same checkpoint.
/// </summary>
/// <remarks>
/// Which calls may overlap: every method may be called concurrently with every other, from this process and others
/// (the state files of one checkpoint are written in parallel, retention deletes older checkpoints while newer ones
/// are written, a second process may claim ids). The one file a caller never writes twice at once is the same data
/// file of the same data key; <see cref="TryWriteManifestAsync"/> must stay atomic against concurrent claims of the
/// same id.
/// </remarks>
public interface ICheckpointStorage
{
    /// <summary>Names the storage in messages (a folder, a bucket and prefix).</summary>
    string Description { get; }

    /// <summary>Writes one data file durably (it survives a crash once the task completes).</summary>
    Task WriteDataAsync(string dataKey, string fileName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Reads a data file.</summary>
    /// <exception cref="CheckpointException">The file does not exist.</exception>
    Task<byte[]> ReadDataAsync(string dataKey, string fileName, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the manifest of checkpoint <paramref name="checkpointId"/> atomically and durably, unless that id was already
    /// claimed; returns false (and writes nothing) when it was.
    /// </summary>
    Task<bool> TryWriteManifestAsync(long checkpointId, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken);

    /// <summary>The manifest of a checkpoint, or null when it has none (it never completed, or was deleted).</summary>
    Task<byte[]?> ReadManifestAsync(long checkpointId, CancellationToken cancellationToken);

    /// <summary>The ids of every complete checkpoint, ascending.</summary>
    Task<IReadOnlyList<long>> ListCheckpointIdsAsync(CancellationToken cancellationToken);

    /// <summary>The highest checkpoint id ever claimed (complete or not), or 0: new ids continue after it.</summary>
    Task<long> GetHighestClaimedIdAsync(CancellationToken cancellationToken);

    /// <summary>The data keys present, complete checkpoints' and abandoned attempts' alike.</summary>
    Task<IReadOnlyList<string>> ListDataKeysAsync(CancellationToken cancellationToken);

    /// <summary>Deletes a checkpoint's manifest (first, so it stops being complete) and its claim.</summary>
    Task DeleteManifestAsync(long checkpointId, CancellationToken cancellationToken);

    /// <summary>Deletes every data file under <paramref name="dataKey"/>.</summary>
    Task DeleteDataAsync(string dataKey, CancellationToken cancellationToken);
}
