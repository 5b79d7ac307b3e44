namespace FlowState.Checkpoints;

/// <summary>Reading a checkpoint storage without a pipeline: what tools (the inspector, the CLI) show.</summary>
public static class CheckpointStorageExtensions
{
    /// <summary>
    /// The complete checkpoints in <paramref name="storage"/>, oldest first. A checkpoint that retention deletes while
    /// this reads is left out.
    /// </summary>
    /// <exception cref="StateCorruptedException">A manifest is damaged.</exception>
    public static async Task<IReadOnlyList<CheckpointManifest>> ListCheckpointsAsync(this ICheckpointStorage storage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var manifests = new List<CheckpointManifest>();
        foreach (var id in await storage.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await storage.ReadManifestAsync(id, cancellationToken).ConfigureAwait(false) is { } bytes)
            {
                manifests.Add(CheckpointManifestCodec.Decode(bytes, id, storage.Description));
            }
        }

        return manifests;
    }

    /// <summary>
    /// Copies checkpoint <paramref name="checkpointId"/> of <paramref name="source"/>, with every checkpoint it builds on
    /// (its increments' parents down to the full base), into <paramref name="destination"/>, which holds no checkpoint:
    /// manifests and state files alike, under the same ids, so a pipeline on the destination recovers exactly what it
    /// would have recovered from the source. Any two storages (a folder, S3) work; nothing in the source changes.
    /// What savepoints are made of (<see cref="Streaming.StreamPipeline.CreateSavepointAsync"/>).
    /// </summary>
    /// <returns>How many checkpoints were copied (1 for a full one).</returns>
    /// <exception cref="Streaming.CheckpointException">The destination already holds checkpoints, or the checkpoint or one it builds on is gone from the source.</exception>
    /// <exception cref="StateCorruptedException">A manifest is damaged.</exception>
    public static async Task<int> CopyCheckpointAsync(this ICheckpointStorage source, long checkpointId, ICheckpointStorage destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if ((await destination.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            throw new Streaming.CheckpointException(
                $"'{destination.Description}' already holds checkpoints; a checkpoint is copied into storage of its own (a new folder or prefix), so that it is the one recovered from there.");
        }

        var chain = new List<(long Id, byte[] Bytes, CheckpointManifest Manifest)>();
        for (long? at = checkpointId; at is { } id;)
        {
            byte[] bytes = await source.ReadManifestAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw new Streaming.CheckpointException(id == checkpointId
                    ? $"'{source.Description}' has no complete checkpoint {id}."
                    : $"Checkpoint {checkpointId} in '{source.Description}' builds on checkpoint {id}, which is gone (retention or a hand deleted it); copy a newer checkpoint.");
            var manifest = CheckpointManifestCodec.Decode(bytes, id, source.Description);
            chain.Add((id, bytes, manifest));
            at = manifest.ParentId;
        }

        chain.Reverse();
        foreach (var (id, bytes, manifest) in chain)
        {
            foreach (var file in manifest.Files)
            {
                var content = await source.ReadDataAsync(manifest.DataKey, file.Name, cancellationToken).ConfigureAwait(false);
                await destination.WriteDataAsync(manifest.DataKey, file.Name, content, cancellationToken).ConfigureAwait(false);
            }

            // The manifest last, as a checkpoint completes: a copy cut short leaves nothing a recovery would take.
            if (!await destination.TryWriteManifestAsync(id, bytes, cancellationToken).ConfigureAwait(false))
            {
                throw new Streaming.CheckpointException($"Checkpoint {id} was claimed in '{destination.Description}' while it was being copied there; copy into storage nothing else writes to.");
            }
        }

        return chain.Count;
    }
}
