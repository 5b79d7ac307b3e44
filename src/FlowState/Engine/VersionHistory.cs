using System.Globalization;
using System.Text.Json;

namespace FlowState;

/// <summary>
/// The last N versions of each key of the scopes that keep history (N set per scope, inherited by child scopes), in
/// memory, and their records in a backend: under "$history/{scope storage key}", keyed "{key}\n{version:D19}" (a key
/// never holds a control character).
/// </summary>
/// <remarks>
/// Invariant: a key's list holds at most its scope's depth of versions, oldest first. Lock: the store's write lock,
/// for every call; the depths never change after construction, so <see cref="IsKept"/> is read without it.
/// </remarks>
internal sealed class VersionHistory(IDictionary<StateScope, int> depths)
{
    /// <summary>The scope storage key prefix of history records in a backend (no <see cref="StateScope"/> starts with '$').</summary>
    public const string ScopePrefix = "$history/";

    private readonly Dictionary<StateScope, int> _depths = new(depths);
    private readonly Dictionary<(string ScopeKey, string Key), List<StateHistoryEntry>> _versions = [];

    /// <summary>Whether any scope keeps history.</summary>
    public bool IsKept => _depths.Count != 0;

    /// <summary>How many versions <paramref name="scope"/> keeps: its own depth or its nearest ancestor's, 0 for none.</summary>
    public int DepthOf(StateScope scope)
    {
        for (StateScope? s = scope; s is not null; s = s.Parent)
        {
            if (_depths.TryGetValue(s, out var depth))
            {
                return depth;
            }
        }

        return 0;
    }

    /// <summary>The versions of a key, newest first.</summary>
    public IReadOnlyList<StateHistoryEntry> NewestFirst(StateScope scope, string key) =>
        _versions.TryGetValue((scope.StorageKey, key), out var versions) ? [.. Enumerable.Reverse(versions)] : [];

    /// <summary>The versions of a key, oldest first, to add to (created empty).</summary>
    public List<StateHistoryEntry> VersionsOf(string scopeKey, string key)
    {
        if (!_versions.TryGetValue((scopeKey, key), out var versions))
        {
            _versions[(scopeKey, key)] = versions = [];
        }

        return versions;
    }

    /// <summary>Takes a version added by a change that was then undone out again.</summary>
    public void Remove(StateScope scope, string key, StateHistoryEntry record)
    {
        if (_versions.TryGetValue((scope.StorageKey, key), out var versions))
        {
            versions.Remove(record);
            if (versions.Count == 0)
            {
                _versions.Remove((scope.StorageKey, key));
            }
        }
    }

    /// <summary>Puts back the oldest version, dropped by a change that was then undone.</summary>
    public void Restore(StateScope scope, string key, StateHistoryEntry record) => VersionsOf(scope.StorageKey, key).Insert(0, record);

    /// <summary>The key of a version's record in a backend.</summary>
    public static string RecordKey(string key, long version) => key + "\n" + version.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>A version as a backend record.</summary>
    public static BackendEntry ToBackend(string scopeKey, string key, StateHistoryEntry record)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("at", record.ChangedAt.UtcTicks);
            writer.WriteBoolean("deleted", record.IsDeleted);
            if (record.Bytes is { } value)
            {
                writer.WritePropertyName("value");
                writer.WriteRawValue(value, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return new BackendEntry(ScopePrefix + scopeKey, RecordKey(key, record.Version), buffer.ToArray(), record.Version, 0, 0, false);
    }

    /// <summary>A version read back from its backend record.</summary>
    public static StateHistoryEntry FromBackend(BackendEntry record)
    {
        using var document = JsonDocument.Parse(record.Value);
        var root = document.RootElement;
        var deleted = root.GetProperty("deleted").GetBoolean();
        var value = deleted ? null : System.Text.Encoding.UTF8.GetBytes(root.GetProperty("value").GetRawText());
        return new StateHistoryEntry(record.Version, root.GetProperty("at").GetInt64(), value);
    }
}
