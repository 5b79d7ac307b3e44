namespace FlowState;

/// <summary>
/// One step in the evolution of a durable store's data: renaming keys, reshaping values, moving state between scopes.
/// Register migrations in <see cref="StateStoreOptions.Migrations"/>; <see cref="StateStore.OpenAsync"/> applies
/// those with a <see cref="Version"/> above the store's recorded version, in ascending order, each in one backend
/// transaction together with the new recorded version.
/// </summary>
public interface IStateMigration
{
    /// <summary>The version the store is at once this migration has run (1 or more, unique among the migrations).</summary>
    int Version { get; }

    /// <summary>
    /// Rewrites the state through <paramref name="store"/>: an in-memory store holding the current state, with
    /// <see cref="StateStore.ListAllAsync"/> and <see cref="StateStore.For"/> to reach every scope. Nothing it writes
    /// reaches the backend unless it returns normally; when it throws, the store stays at the previous version.
    /// </summary>
    ValueTask MigrateAsync(StateStore store, CancellationToken cancellationToken);
}
