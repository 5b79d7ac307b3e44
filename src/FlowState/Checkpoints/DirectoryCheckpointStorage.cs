using System.Globalization;

namespace FlowState.Checkpoints;

/// <summary>
/// Checkpoints in a local folder: <c>data/{dataKey}/{file}</c> and <c>manifests/{id}.json</c>. Files are written to a
/// temporary name, fsynced and renamed; a manifest id is claimed first with an exclusive create
/// (<c>manifests/{id}.claim</c>), so two coordinators on one folder cannot both complete one id.
/// </summary>
public sealed class DirectoryCheckpointStorage : ICheckpointStorage
{
    private const string ManifestSuffix = ".json";
    private const string ClaimSuffix = ".claim";
    private readonly string _manifests;
    private readonly string _data;

    /// <summary>Uses (and creates) <paramref name="directory"/>.</summary>
    public DirectoryCheckpointStorage(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        _manifests = Path.Combine(Directory, "manifests");
        _data = Path.Combine(Directory, "data");
        System.IO.Directory.CreateDirectory(_manifests);
        System.IO.Directory.CreateDirectory(_data);
    }

    /// <summary>The folder, as a full path.</summary>
    public string Directory { get; }

    /// <inheritdoc />
    public string Description => Directory;

    /// <inheritdoc />
    public async Task WriteDataAsync(string dataKey, string fileName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(_data, CheckName(dataKey));
        System.IO.Directory.CreateDirectory(folder);
        await WriteDurablyAsync(Path.Combine(folder, CheckName(fileName)), content, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadDataAsync(string dataKey, string fileName, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_data, CheckName(dataKey), CheckName(fileName));
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new Streaming.CheckpointException($"The checkpoint file '{path}' is missing; the checkpoint cannot be restored (was the folder changed by hand?).", ex);
        }
    }

    /// <inheritdoc />
    public async Task<bool> TryWriteManifestAsync(long checkpointId, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        var claim = Path.Combine(_manifests, Name(checkpointId) + ClaimSuffix);
        try
        {
            // O_CREAT|O_EXCL: exactly one creator wins, across processes.
            await using (new FileStream(claim, FileMode.CreateNew, FileAccess.Write, FileShare.None).ConfigureAwait(false))
            {
            }
        }
        catch (IOException) when (File.Exists(claim))
        {
            return false;
        }

        await WriteDurablyAsync(Path.Combine(_manifests, Name(checkpointId) + ManifestSuffix), manifest, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task<byte[]?> ReadManifestAsync(long checkpointId, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(Path.Combine(_manifests, Name(checkpointId) + ManifestSuffix), cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<long>> ListCheckpointIdsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<long>>(ListIds(ManifestSuffix));

    /// <inheritdoc />
    public Task<long> GetHighestClaimedIdAsync(CancellationToken cancellationToken)
    {
        var ids = ListIds(ClaimSuffix);
        var manifests = ListIds(ManifestSuffix);
        return Task.FromResult(Math.Max(ids.Count == 0 ? 0 : ids[^1], manifests.Count == 0 ? 0 : manifests[^1]));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListDataKeysAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. System.IO.Directory.EnumerateDirectories(_data).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)]);

    /// <inheritdoc />
    public Task DeleteManifestAsync(long checkpointId, CancellationToken cancellationToken)
    {
        File.Delete(Path.Combine(_manifests, Name(checkpointId) + ManifestSuffix));
        File.Delete(Path.Combine(_manifests, Name(checkpointId) + ClaimSuffix));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DeleteDataAsync(string dataKey, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(_data, CheckName(dataKey));
        if (System.IO.Directory.Exists(folder))
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => Directory;

    private static async Task WriteDurablyAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private List<long> ListIds(string suffix)
    {
        var ids = new List<long>();
        foreach (var file in System.IO.Directory.EnumerateFiles(_manifests, "*" + suffix))
        {
            var name = Path.GetFileName(file)[..^suffix.Length];
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                ids.Add(id);
            }
        }

        ids.Sort();
        return ids;
    }

    private static string Name(long checkpointId) => checkpointId.ToString("D19", CultureInfo.InvariantCulture);

    private static string CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a valid checkpoint file or data key name.", nameof(name));
        }

        return name;
    }
}
