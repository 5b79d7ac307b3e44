using System.Text.Json;

namespace FlowState;

// Per-scope version history (VersionHistory keeps it): recorded with each change, written to the backend with it, undone
// with it, loaded at open.
public sealed partial class StateStore
{
    private readonly VersionHistory _history;

    internal IReadOnlyList<StateHistoryEntry> GetHistory(StateScope scope, string key)
    {
        StateNameValidator.ValidateKey(key);
        ThrowIfDisposed();
        if (!_history.IsKept)
        {
            return [];
        }

        lock (_writeLock)
        {
            return _history.NewestFirst(scope, key);
        }
    }

    private void RecordHistoryLocked(StateScope scope, string key, long version, long now, byte[]? value)
    {
        if (!_history.IsKept || _history.DepthOf(scope) is var depth && depth == 0)
        {
            return;
        }

        var versions = _history.VersionsOf(scope.StorageKey, key);

        var record = new StateHistoryEntry(version, now, value);
        versions.Add(record);
        _undurable?.HistoryChanged(UndurableChanges.Kind.HistoryAdded, version, scope, key, record, _commits!.AppliedVersion);
        if (_commits is not null)
        {
            (_pendingChanges ??= []).Add(BackendChange.Upsert(VersionHistory.ToBackend(scope.StorageKey, key, record)));
        }

        while (versions.Count > depth)
        {
            var dropped = versions[0];
            versions.RemoveAt(0);
            _undurable?.HistoryChanged(UndurableChanges.Kind.HistoryDropped, version, scope, key, dropped, _commits!.AppliedVersion);
            if (_commits is not null)
            {
                (_pendingChanges ??= []).Add(BackendChange.Delete(VersionHistory.ScopePrefix + scope.StorageKey, VersionHistory.RecordKey(key, dropped.Version)));
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
                var scopeKey = record.ScopeKey[VersionHistory.ScopePrefix.Length..];
                var split = record.Key.LastIndexOf('\n');
                StateScope scope;
                StateHistoryEntry entry;
                try
                {
                    scope = StateScope.FromStorageKey(scopeKey);
                    entry = VersionHistory.FromBackend(record);
                }
                catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    throw new StateCorruptedException($"The backend '{_backend!.Description}' holds an unreadable history record '{record.Key}' of scope '{scopeKey}': {ex.Message}", ex) { Location = _backend!.Description };
                }

                var key = split > 0 ? record.Key[..split] : throw new StateCorruptedException($"The backend '{_backend!.Description}' holds a history record without a version: '{record.Key}'.") { Location = _backend!.Description };
                var depth = _history.DepthOf(scope);
                if (depth == 0)
                {
                    (_pendingChanges ??= []).Add(BackendChange.Delete(record.ScopeKey, record.Key));
                    continue;
                }

                var versions = _history.VersionsOf(scopeKey, key);

                versions.Add(entry);
                if (versions.Count > depth)
                {
                    (_pendingChanges ??= []).Add(BackendChange.Delete(record.ScopeKey, VersionHistory.RecordKey(key, versions[0].Version)));
                    versions.RemoveAt(0);
                }
            }

            WriteBehindLocked();
        }
    }
}
