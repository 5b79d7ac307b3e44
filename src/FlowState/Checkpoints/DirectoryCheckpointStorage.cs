using System.Globalization;
using FlowState.Files;

namespace FlowState.Checkpoints;

/// <summary>
/// Checkpoints in a local folder: <c>data/{dataKey}/{file}</c> and <c>manifests/{id}.json</c>. Files are written to a
/// temporary name, fsynced and renamed, and the folder holding them fsynced; a manifest id is claimed first with an
/// exclusive create (<c>manifests/{id}.claim</c>), so two coordinators on one folder cannot both complete one id.
/// The folder is FlowState's alone: it carries a marker file (<c>.flowstate-checkpoints</c>), as does every data
/// folder (<c>.flowstate-data</c>), and cleanup only ever removes data folders that carry the marker, and in them only
/// files, never anything below. A folder that already holds other files is refused.
/// </summary>
public sealed class DirectoryCheckpointStorage : ICheckpointStorage
{
    private const string ManifestSuffix = ".json";
    private const string ClaimSuffix = ".claim";
    private const string RootMarker = ".flowstate-checkpoints";
    private const string DataMarker = ".flowstate-data";
    private const string TemporaryInfix = DurableFile.TemporaryInfix;
    private readonly string _manifests;
    private readonly string _data;

    /// <summary>Uses (and creates) <paramref name="directory"/>, which must be empty, missing, or a checkpoint folder.</summary>
    /// <exception cref="Streaming.CheckpointException">The folder holds files that are not FlowState checkpoints.</exception>
    public DirectoryCheckpointStorage(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        _manifests = Path.Combine(Directory, "manifests");
        _data = Path.Combine(Directory, "data");
        System.IO.Directory.CreateDirectory(Directory);
        var marker = Path.Combine(Directory, RootMarker);
        if (!File.Exists(marker))
        {
            Adopt();
            WriteMarker(marker, "FlowState checkpoints: FlowState creates and deletes files under this folder.\n");
        }

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
        var marker = Path.Combine(folder, DataMarker);
        if (!File.Exists(marker))
        {
            System.IO.Directory.CreateDirectory(folder);
            WriteMarker(marker, dataKey);
        }

        await DurableFile.WriteAsync(Path.Combine(folder, CheckName(fileName)), content, cancellationToken).ConfigureAwait(false);
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

        await DurableFile.WriteAsync(Path.Combine(_manifests, Name(checkpointId) + ManifestSuffix), manifest, cancellationToken).ConfigureAwait(false);
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
        Task.FromResult<IReadOnlyList<string>>([.. new DirectoryInfo(_data).EnumerateDirectories()
            .Where(folder => !folder.Attributes.HasFlag(FileAttributes.ReparsePoint) && File.Exists(Path.Combine(folder.FullName, DataMarker)))
            .Select(folder => folder.Name)
            .Order(StringComparer.Ordinal)]);

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
        var folder = new DirectoryInfo(Path.Combine(_data, CheckName(dataKey)));
        if (!folder.Exists || folder.Attributes.HasFlag(FileAttributes.ReparsePoint) || !File.Exists(Path.Combine(folder.FullName, DataMarker)))
        {
            return Task.CompletedTask;
        }

        // The marker goes last, so an interrupted delete leaves a folder that is still recognized and deleted next time.
        foreach (var file in folder.EnumerateFiles().Where(f => f.Name != DataMarker))
        {
            file.Delete();
        }

        File.Delete(Path.Combine(folder.FullName, DataMarker));
        if (!folder.EnumerateFileSystemInfos().Any())
        {
            folder.Delete();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => Directory;

    // Several partitions write into one data folder at once: the first creates the marker, the others find it there.
    private static void WriteMarker(string path, string text)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            return;
        }

        DurableDirectory.Sync(Path.GetDirectoryName(path)!);
    }

    // A folder without the marker is taken on only when it is empty, or holds exactly what an earlier version of this
    // class wrote there (manifests, claims and data folders of checkpoint files); anything else may be the user's.
    private void Adopt()
    {
        var foreign = new List<string>();
        foreach (var entry in new DirectoryInfo(Directory).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo { Name: "manifests" } manifests && !entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                foreign.AddRange(manifests.EnumerateFileSystemInfos()
                    .Where(m => m is not FileInfo || !(m.Name.EndsWith(ManifestSuffix, StringComparison.Ordinal) || m.Name.EndsWith(ClaimSuffix, StringComparison.Ordinal) || m.Name.Contains(TemporaryInfix, StringComparison.Ordinal)))
                    .Select(m => m.FullName));
            }
            else if (entry is DirectoryInfo { Name: "data" } data && !entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                foreach (var folder in data.EnumerateFileSystemInfos())
                {
                    if (folder is not DirectoryInfo dataFolder || folder.Attributes.HasFlag(FileAttributes.ReparsePoint))
                    {
                        foreign.Add(folder.FullName);
                        continue;
                    }

                    foreign.AddRange(dataFolder.EnumerateFileSystemInfos()
                        .Where(f => f is not FileInfo || !(f.Name.EndsWith(".state", StringComparison.Ordinal) || f.Name.Contains(TemporaryInfix, StringComparison.Ordinal)))
                        .Select(f => f.FullName));
                }
            }
            else
            {
                foreign.Add(entry.FullName);
            }
        }

        if (foreign.Count > 0)
        {
            throw new Streaming.CheckpointException(
                $"The checkpoint folder '{Directory}' holds files FlowState did not create ({string.Join(", ", foreign.Take(3).Select(f => Path.GetRelativePath(Directory, f)))}{(foreign.Count > 3 ? $" and {foreign.Count - 3} more" : string.Empty)}); " +
                "checkpoints need a folder of their own, because retention deletes what it finds there. Choose an empty or new folder (e.g. checkpoint_dir: ./checkpoints).");
        }

        if (System.IO.Directory.Exists(_data))
        {
            foreach (var folder in System.IO.Directory.EnumerateDirectories(_data))
            {
                WriteMarker(Path.Combine(folder, DataMarker), Path.GetFileName(folder));
            }
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
