using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using FlowState.Files;

namespace FlowState.Streaming;

/// <summary>
/// Exactly-once JSON-lines output in a folder: each epoch's messages are written to a hidden in-progress file, fsynced
/// and renamed to a pending file at the checkpoint barrier, and renamed to <c>part-{epoch}.jsonl</c> when the checkpoint
/// completes. Readers take the <c>part-*.jsonl</c> files in name order; they never see an uncommitted line.
/// The folder is the sink's alone: it carries a marker (<c>.flowstate-sink</c>), recovery removes only the sink's own
/// part files, and a folder that already holds other files is refused.
/// </summary>
public sealed class JsonLinesFileSink : TwoPhaseCommitSink
{
    private const string PartPrefix = "part-";
    private const string CommittedSuffix = ".jsonl";
    private const string PendingSuffix = ".pending";
    private const string InProgressSuffix = ".inprogress";
    private const string Marker = ".flowstate-sink";
    // Output is read by people and tools, not embedded in HTML: '+', '<' or 'é' need no escaping.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly string _directory;
    private const int FileWriteSize = 1 << 16;
    private readonly ArrayBufferWriter<byte> _buffer = new(FileWriteSize + 4096);
    private FileStream? _file;
    private string? _handle;

    /// <summary>Writes into <paramref name="directory"/> (created when missing; it must be empty or this sink's folder).</summary>
    /// <exception cref="StreamException">The folder holds files the sink did not write.</exception>
    public JsonLinesFileSink(string name, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Name = name;
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
        var marker = Path.Combine(_directory, Marker);
        if (File.Exists(marker))
        {
            return;
        }

        // Taken on only when empty, or holding nothing but part files (written by an earlier version, before the marker).
        var foreign = new DirectoryInfo(_directory).EnumerateFileSystemInfos()
            .Where(entry => entry is not FileInfo || !IsOwnFile(entry.Name))
            .Select(entry => entry.Name)
            .ToList();
        if (foreign.Count > 0)
        {
            throw new StreamException(
                $"Sink '{Name}': the folder '{_directory}' holds files the sink did not write ({string.Join(", ", foreign.Take(3))}{(foreign.Count > 3 ? $" and {foreign.Count - 3} more" : string.Empty)}); " +
                "its output needs a folder of its own, because recovery removes uncommitted output there. Choose an empty or new folder.");
        }

        using (var stream = new FileStream(marker, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write("FlowState JSON-lines sink output: part-*.jsonl files are committed output.\n"u8);
            stream.Flush(flushToDisk: true);
        }

        DurableDirectory.Sync(_directory);
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>True to write <c>{"key":…,"value":…}</c> per line instead of the value alone.</summary>
    public bool IncludeKeys { get; init; }

    /// <summary>The committed part files of <paramref name="directory"/>, in order.</summary>
    public static IReadOnlyList<string> ListCommittedFiles(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory, PartPrefix + "*" + CommittedSuffix).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Every committed line of <paramref name="directory"/>, in commit order.</summary>
    public static async Task<IReadOnlyList<string>> ReadCommittedLinesAsync(string directory, CancellationToken cancellationToken = default)
    {
        var lines = new List<string>();
        foreach (var file in ListCommittedFiles(directory))
        {
            lines.AddRange(await File.ReadAllLinesAsync(file, cancellationToken).ConfigureAwait(false));
        }

        return lines;
    }

    /// <inheritdoc />
    protected internal override ValueTask BeginTransactionAsync(long epoch, CancellationToken cancellationToken)
    {
        _handle = PartPrefix + epoch.ToString("D19", CultureInfo.InvariantCulture);
        // A leftover of an attempt at this epoch that never pre-committed is replaced.
        _file = new FileStream(Hidden(_handle, InProgressSuffix), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected internal override async ValueTask WriteToTransactionAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        var file = _file ?? throw new InvalidOperationException("No transaction is open.");

        // The lines are built in memory and reach the file in one write per batch (or per 64 KiB). Writing through
        // Utf8JsonWriter straight to the file flushed the FileStream at every message: one write system call per
        // line, 500,196 of them for a 500,000-word count.
        var buffer = _buffer;
        buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        foreach (var message in messages)
        {
            if (IncludeKeys)
            {
                writer.WriteStartObject();
                writer.WriteString("key", message.Key);
                writer.WritePropertyName("value");
                message.Value.WriteTo(writer);
                writer.WriteEndObject();
            }
            else
            {
                message.Value.WriteTo(writer);
            }

            writer.Flush();
            buffer.GetSpan(1)[0] = (byte)'\n';
            buffer.Advance(1);
            writer.Reset(buffer);
            if (buffer.WrittenCount >= FileWriteSize)
            {
                await file.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        await file.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        buffer.ResetWrittenCount();
    }

    /// <inheritdoc />
    protected internal override async ValueTask<string> PreCommitAsync(CancellationToken cancellationToken)
    {
        var file = _file ?? throw new InvalidOperationException("No transaction is open.");
        var handle = _handle!;
        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        file.Flush(flushToDisk: true);
        await file.DisposeAsync().ConfigureAwait(false);
        _file = null;
        File.Move(Hidden(handle, InProgressSuffix), Hidden(handle, PendingSuffix), overwrite: true);
        DurableDirectory.Sync(_directory);
        return handle;
    }

    /// <inheritdoc />
    protected internal override ValueTask CommitAsync(string handle, CancellationToken cancellationToken)
    {
        var pending = Hidden(CheckHandle(handle), PendingSuffix);
        var committed = Path.Combine(_directory, handle + CommittedSuffix);
        if (File.Exists(pending))
        {
            File.Move(pending, committed, overwrite: true);
            DurableDirectory.Sync(_directory);
        }
        else if (!File.Exists(committed))
        {
            throw new StreamException(
                $"Sink '{Name}': the pre-committed output '{handle}' is neither pending nor committed in '{_directory}'; it was removed by hand, so its messages are lost.");
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected internal override async ValueTask AbortAsync(CancellationToken cancellationToken)
    {
        if (_file is not null)
        {
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
            File.Delete(Hidden(_handle!, InProgressSuffix));
        }
    }

    /// <inheritdoc />
    protected internal override async ValueTask<long> RecoverAsync(IReadOnlyCollection<string> toCommit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(toCommit);
        foreach (var handle in toCommit)
        {
            await CommitAsync(handle, cancellationToken).ConfigureAwait(false);
        }

        foreach (var leftover in Directory.EnumerateFiles(_directory, "." + PartPrefix + "*"))
        {
            if (leftover.EndsWith(PendingSuffix, StringComparison.Ordinal) || leftover.EndsWith(InProgressSuffix, StringComparison.Ordinal))
            {
                File.Delete(leftover);
            }
        }

        var highest = 0L;
        foreach (var file in ListCommittedFiles(_directory))
        {
            var name = Path.GetFileName(file)[PartPrefix.Length..^CommittedSuffix.Length];
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            {
                highest = Math.Max(highest, epoch);
            }
        }

        return highest;
    }

    /// <inheritdoc />
    protected internal override bool CanRemoveCommittedOutput => true;

    /// <inheritdoc />
    protected internal override ValueTask<int> RemoveCommittedAfterAsync(long epoch, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var file in ListCommittedFiles(_directory))
        {
            var name = Path.GetFileName(file)[PartPrefix.Length..^CommittedSuffix.Length];
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var fileEpoch) && fileEpoch > epoch)
            {
                File.Delete(file);
                removed++;
            }
        }

        return ValueTask.FromResult(removed);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await AbortAsync(CancellationToken.None).ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private static bool IsOwnFile(string name) =>
        (name.StartsWith(PartPrefix, StringComparison.Ordinal) && name.EndsWith(CommittedSuffix, StringComparison.Ordinal))
        || (name.StartsWith("." + PartPrefix, StringComparison.Ordinal) && (name.EndsWith(PendingSuffix, StringComparison.Ordinal) || name.EndsWith(InProgressSuffix, StringComparison.Ordinal)));

    private string Hidden(string handle, string suffix) => Path.Combine(_directory, "." + handle + suffix);

    private string CheckHandle(string handle) =>
        handle.StartsWith(PartPrefix, StringComparison.Ordinal) && handle.IndexOfAny(['/', '\\']) < 0
            ? handle
            : throw new StreamException($"Sink '{Name}': '{handle}' is not a transaction handle of this sink.");
}
