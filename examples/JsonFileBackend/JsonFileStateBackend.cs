using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FlowState;
using FlowState.Files;

namespace JsonFileBackend;

/// <summary>
/// A FlowState backend that keeps the whole state in one JSON file, rewritten for every batch: written beside the
/// file, synced when the batch asks for <see cref="Durability.Machine"/>, and renamed over it — so a batch is in the
/// file whole or not at all, and a crash at any point leaves the previous or the next state. It is a template for
/// writing a backend and runs FlowState's conformance kit (FlowState.Testing); every batch costs a write of the whole
/// state, so it suits small stores only.
/// </summary>
public sealed class JsonFileStateBackend(string path) : IStateBackend, IStateBackupSource
{
    private const string Format = "flowstate-example-json-file/1";

    // ApplyAsync never overlaps itself (the store's contract), but a backup may overlap it: the lock orders the two.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    // Readers (GetAsync, ScanAsync, backups) take the current snapshot without a lock; ApplyAsync swaps in a new one
    // only after the file holding it is in place, so a reader never sees a batch the file does not hold.
    private ImmutableSortedDictionary<EntryKey, BackendEntry> _entries = ImmutableSortedDictionary<EntryKey, BackendEntry>.Empty;

    /// <summary>The file's full path.</summary>
    public string Description { get; } = Path.GetFullPath(path);

    /// <summary>Reads the file if it exists; a file left beside it by a crash mid-write is removed.</summary>
    /// <exception cref="StateCorruptedException">The file is not a state file this backend wrote.</exception>
    /// <exception cref="StateBackendException">The file cannot be read.</exception>
    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Description)!);
            File.Delete(TemporaryPath);
            if (File.Exists(Description))
            {
                _entries = Read(File.ReadAllBytes(Description));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateBackendException($"Could not open the JSON state file '{Description}': {e.Message}", e);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The entries under <paramref name="scopeKeyPrefix"/>, ordered by scope and key.</summary>
    public async IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKeyPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKeyPrefix);
        if (scopeKeyPrefix.Length > 0 && !scopeKeyPrefix.EndsWith('/'))
        {
            throw new ArgumentException($"'{scopeKeyPrefix}' is not a scope's storage key (it ends in '/').", nameof(scopeKeyPrefix));
        }

        await Task.CompletedTask;
        foreach (var (key, entry) in _entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (key.ScopeKey.StartsWith(scopeKeyPrefix, StringComparison.Ordinal))
            {
                yield return entry;
            }
        }
    }

    /// <summary>One entry, or null.</summary>
    public ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_entries.GetValueOrDefault(new EntryKey(scopeKey, key)));

    /// <summary>Writes the state with <paramref name="changes"/> applied to a new file and renames it over the old one.</summary>
    /// <exception cref="StateBackendException">The file could not be written; the old one, and memory, are unchanged.</exception>
    public async ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var next = _entries.ToBuilder();
            foreach (var change in changes)
            {
                if (change.Entry is { } entry)
                {
                    next[new EntryKey(change.ScopeKey, change.Key)] = entry;
                }
                else
                {
                    next.Remove(new EntryKey(change.ScopeKey, change.Key));
                }
            }

            var entries = next.ToImmutable();
            try
            {
                Write(TemporaryPath, entries, durability == Durability.Machine);
                File.Move(TemporaryPath, Description, overwrite: true);
                if (durability == Durability.Machine)
                {
                    DurableDirectory.Sync(Path.GetDirectoryName(Description)!);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TryDelete(TemporaryPath);
                throw new StateBackendException($"Could not write the JSON state file '{Description}': {e.Message}", e);
            }

            _entries = entries;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes the state as of the call to <paramref name="destination"/>, synced; open it with a backend of its own.</summary>
    /// <exception cref="IOException"><paramref name="destination"/> exists.</exception>
    /// <exception cref="StateBackendException">The copy could not be written.</exception>
    public async ValueTask BackupAsync(string destination, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        if (File.Exists(destination) || Directory.Exists(destination))
        {
            throw new IOException($"The backup destination '{destination}' exists; choose a new path.");
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            Write(destination, _entries, sync: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateBackendException($"Could not write the backup '{destination}' of '{Description}': {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Releases the lock; the file needs no closing (each write opens and closes it).</summary>
    public ValueTask DisposeAsync()
    {
        _writeLock.Dispose();
        return ValueTask.CompletedTask;
    }

    private string TemporaryPath => Description + ".tmp";

    private static void Write(string file, ImmutableSortedDictionary<EntryKey, BackendEntry> entries, bool sync)
    {
        using var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteStartArray("entries");
            foreach (var entry in entries.Values)
            {
                json.WriteStartObject();
                json.WriteString("scope", entry.ScopeKey);
                json.WriteString("key", entry.Key);
                json.WriteNumber("version", entry.Version);
                json.WriteNumber("expires", entry.ExpiresAtUtcTicks);
                json.WriteNumber("ttl", entry.TimeToLiveTicks);
                json.WriteBoolean("sliding", entry.Sliding);
                // The store hands over JSON; kept as JSON, the file stays readable and the bytes read back unchanged.
                json.WritePropertyName("value");
                json.WriteRawValue(entry.Value, skipInputValidation: true);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        stream.Flush(flushToDisk: sync);
    }

    private ImmutableSortedDictionary<EntryKey, BackendEntry> Read(byte[] content)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != Format)
            {
                throw Corrupted($"it does not start with the format '{Format}'", null);
            }

            var entries = ImmutableSortedDictionary.CreateBuilder<EntryKey, BackendEntry>();
            foreach (var item in root.GetProperty("entries").EnumerateArray())
            {
                var entry = new BackendEntry(
                    item.GetProperty("scope").GetString()!,
                    item.GetProperty("key").GetString()!,
                    System.Text.Encoding.UTF8.GetBytes(item.GetProperty("value").GetRawText()),
                    item.GetProperty("version").GetInt64(),
                    item.GetProperty("expires").GetInt64(),
                    item.GetProperty("ttl").GetInt64(),
                    item.GetProperty("sliding").GetBoolean());
                entries[new EntryKey(entry.ScopeKey, entry.Key)] = entry;
            }

            return entries.ToImmutable();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Corrupted(e.Message, e);
        }
    }

    private StateCorruptedException Corrupted(string why, Exception? inner)
    {
        var message = $"The JSON state file '{Description}' is damaged ({why}). Restore it from a backup, or move it away to start with an empty store.";
        return inner is null ? new(message) { Location = Description } : new(message, inner) { Location = Description };
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Removed at the next open.
        }
    }
}
