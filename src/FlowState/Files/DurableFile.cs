namespace FlowState.Files;

/// <summary>
/// Files that are complete or absent under their name: written under a temporary name, fsynced, renamed into place,
/// and the folder fsynced, so neither a kill nor a power loss leaves a partial file under the name.
/// </summary>
internal static class DurableFile
{
    /// <summary>What the temporary name of a file being written contains: leftovers of a kill carry it.</summary>
    public const string TemporaryInfix = ".tmp-";

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> durably (replacing a file there).</summary>
    public static Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        WriteAsync(path, (stream, token) => stream.WriteAsync(content, token).AsTask(), cancellationToken);

    /// <summary>Writes what <paramref name="write"/> writes to <paramref name="path"/> durably (replacing a file there).</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var temporary = path + TemporaryInfix + Guid.NewGuid().ToString("N");
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        // The rename is durable only once the folder's entry is: without this, a power loss can bring back the old
        // name (or none) for a file the caller was told is written.
        DurableDirectory.Sync(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
