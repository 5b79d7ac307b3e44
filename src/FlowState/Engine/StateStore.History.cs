using System.Globalization;
using System.Text.Json;

namespace FlowState;

// Per-scope version history: the last N versions of each key, in memory and, with a backend, as FlowState records
// under "$history/{scope storage key}" keyed "{key}\n{version:D19}" (a key never holds a control character).
public sealed partial class StateStore
{
    /// <summary>The scope storage key prefix of history records in a backend (no <see cref="StateScope"/> starts with '$').</summary>
    internal const string HistoryScopePrefix = "$history/";

    private readonly Dictionary<StateScope, int> _historyDepths;
    private readonly Dictionary<(string ScopeKey, string Key), List<StateHistoryEntry>> _history = [];

    internal IReadOnlyList<StateHistoryEntry> GetHistory(StateScope scope, string key)
    {
        StateNameValidator.ValidateKey(key);
        ThrowIfDisposed();
        if (_historyDepths.Count == 0)
        {
            return [];
        }

        lock (_writeLock)
        {
            return _history.TryGetValue((scope.StorageKey, key), out var versions) ? [.. Enumerable.Reverse(versions)] : [];
        }
    }

    private int HistoryDepth(StateScope scope)
    {
        for (StateScope? s = scope; s is not null; s = s.Parent)
        {
            if (_historyDepths.TryGetValue(s, out var depth))
            {
                return depth;
            }
        }

        return 0;
    }

    private void RecordHistoryLocked(StateScope scope, string key, long version, long now, byte[]? value)
    {
        if (_historyDepths.Count == 0 || HistoryDepth(scope) is var depth && depth == 0)
        {
            return;
        }

        var id = (scope.StorageKey, key);
        if (!_history.TryGetValue(id, out var versions))
        {
            _history[id] = versions = [];
        }

        var record = new StateHistoryEntry(version, now, value);
        versions.Add(record);
        _undurable?.HistoryChanged(UndurableChanges.Kind.HistoryAdded, version, scope, key, record, _commits!.AppliedVersion);
        if (_commits is not null)
        {
            (_pendingChanges ??= []).Add(BackendChange.Upsert(ToBackend(scope.StorageKey, key, record)));
        }

        while (versions.Count > depth)
        {
            var dropped = versions[0];
            versions.RemoveAt(0);
            _undurable?.HistoryChanged(UndurableChanges.Kind.HistoryDropped, version, scope, key, dropped, _commits!.AppliedVersion);
            if (_commits is not null)
            {
                (_pendingChanges ??= []).Add(BackendChange.Delete(HistoryScopePrefix + scope.StorageKey, RecordKey(key, dropped.Version)));
            }
        }
    }

    /// <summary>Restores history records at open; records of scopes without history now, or beyond the depth, are deleted.</summary>
    private void LoadHistory(List<BackendEntry> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        lock (_writeLock)
        {
            foreach (var record in records.OrderBy(r => r.Version))
            {
                var scopeKey = record.ScopeKey[HistoryScopePrefix.Length..];
                var split = record.Key.LastIndexOf('\n');
                StateScope scope;
                StateHistoryEntry entry;
                try
                {
                    scope = StateScope.FromStorageKey(scopeKey);
                    entry = FromBackend(record);
                }
                catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    throw new StateCorruptedException($"The backend '{_backend!.Description}' holds an unreadable history record '{record.Key}' of scope '{scopeKey}': {ex.Message}", ex) { Location = _backend!.Description };
                }

                var key = split > 0 ? record.Key[..split] : throw new StateCorruptedException($"The backend '{_backend!.Description}' holds a history record without a version: '{record.Key}'.") { Location = _backend!.Description };
                var depth = HistoryDepth(scope);
                if (depth == 0)
                {
                    (_pendingChanges ??= []).Add(BackendChange.Delete(record.ScopeKey, record.Key));
                    continue;
                }

                var id = (scopeKey, key);
                if (!_history.TryGetValue(id, out var versions))
                {
                    _history[id] = versions = [];
                }

                versions.Add(entry);
                if (versions.Count > depth)
                {
                    (_pendingChanges ??= []).Add(BackendChange.Delete(record.ScopeKey, RecordKey(key, versions[0].Version)));
                    versions.RemoveAt(0);
                }
            }

            WriteBehindLocked();
        }
    }

    private static string RecordKey(string key, long version) => key + "\n" + version.ToString("D19", CultureInfo.InvariantCulture);

    private static BackendEntry ToBackend(string scopeKey, string key, StateHistoryEntry record)
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

        return new BackendEntry(HistoryScopePrefix + scopeKey, RecordKey(key, record.Version), buffer.ToArray(), record.Version, 0, 0, false);
    }

    private static StateHistoryEntry FromBackend(BackendEntry record)
    {
        using var document = JsonDocument.Parse(record.Value);
        var root = document.RootElement;
        var deleted = root.GetProperty("deleted").GetBoolean();
        var value = deleted ? null : System.Text.Encoding.UTF8.GetBytes(root.GetProperty("value").GetRawText());
        return new StateHistoryEntry(record.Version, root.GetProperty("at").GetInt64(), value);
    }
}
