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
}
