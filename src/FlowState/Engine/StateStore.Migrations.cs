using System.Globalization;
using System.Text;

namespace FlowState;

// Migrations at open: each runs against a staging in-memory store holding the current state; what it changed is
// written to the backend in one transaction together with the new recorded version.
public sealed partial class StateStore
{
    /// <summary>
    /// The scope storage key of FlowState's own records in a backend. No <see cref="StateScope"/> encodes to it
    /// ('$' is no segment kind), so user state can neither see nor overwrite it.
    /// </summary>
    internal const string MetadataScopeKey = "$flowstate/";

    private const string MigrationVersionKey = "migration-version";

    /// <summary>
    /// The record of the newest version a group with a delete wrote: deletes leave no row behind, so without it a
    /// store whose newest keys were deleted would reopen at an older version and hand the same numbers out again.
    /// </summary>
    internal const string VersionMarkKey = "version";

    /// <summary>The version of the last migration applied to this store's backend (0 when none ever ran).</summary>
    public int MigrationVersion { get; private set; }

    private static async Task<(List<BackendEntry> Entries, int Version)> MigrateAsync(
        StateStoreOptions options, IStateBackend backend, List<BackendEntry> entries, BackendEntry? record, CancellationToken cancellationToken)
    {
        var applied = 0;
        if (record is not null && !int.TryParse(Encoding.UTF8.GetString(record.Value), NumberStyles.None, CultureInfo.InvariantCulture, out applied))
        {
            throw new StateCorruptedException($"The backend '{backend.Description}' holds an unreadable migration version '{Encoding.UTF8.GetString(record.Value)}'.") { Location = backend.Description };
        }

        var migrations = options.Migrations.ToArray();
        if (migrations.Length == 0)
        {
            return (entries, applied);
        }

        foreach (var migration in migrations)
        {
            ArgumentNullException.ThrowIfNull(migration, nameof(options.Migrations));
            ArgumentOutOfRangeException.ThrowIfLessThan(migration.Version, 1, $"{migration.GetType().Name}.Version");
        }

        if (migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new ArgumentException($"Two migrations have version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.GetType().Name))}. Versions must be unique.", nameof(options));
        }

        var newest = migrations.Max(m => m.Version);
        if (applied > newest)
        {
            throw new StateMigrationException(
                $"The backend '{backend.Description}' is at migration version {applied}, newer than the newest migration registered here ({newest}). Open it with the application version that migrated it, or a newer one.");
        }

        if (backend is IReadOnlyStateBackend { IsReadOnly: true } && migrations.Any(m => m.Version > applied))
        {
            throw new StateMigrationException(
                $"The backend '{backend.Description}' is at migration version {applied} and migration {migrations.Where(m => m.Version > applied).Min(m => m.Version)} is still to run, but the store is opened read-only. Open it writable once to migrate, or open it read-only without the migrations.");
        }

        foreach (var migration in migrations.Where(m => m.Version > applied).OrderBy(m => m.Version))
        {
            List<BackendEntry> after;
            var staging = new StateStore(new StateStoreOptions
            {
                TimeProvider = options.TimeProvider,
                JsonSerializerOptions = options.JsonSerializerOptions,
                Limits = options.Limits,
            });
            await using (staging.ConfigureAwait(false))
            {
                staging.Load(entries, backend.Description, writeBehind: true);
                try
                {
                    await migration.MigrateAsync(staging, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    throw new StateMigrationException(
                        migration.Version,
                        applied,
                        $"Migration {migration.Version} ({migration.GetType().Name}) failed: {ex.Message}. Nothing it wrote was stored; '{backend.Description}' stays at migration version {applied}.",
                        ex);
                }

                after = staging.SnapshotEntries();
            }

            var changes = Diff(entries, after);
            changes.Add(BackendChange.Upsert(new BackendEntry(
                MetadataScopeKey, MigrationVersionKey, Encoding.UTF8.GetBytes(migration.Version.ToString(CultureInfo.InvariantCulture)), 0, 0, 0, false)));
            await backend.ApplyAsync(changes, Durability.Machine, cancellationToken).ConfigureAwait(false);
            entries = after;
            applied = migration.Version;
        }

        return (entries, applied);
    }

    private static List<BackendChange> Diff(List<BackendEntry> before, List<BackendEntry> after)
    {
        var old = before.ToDictionary(e => (e.ScopeKey, e.Key), e => e.Version);
        var changes = new List<BackendChange>();
        foreach (var entry in after)
        {
            if (!old.Remove((entry.ScopeKey, entry.Key), out var version) || version != entry.Version)
            {
                changes.Add(BackendChange.Upsert(entry));
            }
        }

        foreach (var (scopeKey, key) in old.Keys)
        {
            changes.Add(BackendChange.Delete(scopeKey, key));
        }

        return changes;
    }

    /// <summary>
    /// Every live entry, as a backend stores it, at one point in time. Paged-out values are read back after the write
    /// lock, while the group commit holds back every later change (so the backend still holds them); writers go on
    /// in memory meanwhile.
    /// </summary>
    private List<BackendEntry> SnapshotEntries() => SnapshotEntries(out _);

    /// <inheritdoc cref="SnapshotEntries()"/>
    /// <param name="version">The store's version at that point: every entry holds a version at or below it.</param>
    internal List<BackendEntry> SnapshotEntries(out long version)
    {
        var entries = new List<BackendEntry>();
        List<(int Index, StateEntry Entry)>? pagedOut = null;
        TaskCompletionSource? hold = null;
        lock (_writeLock)
        {
            version = _version;
            var now = NowTicks();
            var pending = new Stack<ScopeNode>();
            pending.Push(_tree.Root);
            while (pending.TryPop(out var node))
            {
                foreach (var entry in node.Entries)
                {
                    if (!entry.IsExpired(now))
                    {
                        if (!entry.IsResident)
                        {
                            (pagedOut ??= []).Add((entries.Count, entry));
                        }

                        entries.Add(new BackendEntry(node.Scope.StorageKey, entry.Key, entry.ResidentUtf8Json ?? [], entry.Version, entry.ExpiresAtTicks, entry.TimeToLiveTicks, entry.Sliding));
                    }
                }

                foreach (var child in node.Children?.Values ?? Enumerable.Empty<ScopeNode>())
                {
                    pending.Push(child);
                }
            }

            if (pagedOut is not null)
            {
                hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _ = _commits!.Enqueue([], Durability.None, holdsSlot: false, _version, hold.Task);
            }
        }

        try
        {
            foreach (var (index, entry) in pagedOut ?? [])
            {
                entries[index] = entries[index] with { Value = ValueOf(entry) };
            }
        }
        finally
        {
            hold?.TrySetResult();
        }

        return entries;
    }
}
